from django.urls import path

from . import catalog_api, loyalty_api, payments_api, processor, views

app_name = "sandbox"

urlpatterns = [
    # Amazon-hosted APIs, one prefix per service (each a base URL of the console's client).
    path("payments/v1/adjust/charge", payments_api.adjust_charge, name="adjust"),
    path("payments/v1/cancel/charge", payments_api.cancel_charge, name="cancel"),
    path("payments/v1/capture/charge", payments_api.capture_charge, name="capture"),
    path("payments/v1/refund", payments_api.refund, name="refund"),
    path(
        "payments/v1/payment/transactional-data",
        payments_api.transactional_data,
        name="transactional-data",
    ),
    path("payments/v1/identity/shopper", payments_api.shopper_identity, name="shopper-identity"),
    path("checkout/v1/checkout/carts", payments_api.checkout_cart, name="checkout"),
    path(
        "feedback/v1/feedback/payment-status",
        payments_api.report_payment_status,
        name="payment-status",
    ),
    path("catalog/v1/catalog/upload", catalog_api.upload_catalog, name="catalog-upload"),
    path(
        "catalog/v1/catalog/getCatalogUploadStatus",
        catalog_api.get_catalog_upload_status,
        name="catalog-status",
    ),
    path("catalog/v1/catalog/archive", catalog_api.archive_catalog, name="catalog-archive"),
    path("catalog/reports/<str:ingestion_id>", catalog_api.catalog_report, name="catalog-report"),
    # The loyalty providers (YinzCam, VenueNext).
    path("loyalty/<str:provider>/v1/members/resolve", loyalty_api.resolve, name="loyalty-resolve"),
    path(
        "loyalty/<str:provider>/v1/members/<str:member_id>",
        loyalty_api.member,
        name="loyalty-member",
    ),
    # The retailer's card processor (portal payoffs): its API and its hosted payment page.
    path("processor/v1/sessions", processor.create_session, name="processor-create"),
    path("processor/v1/sessions/<str:session_id>", processor.get_session, name="processor-get"),
    path(
        "processor/v1/sessions/<str:session_id>/expire",
        processor.expire_session,
        name="processor-expire",
    ),
    path("processor/pay/<str:session_id>", processor.payment_page, name="processor-page"),
    # Pages for people.
    path("", views.overview, name="overview"),
    path("faults/", views.faults, name="faults"),
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/<int:pk>/", views.outbox_message, name="outbox-message"),
    path("gates/", views.gates, name="gates"),
]
