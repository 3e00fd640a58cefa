"""Getting paid, by the module a newcomer looks for (README "Getting paid"):

- ``rules.py`` — the pure rules: what a retry asks for, when it is due, whether Retry is allowed;
- ``engine.py`` — one attempt opened (``payment_collect``), ``capture.py`` runs it, ``finish.py``
  finishes it, ``resolve.py`` reads unknown capture outcomes (never resent blind),
  ``tenders.py`` books debts and tenders, ``attempts.py`` holds what they share;
- ``review.py`` — what staff decide when no read could tell;
- ``sweep.py`` — every order whose next action is due, advanced by beat; time travel;
- ``receipts.py`` — the receipt data after the capture;
- ``refunds.py`` — refunds;
- ``payoffs.py`` and ``reports.py`` — portal payoffs and ReportPaymentStatus.

This module is the public surface the views, the admin, the portal and the tests import.
"""

from .attempts import PaymentInProgress, RetryNotAllowed
from .capture import checkout_request_for
from .engine import payment_collect, payment_take, trip_authorized_amount
from .receipts import payment_receipt_fetch
from .refunds import (
    RefundNotAllowed,
    refund_approve,
    refund_auto_approve,
    refund_deadline,
    refund_reject,
    refund_request,
    refund_request_by_shopper,
    refund_send,
    refundable_amount,
    refunded_line_numbers,
    refunds_possible,
)
from .resolve import payment_resolve
from .review import (
    CAPTURE_AGAIN_RISK,
    ReviewNotAllowed,
    payment_review_capture_again,
    payment_review_captured,
)
from .rules import (
    RetryState,
    next_retry_at,
    order_retry_state,
    preauth_near_expiry,
    retry_plan,
    retry_state_message,
)
from .sweep import order_advance, orders_due_claim, payment_time_travel

__all__ = [
    "CAPTURE_AGAIN_RISK",
    "PaymentInProgress",
    "RefundNotAllowed",
    "RetryNotAllowed",
    "RetryState",
    "ReviewNotAllowed",
    "checkout_request_for",
    "next_retry_at",
    "order_advance",
    "order_retry_state",
    "orders_due_claim",
    "payment_collect",
    "payment_receipt_fetch",
    "payment_resolve",
    "payment_review_capture_again",
    "payment_review_captured",
    "payment_take",
    "payment_time_travel",
    "preauth_near_expiry",
    "refund_approve",
    "refund_auto_approve",
    "refund_deadline",
    "refund_reject",
    "refund_request",
    "refund_request_by_shopper",
    "refund_send",
    "refundable_amount",
    "refunded_line_numbers",
    "refunds_possible",
    "retry_plan",
    "retry_state_message",
    "trip_authorized_amount",
]
