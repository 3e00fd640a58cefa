"""The attempt engine: getting one order paid, exactly once, whatever fails on the way.

One service moves money for an order: ``payment_collect``. The first attempt after pricing, the
sweep's automatic retries, the order grid's Retry button and the admin action all call it.

1. *Open* (a short transaction, the order row locked): check the rules, plan the amounts, commit
   a ``PaymentAttempt`` with a unique idempotency key. At most one attempt per order is
   unfinished (a partial unique constraint); an unfinished attempt holds a lease while a worker
   runs it. The order's next action becomes RESUME at the lease's end: if the worker dies, the
   sweep finds the order there.
2. *Run* (no transaction open): before each remote call a committed ``step`` marker. Before
   CaptureCharge the order's next action becomes RESOLVE: a capture that went out without an
   answer is never sent again blind.
3. *Finish* (a short transaction, the order row locked): the order's status, the ledger, the
   tenders, and the next action (RECEIPT, the next retry, or none).

Errors are classified (integrations/amazon/errors.py): a 4xx is Amazon refusing the request, so
the automatic schedule ends there (staff may Retry once the cause is fixed); 429, 5xx, timeouts
and connection failures are transient. A transient failure of an idempotent call (AdjustCharge
with the same total, CancelCharge, CheckoutCart with the same trip id) resumes the attempt
later. A transient failure of CaptureCharge is an *unknown outcome*: ``payment_resolve`` asks
Amazon what happened (GetTransactionalData) before anything is sent again, and where the read
cannot tell, the order waits for a person in REVIEW (``review.py``).
"""

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.choices import AlertKind, AlertSeverity
from alerts.services import alert_raise, alert_resolve
from integrations.amazon import checkout as checkout_api
from integrations.amazon import payments as payments_api
from integrations.amazon.errors import AmazonError, AmazonTransientError
from integrations.amazon.money import PaymentMoney
from jwo_console.exceptions import ApplicationError, ConflictError
from jwo_console.money import ZERO, quantize
from orders.choices import ErrorStage, NextAction, OrderStatus
from orders.models import Order
from orders.services import order_event, order_next_action, order_price, order_transition
from shoppers.choices import LedgerKind
from shoppers.ledger import book_debt, debt_reference, ledger_book, ledger_has, ledger_party
from shoppers.models import LedgerEntry
from stores.choices import PaymentMode, TripPolicy
from stores.models import JwoStoreMapping
from stores.selectors import store_settings

from .choices import (
    PAYOFF_UNFINISHED,
    AttemptStatus,
    AttemptStep,
    AttemptTrigger,
    AuthorizedSource,
    TenderKind,
)
from .models import PaymentAttempt, Tender
from .reports import payment_status_report_queue
from .rules import next_retry_at, order_retry_state, retry_plan, retry_state_message

logger = logging.getLogger(__name__)


class PaymentInProgress(ConflictError):
    """Another attempt for this order is running right now."""


class RetryNotAllowed(ApplicationError):
    """The order grid's rules refuse a staff retry (status, 48-hour window, 5-minute cooldown)."""


def notify(signal: Any, **ids: int) -> None:
    """Tell the layers above (the portal's e-mails) once the current transaction commits."""
    transaction.on_commit(lambda: signal.send(sender=None, **ids))


def _lease(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.JWO_ATTEMPT_LEASE_SECONDS)


def _within_window(order: Order, at: datetime) -> datetime | None:
    return at if at < order.retry_by else None


# --- the one entry point ------------------------------------------------------------------------


