"""The order grid (Financial → Orders), the order page, Retry and staff refunds.

The grid lives here rather than in ``orders/`` because its Retry and Refund buttons call the
payments services, and ``orders`` sits below ``payments`` (docs/ARCHITECTURE.md "Apps and layers").
"""

import re
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from catalog.selectors import skus_still_missing
from jwo_console.csvsafe import CSV_CONTENT_TYPE, SafeWriter
from jwo_console.exceptions import ApplicationError
from jwo_console.forms import parse_money
from jwo_console.paginator import CappedPaginator
from jwo_console.redirects import safe_next
from jwo_console.templatetags.console import json_text
from orders.choices import ErrorStage, OrderStatus
from orders.filters import OrderFilterSet
from orders.models import Order

from . import bulk, services
from .choices import AttemptStatus, RefundReason, RefundStatus
from .models import Refund

PAGE_SIZE = 50
# orders/services.py words a cart line the catalog lacks as "item SKU <sku> not in catalog"
MISSING_SKU = re.compile(r"item SKU (\S+) not in catalog")
_LEVELS = {"success": messages.SUCCESS, "warning": messages.WARNING, "error": messages.ERROR}


def _grid_queryset():
    return Order.objects.select_related("store", "trip", "trip__shopper").defer("trip__auth_events")


