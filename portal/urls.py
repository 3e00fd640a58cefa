from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.start, name="start"),
    path("link-sent/", views.link_sent, name="link-sent"),
    path("signin/<str:token>/", views.signin, name="signin"),
    path("find-trip/", views.find_trip, name="find-trip"),
    path("signout/", views.signout, name="signout"),
    path("receipts/", views.receipts, name="receipts"),
    path("receipts/<str:purchase_id>/", views.receipt, name="receipt"),
    path("receipts/<str:purchase_id>/receipt.pdf", views.receipt_download, name="receipt-pdf"),
    path("receipts/<str:purchase_id>/refund/", views.refund, name="refund"),
    path("balance/", views.balance, name="balance"),
    path("balance/pay/", views.pay, name="pay"),
    path("balance/return/", views.payoff_return, name="payoff-return"),
    path("balance/cancelled/", views.payoff_cancel, name="payoff-cancel"),
    path("payments/<uuid:public_id>/", views.payoff_detail, name="payoff"),
]
