from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("orders/", views.order_list, name="orders"),
    path("orders/export.csv", views.order_export, name="orders-export"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/retry/", views.order_retry, name="order-retry"),
    path("orders/retry/", views.orders_retry_selected, name="orders-retry"),
    path("orders/<int:pk>/refund/", views.order_refund, name="order-refund"),
    path("orders/<int:pk>/review/", views.order_review, name="order-review"),
    path("refunds/", views.refund_list, name="refunds"),
    path("refunds/<int:pk>/decide/", views.refund_decide, name="refund-decide"),
]