@permission_required("orders.view_order", raise_exception=True)
def order_list(request: HttpRequest) -> HttpResponse:
    filterset = OrderFilterSet(request.GET, queryset=_grid_queryset())
    paginator = CappedPaginator(filterset.qs, PAGE_SIZE)
    trips = filterset.count_by_trips()
    if trips is not None:
        # a search alone is counted on its trips (one order each), through their indexes
        paginator.count = trips[: paginator.cap + 1].count()
    page = paginator.get_page(request.GET.get("page"))
    now = timezone.now()
    for order in page.object_list:
        order.retry_state = services.order_retry_state(order=order, now=now)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "payments/order_list.html",
        {
            "filter": filterset,
            # read here, not as filter.errors.items in the template (a key named "items")
            "filter_errors": list(filterset.errors.items()),
            "page": page,
            "query": query.urlencode(),
            "any_orders": Order.objects.exists() if not page.object_list else True,
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


EXPORT_COLUMNS = [
    "Order number",
    "Created (UTC)",
    "Store",
    "Order Source",
    "Entry method",
    "Shopper",
    "Total",
    "Captured",
    "Refunded",
    "Currency",
    "Tenders",
    "Store credit owed",
    "Status",
    "Error stage",
    "Error Message",
    "Retry By Date (UTC)",
    "Trip id",
]


def _tenders(order: Order) -> str:
    """How the order was settled, from its fields (no query per row): the card's capture and,
    when it was collected short, the store credit owed."""
    parts = []
    if order.captured_amount > 0:
        parts.append(f"card {order.captured_amount}")
    if order.store_credit_amount > 0:
        parts.append(f"store credit {order.store_credit_amount}")
    return "; ".join(parts)


@permission_required("orders.view_order", raise_exception=True)
def order_export(request: HttpRequest) -> StreamingHttpResponse:
    """The grid's rows under its filters, as CSV, streamed (a million rows never sit in memory)."""
    filterset = OrderFilterSet(request.GET, queryset=_grid_queryset())
    writer = SafeWriter(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(EXPORT_COLUMNS)
        for order in filterset.qs.iterator(chunk_size=2000):
            trip = order.trip
            yield writer.writerow(
                [
                    order.purchase_id,
                    order.created_at.isoformat(),
                    order.store.name,
                    order.source,
                    trip.entry_method,
                    trip.shopper.email if trip.shopper else trip.amazon_shopper_id,
                    order.total,
                    order.captured_amount,
                    order.refunded_amount,
                    order.currency,
                    _tenders(order),
                    order.store_credit_amount,
                    order.status,
                    order.error_stage,
                    order.error_message,
                    order.retry_by.isoformat(),
                    trip.trip_id,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type=CSV_CONTENT_TYPE)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="jwo-orders-{stamp}.csv"'
    return response


@permission_required("orders.view_order", raise_exception=True)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order.objects.select_related("store", "trip", "trip__shopper"), pk=pk)
    events = list(order.events.select_related("actor"))
    for event in events:
        # read here, not in the template: a parameter named "items" (the "created" event has
        # one) would shadow dict.items there
        params = event.parameters if isinstance(event.parameters, dict) else {}
        event.parameter_pairs = [  # empty values say nothing; nested ones read as JSON
            (k, json_text(v, indent=None) if isinstance(v, dict | list) else v)
            for k, v in params.items()
            if v not in (None, "", [], {})
        ]
    order.retry_state = services.order_retry_state(order=order)
    named = (
        MISSING_SKU.findall(order.error_message)
        if order.status == OrderStatus.ERROR and order.error_stage == ErrorStage.PRICING
        else []
    )
    missing_skus = skus_still_missing(store=order.store, skus=named)
    skus_fixed = bool(named) and not missing_skus
    return render(
        request,
        "payments/order_detail.html",
        {
            "order": order,
            "lines": order.lines.all(),
            "events": events,
            "attempts": order.payment_attempts.select_related("initiated_by").order_by(
                "-attempt_no"
            ),
            "receipt": getattr(order, "receipt", None),
            "refunds": order.refunds.select_related("requested_by", "decided_by"),
            "retry_state": order.retry_state,
            "refundable": services.refundable_amount(order=order),
            "refund_deadline": services.refund_deadline(order=order),
            "reasons": RefundReason.choices,
            "reports": order.status_reports.all(),
            "tenders": order.tenders.all(),
            "preauth_near_expiry": services.preauth_near_expiry(order=order),
            "review_attempt": order.payment_attempts.filter(status=AttemptStatus.STARTED).first()
            if order.status == OrderStatus.REVIEW
            else None,
            "capture_again_risk": services.CAPTURE_AGAIN_RISK,
            "missing_skus": missing_skus,
            "skus_fixed": skus_fixed,
        },
    )


@require_POST
@permission_required("orders.retry_payment", raise_exception=True)
def order_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Payment outcome unknown: staff say "Amazon captured it" or, confirmed, "Capture again"."""
    order = get_object_or_404(Order, pk=pk)
    decision = request.POST.get("decision")
    try:
        if decision == "captured":
            services.payment_review_captured(
                order_id=order.pk, actor=request.user, note=request.POST.get("note", "")[:150]
            )
        elif decision == "capture_again":
            services.payment_review_capture_again(
                order_id=order.pk,
                actor=request.user,
                confirmed=request.POST.get("confirmed") == "yes",
            )
        else:
            messages.error(request, "Choose what happened to the capture.")
            return redirect("payments:order", pk=order.pk)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("payments:order", pk=order.pk)
    order.refresh_from_db()
    messages.success(request, f"{order.purchase_id}: {order.get_status_display().lower()}.")
    return redirect("payments:order", pk=order.pk)


@permission_required("payments.view_refund", raise_exception=True)
def refund_list(request: HttpRequest) -> HttpResponse:
    """Refund requests (Financial → Refunds): shoppers' requests wait here for a decision."""
    status = request.GET.get("status", RefundStatus.REQUESTED)
    refunds = Refund.objects.select_related("order__store", "requested_by", "decided_by")
    if status in RefundStatus.values:
        refunds = refunds.filter(status=status)
    page = CappedPaginator(refunds.order_by("created_at", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "payments/refund_list.html",
        {
            "page": page,
            "status": status,
            "statuses": RefundStatus.choices,
            "waiting": Refund.objects.filter(status=RefundStatus.REQUESTED).count(),
        },
    )


def _back(request: HttpRequest, order: Order) -> HttpResponse:
    target = safe_next(request)
    if target.startswith((reverse("payments:orders"), reverse("payments:refunds"))):
        return redirect(target)
    return redirect("payments:order", pk=order.pk)


@require_POST
@permission_required("orders.retry_payment", raise_exception=True)
def order_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Retry: the same service as the automatic retry, run now; the result is shown."""
    order = get_object_or_404(Order.objects.select_related("store"), pk=pk)
    outcome = bulk.retry_one(order=order, actor=request.user)
    messages.add_message(request, _LEVELS[outcome.level], f"{outcome.purchase_id}: {outcome.text}")
    return _back(request, order)


@require_POST
@permission_required("orders.retry_payment", raise_exception=True)
def orders_retry_selected(request: HttpRequest) -> HttpResponse:
    """Retry of the orders ticked on the grid: each as its own Retry would, reported per order."""
    ids = [v for v in request.POST.getlist("order") if v.isascii() and v.isdigit() and len(v) < 19]
    back = safe_next(request)
    back = back if back.startswith(reverse("payments:orders")) else reverse("payments:orders")
    if not ids:
        messages.error(request, "Tick the orders to retry first.")
        return redirect(back)
    outcomes = bulk.orders_retry(order_ids=ids, actor=request.user)
    messages.info(request, bulk.retry_summary(outcomes))
    for outcome in outcomes:
        messages.add_message(
            request, _LEVELS[outcome.level], f"{outcome.purchase_id}: {outcome.text}"
        )
    return redirect(back)


@require_POST
@permission_required("payments.refund_order", raise_exception=True)
def order_refund(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(Order, pk=pk)
    try:
        amount = parse_money(request.POST.get("amount", ""))
    except ValidationError:
        messages.error(request, "Enter the amount to refund in digits, e.g. 4.99.")
        return _back(request, order)
    reason = request.POST.get("reason_code", "")
    if reason not in RefundReason.values:
        messages.error(request, "Choose a reason for the refund.")
        return _back(request, order)
    try:
        refund = services.refund_request(
            order=order,
            amount=amount,
            reason_code=reason,
            actor=request.user,
            note=request.POST.get("note", ""),
        )
        refund = services.refund_approve(refund=refund, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(request, order)
    if refund.status == RefundStatus.REFUNDED:
        messages.success(request, f"Refunded {refund.amount} {refund.currency}.")
    elif refund.status == RefundStatus.APPROVED:
        messages.warning(
            request, "Amazon did not answer; the refund is resent with the same request id."
        )
    else:
        messages.error(request, refund.rejection_reason or "The refund was refused.")
    return _back(request, order)


@require_POST
@permission_required("payments.change_refund", raise_exception=True)
def refund_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject a shopper's refund request."""
    refund = get_object_or_404(Refund.objects.select_related("order"), pk=pk)
    try:
        if request.POST.get("decision") == "approve":
            refund = services.refund_approve(refund=refund, actor=request.user)
            if refund.status == RefundStatus.REFUNDED:
                text = f"Approved: {refund.amount} {refund.currency} is back on the shopper's card."
            else:
                text = (
                    f"Approved: the refund of {refund.amount} {refund.currency} is being sent "
                    "to Amazon."
                )
            messages.success(request, text)
        else:
            services.refund_reject(
                refund=refund, actor=request.user, reason=request.POST.get("reason", "")
            )
            messages.success(request, "Refund rejected; the shopper is told why.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _back(request, refund.order)
