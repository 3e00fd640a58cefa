from django.urls import path

from . import views

urlpatterns = [
    path("v1/identity/identity-keys", views.identity_keys, name="connector-identity-keys"),
    path("v1/order/purchases", views.purchases, name="connector-purchases"),
]
