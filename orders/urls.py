from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("promotions/", views.PromotionListView.as_view(), name="promotions"),
    path("promotions/new/", views.PromotionCreateView.as_view(), name="promotion-new"),
    path("promotions/<int:pk>/edit/", views.PromotionEditView.as_view(), name="promotion-edit"),
    path(
        "promotions/<int:pk>/remove/", views.PromotionDeleteView.as_view(), name="promotion-delete"
    ),
    path("tax-rates/", views.TaxRateListView.as_view(), name="tax-rates"),
    path("tax-rates/new/", views.TaxRateCreateView.as_view(), name="tax-rate-new"),
    path("tax-rates/<int:pk>/edit/", views.TaxRateEditView.as_view(), name="tax-rate-edit"),
    path("tax-rates/<int:pk>/remove/", views.TaxRateDeleteView.as_view(), name="tax-rate-delete"),
]
