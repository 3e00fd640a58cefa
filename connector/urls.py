from django.urls import path

from . import openapi, views

urlpatterns = [
    path("v1/identity/identity-keys", views.identity_keys, name="connector-identity-keys"),
    path("v1/order/purchases", views.purchases, name="connector-purchases"),
    path("v1/identity/shopper", views.get_shopper, name="connector-get-shopper"),
    path("v1/identity/scan", views.scan, name="connector-scan"),
    path("v1/identity/scan/details", views.scan_details, name="connector-scan-details"),
    path(
        "v1/fraudandabuse/shopperauthorization",
        views.shopper_authorization,
        name="connector-shopper-authorization",
    ),
    path("v1/openapi.json", openapi.openapi_json, name="connector-openapi"),
    path("v1/", views.unknown_endpoint, name="connector-unknown-root"),
    path("v1", views.unknown_endpoint, name="connector-unknown-bare"),
    path("v1/<path:rest>", views.unknown_endpoint, name="connector-unknown"),
]
