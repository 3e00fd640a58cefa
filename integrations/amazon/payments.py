"""Payment Service: AdjustCharge, CancelCharge, CaptureCharge, Refund, GetTransactionalData,
GetShopperIdentity.

Which calls the transport may repeat on a 5xx or a read timeout: Adjust (it carries the
full total, not a delta), Cancel, Refund (same ``refundRequestId``) and the two reads.
**Capture is not repeated** there: Amazon does not document what a second capture does, so
the payment service records the attempt and decides; 429 and failed connections, which
Amazon never saw, are retried for every call.
"""

import re
from dataclasses import dataclass
from typing import Any

from .money import PaymentMoney
from .transport import AmazonTransport, require

ADJUST_STATUSES = ("APPROVED", "DECLINED", "PENDING")
REFUND_REASON_CODES = ("DAMAGED_ITEM", "EXPIRED_ITEM", "UNWANTED_ITEM", "JWO_TECH_ERROR", "OTHER")
REFUND_REQUEST_ID = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-5][0-9a-f]{3}-[089ab][0-9a-f]{3}-[0-9a-f]{12}$"
)


@dataclass(frozen=True)
class TripRef:
    store_id: str
    shopping_trip_id: str

    def to_wire(self) -> dict[str, str]:
        return {"storeId": self.store_id, "shoppingTripId": self.shopping_trip_id}


@dataclass(frozen=True)
class AdjustChargeResult:
    status: str
    authorized_amount: PaymentMoney | None


@dataclass(frozen=True)
class RefundResult:
    reconciliation_id: str | None


@dataclass(frozen=True)
class TransactionalData:
    brand: str | None = None
    pos_entry_mode: str | None = None
    currency: str | None = None
    authorization_response_code: str | None = None
    cryptogram_information_data: str | None = None
    tail: str | None = None
    pan_sequence_number: str | None = None
    application_id: str | None = None
    expiration_year: str | None = None
    expiration_month: str | None = None
    cardholder_verification_method_result: str | None = None
    terminal_id: str | None = None
    reconciliation_id: str | None = None
    card_statement_transaction_id: str | None = None

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "TransactionalData":
        """Every field optional (the contract does not say which are always present)."""
        expiry = data.get("expirationDate") if isinstance(data.get("expirationDate"), dict) else {}

        def s(key: str) -> str | None:
            value = data.get(key)
            return None if value is None else str(value)

        return cls(
            brand=s("brand"),
            pos_entry_mode=s("posEntryMode"),
            currency=s("currency"),
            authorization_response_code=s("authorizationResponseCode"),
            cryptogram_information_data=s("cryptogramInformationData"),
            tail=s("tail"),
            pan_sequence_number=s("panSequenceNumber"),
            application_id=s("applicationId"),
            expiration_year=expiry.get("expirationYear"),
            expiration_month=expiry.get("expirationMonth"),
            cardholder_verification_method_result=s("cardholderVerificationMethodResult"),
            terminal_id=s("terminalId"),
            reconciliation_id=s("reconciliationId"),
            card_statement_transaction_id=s("cardStatementTransactionId"),
        )


@dataclass(frozen=True)
class ShopperIdentity:
    shopper_email: str | None  # None: no e-mail on file (Amazon answers 200 for unknown ids)


class PaymentsClient:
    def __init__(self, transport: AmazonTransport | None = None) -> None:
        self.transport = transport or AmazonTransport("payments")

    def _post(self, operation: str, path: str, trip: TripRef, payload: dict, *, safe: bool):
        return self.transport.post(
            operation=operation,
            path=path,
            payload=payload,
            retry_safe=safe,
            store_id=trip.store_id,
            trip_id=trip.shopping_trip_id,
        )

    def adjust_charge(self, trip: TripRef, amount: PaymentMoney) -> AdjustChargeResult:
        """Ask for the *full* cart total; Amazon works out the difference to the pre-auth."""
        response = self._post(
            "AdjustCharge",
            "/v1/adjust/charge",
            trip,
            {**trip.to_wire(), "amount": amount.to_wire()},
            safe=True,
        )
        status = str(require(response.data, "status", "AdjustCharge"))
        return AdjustChargeResult(
            status=status,
            authorized_amount=PaymentMoney.from_wire(response.data.get("authorizedAmount")),
        )

    def cancel_charge(self, trip: TripRef) -> None:
        self._post("CancelCharge", "/v1/cancel/charge", trip, trip.to_wire(), safe=True)

    def capture_charge(self, trip: TripRef, amount: PaymentMoney) -> None:
        if amount.amount <= 0:
            raise ValueError("capture needs an amount above zero; cancel a zero-total trip")
        self._post(
            "CaptureCharge",
            "/v1/capture/charge",
            trip,
            {**trip.to_wire(), "amount": amount.to_wire()},
            safe=False,
        )

    def refund(
        self, trip: TripRef, amount: PaymentMoney, *, refund_request_id: str, reason_code: str
    ) -> RefundResult:
        """Idempotent by ``refund_request_id`` (a lower-case UUID): resend the same id to retry.

        Success is an empty 200 on the reference page and ``{reconciliationId}`` in the test
        case; both are accepted."""
        if not REFUND_REQUEST_ID.match(refund_request_id):
            raise ValueError("refund_request_id must be a lower-case canonical UUID")
        if reason_code not in REFUND_REASON_CODES:
            raise ValueError(f"unknown refund reason code {reason_code!r}")
        response = self._post(
            "Refund",
            "/v1/refund",
            trip,
            {
                **trip.to_wire(),
                "amount": amount.to_wire(),
                "refundRequestId": refund_request_id,
                "refundReasonCode": reason_code,
            },
            safe=True,
        )
        data = response.data if isinstance(response.data, dict) else {}
        return RefundResult(reconciliation_id=data.get("reconciliationId"))

    def get_transactional_data(self, trip: TripRef) -> TransactionalData:
        response = self._post(
            "GetTransactionalData",
            "/v1/payment/transactional-data",
            trip,
            trip.to_wire(),
            safe=True,
        )
        return TransactionalData.from_wire(response.data if isinstance(response.data, dict) else {})

    def get_shopper_identity(self, *, store_id: str, shopper_id: str) -> ShopperIdentity:
        """Amazon-hosted GetShopperIdentity (not the retailer-hosted GetShopper that shares its
        path): ``{storeId, shopperId: {id}}`` → ``{shopperEmail}``."""
        response = self.transport.post(
            operation="GetShopperIdentity",
            path="/v1/identity/shopper",
            payload={"storeId": store_id, "shopperId": {"id": shopper_id}},
            retry_safe=True,
            store_id=store_id,
        )
        data = response.data if isinstance(response.data, dict) else {}
        return ShopperIdentity(shopper_email=data.get("shopperEmail") or None)


def client() -> PaymentsClient:
    return PaymentsClient()
