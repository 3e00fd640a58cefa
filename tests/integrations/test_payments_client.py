"""The Payment Service client against the sandbox over real HTTP, signatures verified."""

import uuid
from decimal import Decimal

import pytest
import requests

from integrations.amazon.errors import AmazonAuthError, AmazonRejectedError
from integrations.amazon.money import PaymentMoney
from integrations.amazon.payments import TripRef
from jwo_console.models import AmazonApiCall
from sandbox.models import SandboxCall, SandboxRefund, SandboxTrip

STORE = "jwo-store-1"


def usd(amount: str) -> PaymentMoney:
    return PaymentMoney(Decimal(amount), "USD")


def trip(trip_id: str) -> TripRef:
    return TripRef(store_id=STORE, shopping_trip_id=trip_id)


def test_adjust_approved_then_capture_then_receipt_data(clients):
    ref = trip(f"test-ok-{uuid.uuid4().hex[:8]}")
    result = clients.payments.adjust_charge(ref, usd("15.99"))
    assert result.status == "APPROVED"
    assert result.authorized_amount == usd("15.99")
    assert isinstance(result.authorized_amount.amount, Decimal)
    clients.payments.capture_charge(ref, usd("15.99"))
    assert SandboxTrip.objects.get(trip_id=ref.shopping_trip_id).captured_amount == Decimal("15.99")

    data = clients.payments.get_transactional_data(ref)
    assert data.brand in {"VISA", "MASTERCARD", "AMEX", "DISCOVER"}
    assert len(data.tail) == 4 and data.tail.isdigit()
    assert data.pos_entry_mode.startswith("EMV_9F39_")
    assert data.expiration_year == "2029" and data.reconciliation_id
    assert data.card_statement_transaction_id.startswith("TXN")


def test_amazon_test_case_ids_behave_as_amazons_pages_say(clients):
    declined = clients.payments.adjust_charge(trip("declined-payment-trip-uuid"), usd("999999.99"))
    assert (declined.status, declined.authorized_amount.amount) == ("DECLINED", Decimal("0"))
    pending = clients.payments.adjust_charge(trip("pending-processing-trip-uuid"), usd("25.50"))
    assert (pending.status, pending.authorized_amount) == ("PENDING", usd("25.50"))
    again = clients.payments.adjust_charge(trip("pending-processing-trip-uuid"), usd("25.50"))
    assert again.status == "APPROVED"  # PENDING means: adjust again later
    with pytest.raises(AmazonRejectedError) as exc:
        clients.payments.adjust_charge(trip("invalid-shopping-trip-uuid"), usd("1.00"))
    assert exc.value.error_msg == "UnknownShoppingTrip"
    assert exc.value.http_status == 400


def test_insufficient_funds_above_a_limit(clients):
    assert clients.payments.adjust_charge(trip("test-nsf1000-a1"), usd("9.99")).status == "APPROVED"
    assert (
        clients.payments.adjust_charge(trip("test-nsf1000-a2"), usd("10.01")).status == "DECLINED"
    )


def test_capture_is_held_to_what_is_authorized_and_happens_once(clients):
    ref = trip("test-preauth2500-b1")
    approved = clients.payments.adjust_charge(ref, usd("40.00"))
    assert approved.status == "APPROVED"
    with pytest.raises(AmazonRejectedError, match=r"exceeds the authorized 40\.00"):
        clients.payments.capture_charge(ref, usd("40.01"))
    clients.payments.capture_charge(ref, usd("40.00"))
    # The same capture again is a replay (nothing more is taken); another amount is refused.
    clients.payments.capture_charge(ref, usd("40.00"))
    replayed = SandboxTrip.objects.get(trip_id="test-preauth2500-b1")
    assert (replayed.captured_amount, replayed.capture_replays) == (Decimal("40.00"), 1)
    with pytest.raises(AmazonRejectedError, match="already captured"):
        clients.payments.capture_charge(ref, usd("39.00"))

    # After a declined adjust, the gate's pre-auth can still be captured (a partial capture).
    partial = trip("test-decline-preauth2500-b2")
    assert clients.payments.adjust_charge(partial, usd("40.00")).status == "DECLINED"
    with pytest.raises(AmazonRejectedError):
        clients.payments.capture_charge(partial, usd("25.01"))
    clients.payments.capture_charge(partial, usd("25.00"))


def test_cancel_releases_an_uncaptured_trip_and_refuses_a_captured_one(clients):
    ref = trip("test-ok-c1")
    clients.payments.cancel_charge(ref)
    assert SandboxTrip.objects.get(trip_id="test-ok-c1").cancelled is True
    captured = trip("test-ok-c2")
    clients.payments.adjust_charge(captured, usd("5.00"))
    clients.payments.capture_charge(captured, usd("5.00"))
    with pytest.raises(AmazonRejectedError, match="refund it instead"):
        clients.payments.cancel_charge(captured)