def payment_collect(
    *,
    order_id: int,
    trigger: str,
    actor: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> PaymentAttempt | None:
    """Take (or retry) the payment of an order. Returns the attempt that ran, or None when there
    was nothing to do (already paid, not due). Staff retries raise ``RetryNotAllowed`` or
    ``PaymentInProgress`` with a message to show; an order that failed for a missing item is
    priced again first; an attempt whose capture answer was lost is resolved by reading."""
    now = now or timezone.now()
    order = Order.objects.select_related("store").get(pk=order_id)
    if trigger == AttemptTrigger.MANUAL:
        state = order_retry_state(order=order, now=now)
        if not state.allowed:
            raise RetryNotAllowed(retry_state_message(order=order, state=state))
    if order.status == OrderStatus.ERROR and order.error_stage == ErrorStage.PRICING:
        if trigger == AttemptTrigger.AUTO and now >= order.retry_by:
            _set_next(order.pk, NextAction.NONE, None)
            return None
        order = order_price(order_id=order.pk, actor=actor)
        if order.status != OrderStatus.PRICED:
            return None
    unfinished = order.payment_attempts.filter(status=AttemptStatus.STARTED).first()
    if unfinished is not None and unfinished.step == AttemptStep.CAPTURE_SENT:
        return payment_resolve(order_id=order.pk, actor=actor, now=now)
    attempt = _attempt_open(order_id=order.pk, trigger=trigger, actor=actor, now=now)
    if attempt is None:
        return None
    return _attempt_run(attempt=attempt, now=now)


def payment_take(*, order_id: int) -> PaymentAttempt | None:
    """The first attempt, once the order is priced."""
    try:
        return payment_collect(order_id=order_id, trigger=AttemptTrigger.INITIAL)
    except PaymentInProgress:
        return None


def _set_next(order_id: int, action: str, at: datetime | None) -> None:
    Order.objects.filter(pk=order_id).update(
        next_action=action, next_action_at=at if action else None, updated_at=timezone.now()
    )


# --- opening an attempt ---------------------------------------------------------------------------


def _attempt_open(
    *, order_id: int, trigger: str, actor: AbstractBaseUser | None, now: datetime
) -> PaymentAttempt | None:
    lease = _lease(now)
    try:
        with transaction.atomic():
            order = Order.objects.select_for_update().select_related("store").get(pk=order_id)
            unfinished = order.payment_attempts.filter(status=AttemptStatus.STARTED).first()
            if unfinished is not None:
                return _attempt_reclaim(
                    order=order, attempt=unfinished, trigger=trigger, actor=actor, now=now
                )
            if not _due(order=order, trigger=trigger, now=now):
                return None
            if order.payoffs.filter(status__in=PAYOFF_UNFINISHED).exists():
                # The shopper is paying this trip in the portal: charging the card now could
                # take the money twice. The sweep looks again later.
                if trigger == AttemptTrigger.MANUAL:
                    raise PaymentInProgress(
                        "The shopper is paying this trip in the portal right now; "
                        "look again in a few minutes."
                    )
                later = _within_window(
                    order, now + timedelta(seconds=settings.JWO_TRANSIENT_RETRY_SECONDS)
                )
                fields = order_next_action(order, NextAction.PAY if later else "", later)
                order.save(update_fields=[*fields, "updated_at"])
                return None
            attempt = _attempt_create(order=order, trigger=trigger, actor=actor, lease=lease)
            order.retries = attempt.attempt_no
            order.last_attempt_at = now
            fields = order_next_action(order, NextAction.RESUME, lease)
            order.save(update_fields=["retries", "last_attempt_at", "updated_at", *fields])
            order_event(
                order=order,
                type="payment_attempt_started",
                actor=actor,
                attempt_no=attempt.attempt_no,
                retry_no=attempt.retry_no,
                trigger=trigger,
                service=attempt.service,
                percent=None if attempt.percent is None else str(attempt.percent),
                requested=str(attempt.requested_amount),
                authorized_source=attempt.authorized_source,
            )
    except IntegrityError as exc:  # a concurrent opener won the unique constraint
        raise PaymentInProgress("A payment attempt for this order was just started.") from exc
    logger.info(
        "payment attempt %s opened (%s)",
        attempt.attempt_no,
        trigger,
        extra={"order_id": order_id, "attempt": attempt.idempotency_key},
    )
    return attempt


def _attempt_reclaim(
    *,
    order: Order,
    attempt: PaymentAttempt,
    trigger: str,
    actor: AbstractBaseUser | None,
    now: datetime,
) -> PaymentAttempt:
    """An unfinished attempt (a worker died, or Amazon did not answer an idempotent call):
    resumed at its step with the same amounts, unless a worker holds it right now."""
    if attempt.lease_until is not None and attempt.lease_until > now:
        raise PaymentInProgress(
            "A payment attempt for this order is running now; its result will show here in a "
            "moment."
        )
    attempt.lease_until = _lease(now)
    attempt.save(update_fields=["lease_until", "updated_at"])
    order.last_attempt_at = now
    fields = order_next_action(order, NextAction.RESUME, attempt.lease_until)
    order.save(update_fields=["last_attempt_at", "updated_at", *fields])
    order_event(
        order=order,
        type="payment_attempt_resumed",
        actor=actor,
        attempt_no=attempt.attempt_no,
        step=attempt.step,
        trigger=trigger,
    )
    return attempt


def _attempt_create(
    *, order: Order, trigger: str, actor: AbstractBaseUser | None, lease: datetime
) -> PaymentAttempt:
    mapping = store_settings(store=order.store_id)
    service = mapping.payment_mode
    attempts = list(order.payment_attempts.order_by("-attempt_no"))
    attempt_no = 0 if not attempts else attempts[0].attempt_no + 1
    if trigger == AttemptTrigger.MANUAL:  # a staff retry takes no automatic slot
        automatic = [a for a in attempts if a.trigger != AttemptTrigger.MANUAL]
        retry_no = automatic[0].retry_no if automatic else 0
    else:
        retry_no = _retry_no(attempts)
    if service == PaymentMode.CHECKOUT_SERVICE:
        plan_fields: dict[str, Any] = {
            "percent": Decimal("100"),
            "requested_amount": order.total,
            "capture_amount": None,
            "authorized_source": "",
        }
    else:
        authorized, source = trip_authorized_amount(order=order, mapping=mapping)
        plan_fields = retry_plan(
            retry_no=retry_no,
            total=order.total,
            authorized=authorized,
            authorized_source=source,
            currency=order.currency,
            manual=trigger == AttemptTrigger.MANUAL,
        ).as_fields()
    return PaymentAttempt.objects.create(
        order=order,
        attempt_no=attempt_no,
        retry_no=retry_no,
        idempotency_key=f"order:{order.pk}:attempt:{attempt_no}",
        trigger=trigger,
        initiated_by=actor,
        service=service,
        currency=order.currency,
        lease_until=lease,
        **plan_fields,
    )


def _retry_no(attempts: list[PaymentAttempt]) -> int:
    """The automatic slot the next attempt takes. Staff retries neither use nor shift a slot:
    only the newest automatic (or first) attempt counts. After a PENDING answer the same slot
    is asked again, up to ``JWO_PENDING_MAX_CHECKS`` times."""
    automatic = [a for a in attempts if a.trigger != AttemptTrigger.MANUAL]
    if not automatic:
        return 0
    last = automatic[0]
    if last.status == AttemptStatus.PENDING:
        pending = sum(
            1
            for a in automatic
            if a.retry_no == last.retry_no and a.status == AttemptStatus.PENDING
        )
        if pending < settings.JWO_PENDING_MAX_CHECKS:
            return last.retry_no
    return last.retry_no + 1


def trip_authorized_amount(*, order: Order, mapping: JwoStoreMapping) -> tuple[Decimal, str]:
    """What Amazon says is authorized on this trip: the amount the gate decision set for it
    (F&A ADJUST) when the trip carries one, else the newest amount an AdjustCharge answer
    reported (above zero: a DECLINED answer's 0 says nothing about the pre-auth), else the
    store's pre-auth setting (``mapping``: stores.selectors.store_settings). The attempt records
    which one it used."""
    trip_amount = order.trip.authorized_amount
    if trip_amount is not None and trip_amount > 0:
        return trip_amount, AuthorizedSource.TRIP
    answered = (
        order.payment_attempts.filter(authorized_amount__gt=0)
        .exclude(adjust_status="DECLINED")
        .order_by("-attempt_no")
        .values_list("authorized_amount", flat=True)
        .first()
    )
    if answered is not None:
        return answered, AuthorizedSource.ADJUST_ANSWER
    return mapping.preauth_amount, AuthorizedSource.STORE_SETTING


def _due(*, order: Order, trigger: str, now: datetime) -> bool:
    if order.status not in (OrderStatus.ERROR, OrderStatus.PRICED):
        return False
    if trigger == AttemptTrigger.INITIAL:
        return order.status == OrderStatus.PRICED and not order.payment_attempts.exists()
    if now >= order.retry_by:
        if order.next_action:
            fields = order_next_action(order, NextAction.NONE, None)
            order.save(update_fields=[*fields, "updated_at"])
        return False
    return True


# --- running an attempt (no transaction open) -----------------------------------------------------


def mark(attempt: PaymentAttempt, *, order_next: tuple[str, datetime] | None = None, **fields):
    """Record progress in its own short write, committed before the next remote call; with
    ``order_next`` the order's next action changes in the same transaction."""
    for key, value in fields.items():
        setattr(attempt, key, value)
    with transaction.atomic():
        PaymentAttempt.objects.filter(pk=attempt.pk).update(updated_at=timezone.now(), **fields)
        if order_next is not None:
            _set_next(attempt.order_id, *order_next)


def record_call(attempt: PaymentAttempt, operation: str, request: dict, response: Any) -> None:
    attempt.calls = [
        *attempt.calls,
        {
            "operation": operation,
            "request": request,
            "response": response,
            "at": timezone.now().isoformat(),
        },
    ]
    mark(attempt, calls=attempt.calls)


def wire_money(amount: Decimal, currency: str) -> dict:
    return {"amount": str(quantize(amount, currency)), "code": currency}


def trip_ref(order: Order) -> payments_api.TripRef:
    return payments_api.TripRef(
        store_id=order.trip.jwo_store_id, shopping_trip_id=order.trip.trip_id
    )


def _attempt_run(*, attempt: PaymentAttempt, now: datetime) -> PaymentAttempt:
    order = Order.objects.select_related("trip", "store").get(pk=attempt.order_id)
    try:
        if order.trip.trip_policy != TripPolicy.CHARGE:
            return _run_not_charged(attempt=attempt, order=order, now=now)
        if attempt.service == PaymentMode.CHECKOUT_SERVICE:
            return _run_checkout(attempt=attempt, order=order, now=now)
        return _run_payment_service(attempt=attempt, order=order, now=now)
    except AmazonError as exc:
        return handle_amazon_error(attempt=attempt, exc=exc, now=now)


def handle_amazon_error(*, attempt: PaymentAttempt, exc: AmazonError, now: datetime):
    """Classify what Amazon answered: transient (resume later, or read first after a capture)
    or a refusal (the schedule ends; staff Retry once the cause is fixed)."""
    if isinstance(exc, AmazonTransientError):
        if attempt.step == AttemptStep.CAPTURE_SENT:
            return outcome_unknown(attempt=attempt, evidence=str(exc), now=now)
        return _suspend(attempt=attempt, exc=exc, now=now)
    message = exc.error_msg or str(exc)
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and body.get("message"):
        message = f"{message}: {body['message']}"
    return finish_failed(
        attempt=attempt,
        status=AttemptStatus.REJECTED,
        message=f"Amazon refused {exc.operation or 'the call'}: {message}",
        now=now,
    )


def _run_payment_service(*, attempt: PaymentAttempt, order: Order, now: datetime):
    client = payments_api.client()
    trip = trip_ref(order)
    wire_trip = trip.to_wire()
    if order.total <= 0:
        # Empty or zero-total cart: release the pre-auth; nothing to capture.
        mark(attempt, step=AttemptStep.CANCEL_SENT)
        client.cancel_charge(trip)
        record_call(attempt, "CancelCharge", wire_trip, None)
        return finish_paid(attempt=attempt, captured=ZERO, now=now)

    if attempt.capture_amount is None:
        mark(attempt, step=AttemptStep.ADJUST_SENT)
        amount = PaymentMoney(attempt.requested_amount, attempt.currency)
        result = client.adjust_charge(trip, amount)
        authorized = result.authorized_amount.amount if result.authorized_amount else None
        record_call(
            attempt,
            "AdjustCharge",
            {**wire_trip, "amount": wire_money(amount.amount, amount.code)},
            {
                "status": result.status,
                "authorizedAmount": None
                if authorized is None
                else wire_money(authorized, attempt.currency),
            },
        )
        if result.status == "DECLINED":
            mark(attempt, adjust_status=result.status, authorized_amount=authorized)
            return finish_failed(
                attempt=attempt,
                status=AttemptStatus.DECLINED,
                message=(
                    f"Card declined: AdjustCharge for {attempt.requested_amount} "
                    f"{attempt.currency} was DECLINED"
                ),
                now=now,
            )
        if result.status == "PENDING":
            mark(attempt, adjust_status=result.status, authorized_amount=authorized)
            return _finish_pending(attempt=attempt, now=now)
        if result.status != "APPROVED":
            return finish_failed(
                attempt=attempt,
                status=AttemptStatus.REJECTED,
                message=f"AdjustCharge answered an unknown status {result.status!r}",
                now=now,
            )
        # An approval for less than asked (not documented) is captured as far as it goes.
        capture = (
            attempt.requested_amount
            if authorized is None
            else min(attempt.requested_amount, authorized)
        )
        mark(
            attempt,
            step=AttemptStep.ADJUSTED,
            adjust_status=result.status,
            authorized_amount=authorized,
            capture_amount=capture,
        )

    if attempt.capture_amount <= 0:
        return finish_failed(
            attempt=attempt,
            status=AttemptStatus.DECLINED,
            message="Nothing is authorized on this trip to capture",
            now=now,
        )
    return send_capture(attempt=attempt, order=order, now=now)


def _run_not_charged(*, attempt: PaymentAttempt, order: Order, now: datetime):
    """An associate's or a cash shopper's trip whose store says "don't charge" or "hand to a
    register" (the mapping's trip policy): the pre-auth is released (Payment Service) and the
    order completes with nothing captured and nothing owed; the policy is on its timeline."""
    policy = order.trip.trip_policy
    if attempt.service == PaymentMode.PAYMENT_SERVICE:
        mark(attempt, step=AttemptStep.CANCEL_SENT)
        payments_api.client().cancel_charge(trip_ref(order))
        record_call(attempt, "CancelCharge", trip_ref(order).to_wire(), None)
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        close(attempt, status=AttemptStatus.SUCCEEDED, step=AttemptStep.DONE, error="")
        label = TripPolicy(policy).label.lower()
        order_transition(
            order=locked,
            to=OrderStatus.COMPLETED,
            reason=f"not charged through Just Walk Out: {label}",
            fields={
                "captured_amount": ZERO,
                "completed_at": timezone.now(),
                "error_stage": "",
                "error_message": "",
                **order_next_action(locked, NextAction.NONE, None),
            },
        )
        order_event(order=locked, type="trip_not_charged", policy=policy, total=str(order.total))
    return attempt


def send_capture(*, attempt: PaymentAttempt, order: Order, now: datetime) -> PaymentAttempt:
    """CaptureCharge for the attempt's amount. Marked first, with the order's next action set to
    RESOLVE: whatever happens to the answer (or to this worker), the next step is a read."""
    lease = attempt.lease_until or _lease(now)
    mark(attempt, step=AttemptStep.CAPTURE_SENT, order_next=(NextAction.RESOLVE, lease))
    amount = PaymentMoney(attempt.capture_amount, attempt.currency)
    request = {**trip_ref(order).to_wire(), "amount": wire_money(amount.amount, amount.code)}
    try:
        payments_api.client().capture_charge(trip_ref(order), amount)
    except AmazonError as exc:  # the evidence a review needs: the capture went out, and then?
        record_call(attempt, "CaptureCharge", request, {"error": str(exc)})
        raise
    record_call(attempt, "CaptureCharge", request, None)
    return finish_paid(attempt=attempt, captured=attempt.capture_amount, now=now)


def checkout_request_for(order: Order) -> checkout_api.CheckoutCartRequest:
    """The priced order as the Checkout Service wants it: each line's shelf price, its
    promotions, its tax and its total, and the order's totals (``JWO_CHECKOUT_PRICE_PER``
    says whether ``price`` is the line's amount or one unit's)."""
    per_unit = settings.JWO_CHECKOUT_PRICE_PER == "unit"
    lines = [
        checkout_api.CheckoutLine(
            product_id=line.sku,
            quantity=line.quantity.normalize()
            if line.quantity % 1
            else line.quantity.quantize(Decimal("0.0")),
            unit=line.unit or "each",
            price=line.unit_price if per_unit else line.price,
            sales_tax=line.tax,
            total_price=line.total,
            promotions=tuple(
                checkout_api.Promotion(amount=Decimal(p["amount"]), description=p["name"][:100])
                for p in line.promotions
            ),
        )
        for line in order.lines.all()
    ]
    return checkout_api.CheckoutCartRequest(
        idempotent_shopping_trip_id=order.trip.trip_id,
        store_id=order.trip.jwo_store_id,
        currency=order.currency,
        lines=lines,
        totals=checkout_api.OrderTotals(
            price_total=order.total,
            sub_total=order.sub_total,
            promotions_total=order.promotions_total,
            sales_tax_total=order.tax_total,
        ),
    )


def _run_checkout(*, attempt: PaymentAttempt, order: Order, now: datetime):
    request = checkout_request_for(order)
    if not request.lines:
        # Never sent: the Checkout Service refuses an empty cart; Amazon releases the pre-auth.
        return finish_paid(attempt=attempt, captured=ZERO, now=now)
    problems = checkout_api.checkout_cart_problems(request)
    if problems:
        return finish_failed(
            attempt=attempt,
            status=AttemptStatus.REJECTED,
            message="The cart fails the Checkout Service's rules (not sent): "
            + "; ".join(problems),
            now=now,
        )
    # Idempotent by the trip id with the identical payload: resending after a lost answer is
    # safe (``retry_safe`` in integrations/amazon/checkout.py), so CHECKOUT_SENT resumes rather
    # than resolves.
    mark(attempt, step=AttemptStep.CHECKOUT_SENT)
    result = checkout_api.client().checkout_cart(request)
    record_call(attempt, "CheckoutCart", request.to_wire(), {"orderId": result.order_id})
    mark(attempt, remote_order_id=result.order_id)
    return finish_paid(attempt=attempt, captured=order.total, now=now)


# --- finishing an attempt -------------------------------------------------------------------------


def close(attempt: PaymentAttempt, *, status: str, **fields: Any) -> None:
    attempt.status = status
    attempt.lease_until = None
    attempt.finished_at = timezone.now()
    for key, value in fields.items():
        setattr(attempt, key, value)
    attempt.save()


def error_stage(attempt: PaymentAttempt) -> str:
    if attempt.service == PaymentMode.CHECKOUT_SERVICE:
        return ErrorStage.CHECKOUT
    return ErrorStage.PAYMENT


def _book_tenders(*, order: Order, attempt: PaymentAttempt, captured: Decimal) -> Decimal:
    """The tenders of a paid order: the card for what was captured and, when that was short of
    the total, store credit for the rest (seed 000: what exceeds the authorized amount "is taken
    as Store Credit"); the store credit stays owed on the shopper's ledger. Returns it."""
    remainder = max(order.total - captured, ZERO)
    if captured > 0:
        Tender.objects.get_or_create(
            reference=f"{attempt.idempotency_key}:card",
            defaults={
                "order": order,
                "attempt": attempt,
                "kind": TenderKind.CARD,
                "amount": captured,
                "currency": order.currency,
            },
        )
    if remainder > 0:
        Tender.objects.get_or_create(
            reference=f"{attempt.idempotency_key}:store-credit",
            defaults={
                "order": order,
                "attempt": attempt,
                "kind": TenderKind.STORE_CREDIT,
                "amount": remainder,
                "currency": order.currency,
            },
        )
    return remainder


def finish_paid(
    *,
    attempt: PaymentAttempt,
    captured: Decimal,
    now: datetime,
    resolution: str = "",
    actor: AbstractBaseUser | None = None,
) -> PaymentAttempt:
    actor = actor or attempt.initiated_by
    with transaction.atomic():
        order = (
            Order.objects.select_for_update()
            .select_related("trip", "store")
            .get(pk=attempt.order_id)
        )
        close(
            attempt,
            status=AttemptStatus.SUCCEEDED,
            step=AttemptStep.DONE,
            captured_amount=captured,
            error="",
            resolution=resolution or attempt.resolution,
        )
        remainder = _book_tenders(order=order, attempt=attempt, captured=captured)
        if remainder > 0 or ledger_has(reference=debt_reference(order)):
            # Collected less than the total (a reduced retry or the authorized amount), or after
            # a decline: the debt stands for the total and the capture pays part or all of it.
            book_debt(order)
            if remainder > 0:
                # What the card did not cover is store credit owed (seed 000); the debt's note
                # says so (its amount, the total, is unchanged).
                LedgerEntry.objects.filter(reference=debt_reference(order)).update(
                    note=(
                        f"Order {order.purchase_id}: {remainder} {order.currency} owed as store "
                        f"credit (card collected {captured} of {order.total})"
                    )
                )
            if captured > 0:
                ledger_book(
                    reference=f"{attempt.idempotency_key}:capture",
                    kind=LedgerKind.PAYMENT,
                    amount=-captured,
                    currency=order.currency,
                    note=f"Order {order.purchase_id}: captured on attempt {attempt.attempt_no}",
                    **ledger_party(order),
                )
        empty = order.total <= 0
        receipt_next = not empty and attempt.service == PaymentMode.PAYMENT_SERVICE
        fields: dict[str, Any] = {
            "captured_amount": captured,
            "store_credit_amount": remainder,
            "error_stage": "",
            "error_message": "",
            "checkout_order_id": attempt.remote_order_id,
            **order_next_action(
                order,
                NextAction.RECEIPT if receipt_next else NextAction.NONE,
                now + timedelta(seconds=settings.JWO_TASK_GRACE_SECONDS),
            ),
        }
        if not receipt_next:
            fields["completed_at"] = timezone.now()
        reason = (
            "empty cart: pre-auth released"
            if empty
            else f"captured {captured} {order.currency}"
            + (f"; {remainder} {order.currency} owed as store credit" if remainder > 0 else "")
        )
        order_transition(
            order=order,
            to=OrderStatus.PAID if receipt_next else OrderStatus.COMPLETED,
            actor=actor,
            reason=reason,
            fields=fields,
        )
        payment_status_report_queue(
            order=order, reference=f"{attempt.idempotency_key}:report", when=now
        )
        alert_resolve(kind=AlertKind.PAYMENT_REVIEW, key=f"order:{order.pk}")
        order_event(
            order=order,
            type="payment_succeeded",
            actor=actor,
            attempt_no=attempt.attempt_no,
            captured=str(captured),
            store_credit=str(remainder),
            resolution=attempt.resolution,
        )
    logger.info(
        "payment succeeded: %s %s",
        captured,
        order.currency,
        extra={"order_id": order.pk, "trip_id": order.trip.trip_id},
    )
    if receipt_next:
        from .receipts import payment_receipt_fetch

        payment_receipt_fetch(order_id=order.pk, now=now)
    return attempt


def finish_failed(
    *, attempt: PaymentAttempt, status: str, message: str, now: datetime
) -> PaymentAttempt:
    """DECLINED: booked as owed, the next automatic slot scheduled. REJECTED (Amazon refused the
    request): no automatic retry; the order shows Amazon's message and staff may Retry."""
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("trip").get(pk=attempt.order_id)
        close(attempt, status=status, error=message[:500])
        if status == AttemptStatus.DECLINED:
            book_debt(order)
            payment_status_report_queue(
                order=order, reference=f"{attempt.idempotency_key}:report", when=now
            )
            due = next_retry_at(order=order, retry_no=attempt.retry_no + 1, now=now)
            suffix = (
                "" if due else " No automatic retry is left; the balance waits for the shopper."
            )
        else:
            due = None
            suffix = " Not retried automatically: fix the cause, then Retry."
        order_transition(
            order=order,
            to=OrderStatus.ERROR,
            actor=attempt.initiated_by,
            reason=message[:300],
            fields={
                "error_stage": error_stage(attempt),
                "error_message": (message + "." + suffix)[:500],
                **order_next_action(order, NextAction.PAY if due else NextAction.NONE, due),
            },
        )
        order_event(
            order=order,
            type="payment_failed",
            actor=attempt.initiated_by,
            attempt_no=attempt.attempt_no,
            status=status,
            message=message[:300],
        )
    logger.warning(
        "payment %s: %s",
        status.lower(),
        message,
        extra={"order_id": order.pk, "trip_id": order.trip.trip_id},
    )
    if status == AttemptStatus.DECLINED and attempt.service == PaymentMode.PAYMENT_SERVICE:
        from .receipts import payment_receipt_fetch

        payment_receipt_fetch(order_id=order.pk, now=now)
    return attempt


def _finish_pending(*, attempt: PaymentAttempt, now: datetime) -> PaymentAttempt:
    """PENDING: the same amount is asked again shortly, at most ``JWO_PENDING_MAX_CHECKS`` times
    for one slot; then the order is in ERROR (staff are alerted) and the schedule goes on."""
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("store").get(pk=attempt.order_id)
        close(attempt, status=AttemptStatus.PENDING, error="AdjustCharge is PENDING")
        checks = order.payment_attempts.filter(
            retry_no=attempt.retry_no, status=AttemptStatus.PENDING
        ).exclude(trigger=AttemptTrigger.MANUAL)
        if attempt.trigger != AttemptTrigger.MANUAL and (
            checks.count() >= settings.JWO_PENDING_MAX_CHECKS
        ):
            due = next_retry_at(order=order, retry_no=attempt.retry_no + 1, now=now)
            message = f"AdjustCharge stayed PENDING after {checks.count()} checks" + (
                "" if due else "; no automatic retry is left"
            )
            order_transition(
                order=order,
                to=OrderStatus.ERROR,
                reason=message,
                fields={
                    "error_stage": error_stage(attempt),
                    "error_message": message[:500],
                    **order_next_action(order, NextAction.PAY if due else "", due),
                },
            )
            pending_too_long = True
        else:
            due = _within_window(order, now + timedelta(seconds=settings.JWO_PENDING_RETRY_SECONDS))
            fields = order_next_action(order, NextAction.PAY if due else "", due)
            order.save(update_fields=[*fields, "updated_at"])
            pending_too_long = False
        order_event(
            order=order,
            type="payment_pending",
            attempt_no=attempt.attempt_no,
            next_action_at=due.isoformat() if due else None,
        )
        if pending_too_long:
            alert_raise(
                kind=AlertKind.PAYMENT_PENDING_TOO_LONG,
                key=f"order:{order.pk}",
                title=f"Order {order.purchase_id}: AdjustCharge stayed PENDING",
                detail=f"{message}. The order is in ERROR; the retry schedule goes on.",
                store=order.store,
            )
    return attempt


def _park(
    *,
    attempt: PaymentAttempt,
    error: str,
    to: str,
    message: str,
    action: str,
    at: datetime | None,
    actor: AbstractBaseUser | None,
) -> Order:
    """In one transaction: the attempt, left open at its step, gives up its lease and keeps the
    error; the order goes to ``to`` showing ``message``, with its next action."""
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("store").get(pk=attempt.order_id)
        attempt.lease_until = None
        attempt.error = error[:500]
        attempt.save(update_fields=["lease_until", "error", "updated_at"])
        order_transition(
            order=order,
            to=to,
            actor=actor,
            reason=message[:300],
            fields={
                "error_stage": error_stage(attempt),
                "error_message": message[:500],
                **order_next_action(order, action, at),
            },
        )
    return order


def _suspend(*, attempt: PaymentAttempt, exc: AmazonTransientError, now: datetime):
    """Amazon did not answer an idempotent call: the attempt stays open at its step (the next
    try resumes it with the same amounts) and the order shows the error until then."""
    wait = exc.retry_after or settings.JWO_TRANSIENT_RETRY_SECONDS
    due = _within_window(attempt.order, now + timedelta(seconds=wait))
    message = f"Amazon did not answer ({exc}); the attempt is resumed automatically."
    if due is None:
        message = f"Amazon did not answer ({exc}); the retry window closed."
    _park(
        attempt=attempt,
        error=f"{exc}",
        to=OrderStatus.ERROR,
        message=message,
        action=NextAction.RESUME if due else NextAction.NONE,
        at=due,
        actor=attempt.initiated_by,
    )
    logger.warning("payment suspended: %s", exc, extra={"order_id": attempt.order_id})
    return attempt


# --- unknown outcomes: read, never repeat blind ---------------------------------------------------


def outcome_unknown(*, attempt: PaymentAttempt, evidence: str, now: datetime) -> PaymentAttempt:
    """A capture went out and no answer came back: the order waits for a read of Amazon's record
    (``payment_resolve``), shortly; nothing is sent again until that read has spoken."""
    message = (
        f"Amazon did not answer the capture ({evidence}); asking Amazon whether it happened "
        "before anything is sent again."
    )
    _park(
        attempt=attempt,
        error=evidence,
        to=OrderStatus.ERROR,
        message=message,
        action=NextAction.RESOLVE,
        at=now + timedelta(seconds=settings.JWO_RESOLVE_AFTER_SECONDS),
        actor=attempt.initiated_by,
    )
    logger.warning("capture outcome unknown: %s", evidence, extra={"order_id": attempt.order_id})
    return attempt


def _has_settlement(data: payments_api.TransactionalData) -> bool:
    return bool(data.card_statement_transaction_id or data.reconciliation_id)


def _has_card_record(data: payments_api.TransactionalData) -> bool:
    return bool(data.brand or data.tail or data.authorization_response_code)


def payment_resolve(
    *, order_id: int, actor: AbstractBaseUser | None = None, now: datetime | None = None
) -> PaymentAttempt | None:
    """Settle an attempt whose CaptureCharge went out without an answer, by reading the trip's
    record (GetTransactionalData) first.

    Amazon's pages say neither what a second capture does nor when the transactional data is
    ready (a read may answer "not found"). The careful reading taken here: the
    settlement references (``cardStatementTransactionId``, ``reconciliationId``) belong to a
    captured transaction — an authorization alone has no statement line. So:

    - a record with a settlement reference: the capture happened; it is booked, never resent;
    - a card record without one: Amazon holds the authorization but no capture; the capture is
      sent again (this is not blind: the read said it never arrived);
    - no record (an empty answer, a refusal) or reads failing ``JWO_RESOLVE_MAX_READS`` times:
      nobody can tell; the order waits in REVIEW for a person (review.py).
    """
    now = now or timezone.now()
    with transaction.atomic():
        order = Order.objects.select_for_update().select_related("trip").get(pk=order_id)
        attempt = order.payment_attempts.filter(
            status=AttemptStatus.STARTED, step=AttemptStep.CAPTURE_SENT
        ).first()
        if attempt is None or order.status == OrderStatus.REVIEW:
            if order.next_action == NextAction.RESOLVE:  # nothing to read: staff decide
                fields = order_next_action(order, NextAction.NONE, None)
                order.save(update_fields=[*fields, "updated_at"])
            return None
        if attempt.lease_until is not None and attempt.lease_until > now:
            raise PaymentInProgress(
                "Amazon is being asked what happened to this order's capture; look again in a "
                "moment."
            )
        attempt.lease_until = _lease(now)
        attempt.reads += 1
        attempt.save(update_fields=["lease_until", "reads", "updated_at"])
        fields = order_next_action(order, NextAction.RESOLVE, attempt.lease_until)
        order.save(update_fields=[*fields, "updated_at"])
        order_event(
            order=order, type="payment_outcome_read", actor=actor, attempt_no=attempt.attempt_no
        )
    trip = trip_ref(order)
    try:
        data = payments_api.client().get_transactional_data(trip)
    except AmazonTransientError as exc:
        record_call(attempt, "GetTransactionalData", trip.to_wire(), {"error": str(exc)})
        if attempt.reads >= settings.JWO_RESOLVE_MAX_READS:
            return to_review(
                attempt=attempt,
                evidence=f"{attempt.reads} reads of the trip's record failed; the last: {exc}",
                now=now,
            )
        wait = exc.retry_after or settings.JWO_RESOLVE_AFTER_SECONDS
        with transaction.atomic():
            PaymentAttempt.objects.filter(pk=attempt.pk).update(lease_until=None)
            _set_next(order.pk, NextAction.RESOLVE, now + timedelta(seconds=wait))
        return attempt
    except AmazonError as exc:
        record_call(attempt, "GetTransactionalData", trip.to_wire(), {"error": str(exc)})
        return to_review(attempt=attempt, evidence=f"the read was refused: {exc}", now=now)
    record_call(
        attempt,
        "GetTransactionalData",
        trip.to_wire(),
        {k: v for k, v in data.__dict__.items() if v is not None},
    )
    if _has_settlement(data):
        mark(attempt, resolution="read: Amazon's record shows the capture")
        return finish_paid(attempt=attempt, captured=attempt.capture_amount, now=now, actor=actor)
    if _has_card_record(data):
        mark(attempt, resolution="read: no capture on Amazon's record; capture sent again")
        order_event(
            order=order,
            type="capture_resent_after_read",
            actor=actor,
            attempt_no=attempt.attempt_no,
            amount=str(attempt.capture_amount),
        )
        try:
            return send_capture(attempt=attempt, order=order, now=now)
        except AmazonError as exc:
            return handle_amazon_error(attempt=attempt, exc=exc, now=now)
    return to_review(
        attempt=attempt, evidence="the trip's record is empty: the read cannot tell", now=now
    )


def to_review(*, attempt: PaymentAttempt, evidence: str, now: datetime) -> PaymentAttempt:
    """Nobody can tell whether the capture happened: the order waits for a person (Financial →
    Orders, "Payment outcome unknown"), with the evidence. Never an automatic second capture."""
    message = (
        f"Payment outcome unknown: a capture of {attempt.capture_amount} {attempt.currency} "
        f"went out without an answer and {evidence}. Check with Amazon, then choose "
        "'Amazon captured it' or 'Capture again'."
    )
    with transaction.atomic():
        order = _park(
            attempt=attempt,
            error=evidence,
            to=OrderStatus.REVIEW,
            message=message,
            action=NextAction.NONE,
            at=None,
            actor=None,
        )
        alert_raise(
            kind=AlertKind.PAYMENT_REVIEW,
            key=f"order:{order.pk}",
            title=f"Order {order.purchase_id}: payment outcome unknown — needs review",
            detail=message,
            store=order.store,
            severity=AlertSeverity.CRITICAL,
        )
    logger.error("payment outcome needs review: %s", evidence, extra={"order_id": order.pk})
    return attempt
