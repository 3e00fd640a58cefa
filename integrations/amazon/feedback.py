"""F&A Feedback API: ReportPaymentStatus.

``paymentStatusTime`` is a number whose unit the public pages do not give (the sample shows
epoch seconds, our payoff flow was specified in milliseconds): ``JWO_FEEDBACK_TIME_UNIT``
(``ms``, the default, or ``s``) picks it. The call is safe to repeat — it reports a state.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from .money import PaymentMoney
from .transport import AmazonTransport


@dataclass(frozen=True)
class ReportPaymentStatusRequest:
    store_id: str
    shopping_trip_id: str
    total_amount: PaymentMoney
    settled_amount: PaymentMoney
    payment_status_time: datetime

    def to_wire(self) -> dict:
        seconds = self.payment_status_time.timestamp()
        unit = getattr(settings, "JWO_FEEDBACK_TIME_UNIT", "ms")
        when = int(seconds * 1000) if unit == "ms" else int(seconds)
        return {
            "storeId": self.store_id,
            "shoppingTripId": self.shopping_trip_id,
            "totalAmount": self.total_amount.to_wire(),
            "settledAmount": self.settled_amount.to_wire(),
            "paymentStatusTime": when,
        }


class FeedbackClient:
    def __init__(self, transport: AmazonTransport | None = None) -> None:
        self.transport = transport or AmazonTransport("feedback")

    def report_payment_status(self, request: ReportPaymentStatusRequest) -> None:
        self.transport.post(
            operation="ReportPaymentStatus",
            path="/v1/feedback/payment-status",
            payload=request.to_wire(),
            retry_safe=True,
            store_id=request.store_id,
            trip_id=request.shopping_trip_id,
        )


def client() -> FeedbackClient:
    return FeedbackClient()