def test_refund_replay_refunds_once_and_never_above_captured(clients):
    ref = trip("test-ok-r1")
    clients.payments.adjust_charge(ref, usd("20.00"))
    clients.payments.capture_charge(ref, usd("20.00"))
    request_id = str(uuid.uuid4())
    first = clients.payments.refund(
        ref, usd("5.00"), refund_request_id=request_id, reason_code="DAMAGED_ITEM"
    )
    replay = clients.payments.refund(
        ref, usd("5.00"), refund_request_id=request_id, reason_code="DAMAGED_ITEM"
    )
    assert first.reconciliation_id and replay.reconciliation_id == first.reconciliation_id
    assert SandboxRefund.objects.count() == 1
    assert SandboxTrip.objects.get(trip_id="test-ok-r1").refunded_amount == Decimal("5.00")
    with pytest.raises(AmazonRejectedError, match=r"exceeds captured 20\.00 minus refunded 5\.00"):
        clients.payments.refund(
            ref, usd("15.01"), refund_request_id=str(uuid.uuid4()), reason_code="OTHER"
        )
    with pytest.raises(ValueError, match="lower-case"):
        clients.payments.refund(
            ref, usd("1.00"), refund_request_id=str(uuid.uuid4()).upper(), reason_code="OTHER"
        )


def test_shopper_identity(clients):
    found = clients.payments.get_shopper_identity(store_id=STORE, shopper_id="valid-shopper-id")
    assert found.shopper_email == "shopper@example.com"
    unknown = clients.payments.get_shopper_identity(store_id=STORE, shopper_id="nobody.here")
    assert unknown.shopper_email is None


TRIP_BODY = {"storeId": STORE, "shoppingTripId": "test-ok-v1"}
AMOUNT = {"amount": Decimal("1.00"), "code": "USD"}


@pytest.mark.parametrize(
    ("operation", "path", "payload", "detail"),
    [
        (
            "AdjustCharge",
            "/v1/adjust/charge",
            {**TRIP_BODY, "storeId": "", "amount": AMOUNT},
            "storeId",
        ),
        (
            "AdjustCharge",
            "/v1/adjust/charge",
            {**TRIP_BODY, "storeId": "   ", "amount": AMOUNT},
            "storeId",
        ),
        (
            "AdjustCharge",
            "/v1/adjust/charge",
            {**TRIP_BODY, "storeId": "INVALID@STORE#ID", "amount": AMOUNT},
            "storeId",
        ),
        (
            "AdjustCharge",
            "/v1/adjust/charge",
            {**TRIP_BODY, "storeId": 12345, "amount": AMOUNT},
            "storeId",
        ),
        (
            "AdjustCharge",
            "/v1/adjust/charge",
            {**TRIP_BODY, "storeId": None, "amount": AMOUNT},
            "storeId",
        ),
        (
            "AdjustCharge",
            "/v1/adjust/charge",
            {**TRIP_BODY, "shoppingTripId": True, "amount": AMOUNT},
            "shoppingTripId",
        ),
        (
            "AdjustCharge",
            "/v1/adjust/charge",
            {**TRIP_BODY, "shoppingTripId": "x" * 256, "amount": AMOUNT},
            "shoppingTripId",
        ),
        ("AdjustCharge", "/v1/adjust/charge", TRIP_BODY, "amount"),
        (
            "AdjustCharge",
            "/v1/adjust/charge",
            {**TRIP_BODY, "amount": {"amount": "1.00", "code": "USD"}},
            "amount.amount",
        ),
        (
            "AdjustCharge",
            "/v1/adjust/charge",
            {**TRIP_BODY, "amount": {"amount": Decimal("1.001"), "code": "USD"}},
            "two decimals",
        ),
        (
            "AdjustCharge",
            "/v1/adjust/charge",
            {**TRIP_BODY, "amount": {"amount": 1, "code": "usd"}},
            "amount.code",
        ),
        (
            "AdjustCharge",
            "/v1/adjust/charge",
            {**TRIP_BODY, "amount": {"amount": 1, "code": "USDD"}},
            "amount.code",
        ),
        (
            "CaptureCharge",
            "/v1/capture/charge",
            {**TRIP_BODY, "amount": {"amount": 0, "code": "USD"}},
            "greater than zero",
        ),
        (
            "CaptureCharge",
            "/v1/capture/charge",
            {**TRIP_BODY, "amount": {"amount": -5, "code": "USD"}},
            "greater than zero",
        ),
        ("CancelCharge", "/v1/cancel/charge", {"storeId": STORE}, "shoppingTripId"),
        (
            "Refund",
            "/v1/refund",
            {
                **TRIP_BODY,
                "amount": AMOUNT,
                "refundRequestId": "550E8400-E29B-41D4-A716-446655440000",
                "refundReasonCode": "OTHER",
            },
            "refundRequestId",
        ),
        (
            "Refund",
            "/v1/refund",
            {
                **TRIP_BODY,
                "amount": AMOUNT,
                "refundRequestId": str(uuid.uuid4()),
                "refundReasonCode": "CHANGED_MIND",
            },
            "refundReasonCode",
        ),
        ("GetShopperIdentity", "/v1/identity/shopper", {"storeId": STORE, "shopperId": {}}, "id"),
        (
            "GetShopperIdentity",
            "/v1/identity/shopper",
            {"storeId": STORE, "shopperId": {"id": "bad id!"}},
            "id",
        ),
    ],
)
def test_every_contract_validation_is_a_400_bad_request(
    clients, sleeps, operation, path, payload, detail
):
    with pytest.raises(AmazonRejectedError) as exc:
        clients.raw("payments").post(
            operation=operation, path=path, payload=payload, retry_safe=True
        )
    assert exc.value.http_status == 400
    assert exc.value.error_msg == "BadRequestException"
    assert detail in exc.value.body["message"]
    assert sleeps == []  # a 400 is never retried
    assert SandboxCall.objects.filter(operation=operation).count() == 1


