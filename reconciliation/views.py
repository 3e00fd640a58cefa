"""Financial → Reconciliation: per store per day, the newest run's result; a run's mismatches
with a drill-down to our order, Amazon's record (its file rows and events) and a CSV export."""

import csv
from collections.abc import Iterator
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from feeds.intraday import intraday_columns, parse_rows
from feeds.models import AmazonOrder, FeedEvent, IntradayFile
from jwo_console.paginator import CappedPaginator
from orders.models import Order
from stores.models import Store

from .forms import RunNowForm
from .models import MismatchKind, ReconciliationItem, ReconciliationRun
from .services import store_today
from .tasks import reconciliation_run_task

MAX_DAYS = 62
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _date(value: str | None, default: date) -> date:
    """A day from the query, or the default for one that cannot be read or lies outside
    2000-2100 (date arithmetic on year 1 or 9999 overflows)."""
    try:
        day = date.fromisoformat(value) if value else default
    except ValueError:
        return default
    return day if 2000 <= day.year <= 2100 else default


@permission_required("reconciliation.view_reconciliationrun", raise_exception=True)
def days(request: HttpRequest) -> HttpResponse:
    """The days of the mapped stores, newest first. A day that has not started in a store's zone
    is neither listed nor offered (``reconciliation_day_check``): the range ends at the latest
    store's today, whatever ``to`` asks."""
    mapped = list(Store.objects.filter(jwo_mapping__isnull=False).order_by("name"))
    today_of = {store.pk: store_today(store=store) for store in mapped}
    latest_today = max(today_of.values(), default=timezone.now().date())
    day_to = min(_date(request.GET.get("to"), latest_today), latest_today)
    day_from = _date(request.GET.get("from"), day_to - timedelta(days=13))
    if day_from > latest_today:
        day_from = day_to - timedelta(days=13)
    if day_from > day_to:
        day_from, day_to = day_to, day_from
    day_from = max(day_from, day_to - timedelta(days=MAX_DAYS - 1))
    stores = mapped
    store_pk = request.GET.get("store", "")
    if store_pk.isascii() and store_pk.isdigit() and len(store_pk) < 19:
        stores = [store for store in mapped if store.pk == int(store_pk)]
    mismatched_only = request.GET.get("mismatched") == "1"
    latest: dict[tuple[int, date], ReconciliationRun] = {}
    for run in ReconciliationRun.objects.filter(
        store__in=stores, day__gte=day_from, day__lte=day_to
    ).order_by("store", "day", "-started_at"):
        latest.setdefault((run.store_id, run.day), run)
    rows = []
    day = day_to
    while day >= day_from:
        for store in stores:
            if day > today_of[store.pk]:
                continue
            run = latest.get((store.pk, day))
            if mismatched_only and not (run and run.mismatches):
                continue
            rows.append({"store": store, "day": day, "run": run})
        day -= timedelta(days=1)
    return render(
        request,
        "reconciliation/days.html",
        {
            "rows": rows,
            "stores": mapped,
            "store_pk": store_pk,
            "day_from": day_from,
            "day_to": day_to,
            "latest_today": latest_today,
            "mismatched_only": mismatched_only,
            "kinds": MismatchKind.choices,
        },
    )


@permission_required("reconciliation.add_reconciliationrun", raise_exception=True)
@require_POST
def run_now(request: HttpRequest) -> HttpResponse:
    """Queue a run of one store's day. A refusal (no such mapped store, a day that cannot be
    read or has not started) answers 400 with the days page and the reason on top."""
    form = RunNowForm(request.POST)
    if not form.is_valid():
        for name, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{name}: {error}")
        response = days(request)
        response.status_code = 400
        return response
    store, day = form.cleaned_data["store"], form.cleaned_data["day"]
    reconciliation_run_task.delay(store.pk, day.isoformat(), request.user.pk)
    messages.success(request, f"Reconciliation of {store.name} on {day} started.")
    return redirect(f"{reverse('reconciliation:days')}?store={store.pk}")


def _items(request: HttpRequest, run: ReconciliationRun):
    items = run.items.all()
    kind = request.GET.get("kind", "")
    if kind in MismatchKind.values:
        items = items.filter(kind=kind)
    return items, kind


@permission_required("reconciliation.view_reconciliationrun", raise_exception=True)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(
        ReconciliationRun.objects.select_related("store", "requested_by"), pk=pk
    )
    items, kind = _items(request, run)
    page = CappedPaginator(items.select_related("order"), 50).get_page(request.GET.get("page"))
    history = ReconciliationRun.objects.filter(store=run.store, day=run.day).order_by(
        "-started_at"
    )[:20]
    return render(
        request,
        "reconciliation/run.html",
        {"run": run, "page": page, "kind": kind, "history": history},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@permission_required("reconciliation.view_reconciliationrun", raise_exception=True)
def run_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    run = get_object_or_404(ReconciliationRun.objects.select_related("store"), pk=pk)
    items, kind = _items(request, run)
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield writer.writerow(
            ["Store", "Day", "Mismatch", "Trip id", "Order number", "Ours", "Amazon's"]
        )
        for item in items.select_related("order").iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    neutralise(v)
                    for v in (
                        run.store.name,
                        run.day.isoformat(),
                        item.get_kind_display(),
                        item.trip_id,
                        item.order.purchase_id if item.order else "",
                        item.ours,
                        item.amazons,
                    )
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    name = f"reconciliation-{run.store.code}-{run.day.isoformat()}{'-' + kind if kind else ''}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _file_rows(trip_id: str, jwo_store_id: str, around) -> list[dict]:
    """Every row of the stored files (a week either side) that names this trip."""
    columns = intraday_columns()
    found = []
    files = IntradayFile.objects.filter(
        last_modified__gte=around - timedelta(days=7),
        last_modified__lte=around + timedelta(days=7),
        content__contains=trip_id,
    ).order_by("last_modified")[:50]
    for file in files:
        _, rows = parse_rows(file.content, columns)
        for row_no, _parsed, error, raw in rows:
            if trip_id in raw.values():
                found.append({"file": file, "row_no": row_no, "raw": raw, "error": error})
    return found


@permission_required("reconciliation.view_reconciliationrun", raise_exception=True)
def amazon_order(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(AmazonOrder.objects.select_related("store", "file"), pk=pk)
    ours = (
        Order.objects.filter(store=record.store, trip__trip_id=record.trip_id).first()
        if record.store
        else None
    )
    return render(
        request,
        "reconciliation/amazon_order.html",
        {
            "record": record,
            "lines": record.lines.select_related("file"),
            "file_rows": _file_rows(record.trip_id, record.jwo_store_id, record.ordered_at),
            "events": FeedEvent.objects.filter(trip_id=record.trip_id).order_by("created_at")[:100],
            "order": ours,
        },
    )


@permission_required("reconciliation.view_reconciliationrun", raise_exception=True)
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A mismatch: to Amazon's record when there is one, otherwise our order with its events."""
    item = get_object_or_404(ReconciliationItem, pk=pk)
    if item.amazon_order_id:
        return redirect("reconciliation:amazon-order", item.amazon_order_id)
    if item.order_id:
        return redirect("payments:order", item.order_id)
    return redirect("reconciliation:run", item.run_id)
