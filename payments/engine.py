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

The modules: this one opens attempts (``payment_collect``); ``capture.py`` runs them;
``finish.py`` finishes them; ``resolve.py`` reads unknown capture outcomes; ``tenders.py``
books debts and tenders; ``attempts.py`` holds what they share.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.choices import ErrorStage, NextAction, OrderStatus
from orders.models import Order
from orders.selectors import order_get
from orders.services import order_event, order_next_action, order_price
from stores.choices import PaymentMode
from stores.models import JwoStoreMapping
from stores.selectors import store_settings

from .attempts import (
    PaymentInProgress,
    RetryNotAllowed,
    _lease,
    _set_next,
    _within_window,
    logger,
)
from .capture import _attempt_run
from .choices import (
    PAYOFF_UNFINISHED,
    AdjustStatus,
    AttemptStatus,
    AttemptStep,
    AttemptTrigger,
    AuthorizedSource,
)
from .models import PaymentAttempt
from .resolve import payment_resolve
from .rules import order_retry_state, retry_plan, retry_state_message


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
    order = order_get(order_id, "store")
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


def _attempt_open(
    *, order_id: int, trigger: str, actor: AbstractBaseUser | None, now: datetime
) -> PaymentAttempt | None:
    lease = _lease(now)
    try:
        with transaction.atomic():
            order = order_get(order_id, "store", lock=True)
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
            order.retries = attempt.attempt_no  # attempts after the first (orders/models.py)
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
        .exclude(adjust_status=AdjustStatus.DECLINED)
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