def test_an_unparseable_body_is_a_400(sandbox):
    from requests_aws4auth import AWS4Auth

    from integrations.amazon import config

    creds = config.credentials()
    auth = AWS4Auth(refreshable_credentials=creds, region="us-east-1", service="execute-api")
    response = requests.post(
        f"{sandbox.url}/sandbox/payments/v1/adjust/charge",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
        auth=auth,
        timeout=5,
    )
    assert (response.status_code, response.json()) == (400, {"errorMsg": "BadRequestException"})


class TestSignatures:
    URL = "/sandbox/payments/v1/cancel/charge"

    def test_unsigned_calls_get_403(self, sandbox):
        response = requests.post(f"{sandbox.url}{self.URL}", json=TRIP_BODY, timeout=5)
        assert response.status_code == 403
        assert response.json() == {"message": "Missing Authentication Token"}
        assert not SandboxTrip.objects.filter(cancelled=True).exists()

    def test_a_wrong_secret_is_an_auth_error(self, clients, settings):
        from integrations.amazon import config

        settings.JWO_SANDBOX_SECRET_ACCESS_KEY = "not-the-sandbox-secret"
        config.credentials.cache_clear()
        from integrations.amazon.payments import PaymentsClient

        bad = PaymentsClient()
        settings.JWO_SANDBOX_SECRET_ACCESS_KEY = "sandbox-secret-key"  # what the sandbox expects
        with pytest.raises(AmazonAuthError) as exc:
            bad.cancel_charge(trip("test-ok-s1"))
        assert exc.value.http_status == 403
        assert "signature we calculated does not match" in exc.value.body["message"]

    def test_a_body_changed_after_signing_is_refused(self, sandbox):
        from requests_aws4auth import AWS4Auth

        from integrations.amazon import config

        auth = AWS4Auth(
            refreshable_credentials=config.credentials(), region="us-east-1", service="execute-api"
        )
        prepared = requests.Request(
            "POST",
            f"{sandbox.url}{self.URL}",
            data=b'{"storeId":"jwo-store-1","shoppingTripId":"test-ok-s2"}',
            headers={"Content-Type": "application/json"},
            auth=auth,
        ).prepare()
        prepared.body = b'{"storeId":"jwo-store-1","shoppingTripId":"test-ok-s3"}'
        prepared.headers["Content-Length"] = str(len(prepared.body))
        response = requests.Session().send(prepared, timeout=5)
        assert response.status_code == 403
        assert "body does not match" in response.json()["message"]


def test_every_call_is_recorded_with_secrets_redacted(clients):
    clients.payments.cancel_charge(trip("test-ok-log1"))
    call = AmazonApiCall.objects.get(operation="CancelCharge")
    assert (call.service, call.store_id, call.trip_id, call.http_status) == (
        "payments",
        STORE,
        "test-ok-log1",
        200,
    )
    assert call.request_headers["Authorization"] == "[redacted]"
    assert call.request_body == {"storeId": STORE, "shoppingTripId": "test-ok-log1"}
    assert "sandbox-secret-key" not in str(call.request_headers)


def test_large_bodies_are_logged_by_size_and_preview(clients):
    from integrations.amazon.catalog import CatalogItem
    from tests.factories import upc

    items = [
        CatalogItem(
            item_sku=f"BIG-{n}", external_product_id=upc(n), item_name="Water 1L", store_id=STORE
        )
        for n in range(1000)
    ]
    clients.catalog.upload_catalog(items)
    call = AmazonApiCall.objects.get(operation="UploadCatalog")
    assert call.request_body["truncated"] is True
    assert call.request_body["bytes"] > 64 * 1024
    assert call.request_body["preview"].startswith('{"catalogItems":[{"item_sku":"BIG-0"')
