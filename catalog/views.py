"""Catalog pages: the item grid, edit, CSV import/export, Sync Items and its runs."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jwo_console.csvsafe import CSV_CONTENT_TYPE
from jwo_console.exceptions import ApplicationError
from jwo_console.redirects import redirect_next, safe_next
from stores.models import JwoStoreMapping, Store
from stores.selectors import current_merchant

from . import selectors, services, sync
from .choices import SyncRunKind, SyncState
from .filters import StoreItemFilterSet
from .forms import ImportForm, ItemAddForm, ItemForm, ScheduleForm, SyncRequestForm
from .models import CatalogImport, CatalogSyncRun, CatalogSyncSchedule, Item, StoreItem
from .rules import parse_price

PAGE_SIZE = 50


@permission_required("catalog.view_storeitem", raise_exception=True)
def item_list(request: HttpRequest) -> HttpResponse:
    filterset = StoreItemFilterSet(request.GET, queryset=selectors.store_items_for_grid())
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    mapped = Store.objects.filter(jwo_mapping__is_active=True).order_by("name")
    return render(
        request,
        "catalog/item_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "categories": selectors.categories(),
            "mapped_stores": mapped,
            "total_items": Item.objects.count(),
        },
    )


@permission_required("catalog.add_item", raise_exception=True)
def item_add(request: HttpRequest) -> HttpResponse:
    """Add item (Catalog → Items): the CSV's columns and a price per store, the import's rules.
    ``?sku=…&store=<pk>&next=<order page>`` pre-fills it from an order missing that SKU."""
    merchant = current_merchant(request.user)
    stores = list(Store.objects.filter(merchant=merchant).order_by("name")) if merchant else []
    initial = {"sku": request.GET.get("sku", "")[:255]}
    preselected = request.GET.get("store", "")
    form = ItemAddForm(request.POST or None, initial=initial)
    rows = [
        {
            "store": store,
            "sold": request.POST.get(f"sold-{store.pk}") == "on"
            if request.method == "POST"
            else (str(store.pk) == preselected or len(stores) == 1),
            "price": request.POST.get(f"price-{store.pk}", ""),
        }
        for store in stores
    ]
    problems: list[str] = []
    if request.method == "POST" and merchant is None:
        problems = ["Create a merchant and its stores first."]
    elif request.method == "POST" and form.is_valid():
        fields = {k: (v or "") for k, v in form.cleaned_data.items()}
        prices = {row["store"].code: row["price"] for row in rows if row["sold"]}
        item, problems = services.item_create(
            merchant=merchant, fields=fields, prices=prices, actor=request.user
        )
        if item is not None:
            if item.eligibility_error:
                messages.warning(
                    request, f"Added {item.sku}, but not eligible for JWO: {item.eligibility_error}"
                )
            else:
                messages.success(request, f"Added {item.sku}. Sync Items sends it to Amazon.")
            back = safe_next(request)
            if back:
                messages.info(request, "The order can be retried now: Retry prices it again.")
                return redirect(back)
            return redirect("catalog:item-edit", pk=item.pk)
    return render(
        request,
        "catalog/item_add.html",
        {
            "form": form,
            "rows": rows,
            "problems": problems,
            "next": safe_next(request),
        },
        status=400 if request.method == "POST" and (problems or form.errors) else 200,
    )


@permission_required("catalog.change_item", raise_exception=True)
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Item, pk=pk)
    entitlements = list(StoreItem.objects.filter(item=item).select_related("store"))
    form = ItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "extra_barcodes_text"}
        data["extra_barcodes"] = form.cleaned_data["extra_barcodes_text"]
        try:
            services.item_update(item=item, data=data, actor=request.user)
            for entitlement in entitlements:
                price = request.POST.get(f"price-{entitlement.pk}", "")
                active = request.POST.get(f"active-{entitlement.pk}") == "on"
                services.store_item_set(
                    item=item,
                    store=entitlement.store,
                    price=parse_price(price),
                    is_active=active,
                )
        except (ValidationError, ValueError) as exc:
            messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
        else:
            item.refresh_from_db()
            if item.eligibility_error:
                messages.warning(
                    request, f"Saved, but not eligible for JWO: {item.eligibility_error}"
                )
            else:
                messages.success(
                    request, f"Saved {item.sku}. Sync Items sends the change to Amazon."
                )
            back = safe_next(request)  # from an order that named this SKU
            return redirect(back) if back else redirect("catalog:items")
    return render(
        request,
        "catalog/item_edit.html",
        {"form": form, "item": item, "entitlements": entitlements, "next": safe_next(request)},
    )


@permission_required("catalog.add_catalogimport", raise_exception=True)
def import_start(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    merchant = current_merchant(request.user)
    if request.method == "POST" and form.is_valid():
        if merchant is None:
            messages.error(request, "Create a merchant and its stores first.")
        else:
            job = services.catalog_import_request(
                merchant=merchant, upload=form.cleaned_data["file"], actor=request.user
            )
            return redirect("catalog:import-detail", pk=job.pk)
    recent = CatalogImport.objects.all()[:10]
    return render(request, "catalog/import.html", {"form": form, "recent": recent})


@permission_required("catalog.view_catalogimport", raise_exception=True)
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(CatalogImport, pk=pk)
    return render(request, "catalog/import_detail.html", {"job": job})


@permission_required("catalog.view_storeitem", raise_exception=True)
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    merchant = current_merchant(request.user)
    rows = services.catalog_export_rows(merchant=merchant) if merchant else iter([""])
    response = StreamingHttpResponse(rows, content_type=CSV_CONTENT_TYPE)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="catalog-{stamp}.csv"'
    return response


@require_POST
@permission_required("catalog.add_catalogsyncrun", raise_exception=True)
def sync_request(request: HttpRequest) -> HttpResponse:
    form = SyncRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a mapped store to sync.")
        return redirect("catalog:items")
    store = get_object_or_404(Store, pk=form.cleaned_data["store"])
    kind = form.cleaned_data["kind"] or SyncRunKind.CHANGES
    try:
        run, created = sync.catalog_sync_run_request(store=store, kind=kind, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect_next(request, "catalog:items")
    if not created:
        messages.info(request, f"{store.name} is already syncing; here is that sync.")
    return redirect("catalog:sync-run", pk=run.pk)


@permission_required("catalog.view_catalogsyncrun", raise_exception=True)
def sync_runs(request: HttpRequest) -> HttpResponse:
    store = None
    store_pk = request.GET.get("store", "")
    if store_pk:
        if not (store_pk.isascii() and store_pk.isdigit() and len(store_pk) < 19):
            raise Http404("No such store.")
        store = get_object_or_404(Store, pk=int(store_pk))
    page = Paginator(selectors.sync_runs(store=store), 25).get_page(request.GET.get("page"))
    stores = []
    for mapping in JwoStoreMapping.objects.select_related("store").order_by("store__name"):
        schedule = CatalogSyncSchedule.objects.filter(store=mapping.store).first()
        stores.append((mapping, schedule, sync.sync_state_counts(mapping.store)))
    return render(
        request, "catalog/sync_runs.html", {"page": page, "store": store, "stores": stores}
    )


@permission_required("catalog.view_catalogsyncrun", raise_exception=True)
def sync_run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(selectors.sync_runs(), pk=pk)
    rejected = StoreItem.objects.filter(
        store=run.store, sync_state=SyncState.REJECTED
    ).select_related("item")
    page = Paginator(rejected.order_by("item__sku"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/sync_run.html",
        {
            "run": run,
            "log": _log_in_store_time(run),
            "uploads": run.uploads.all(),
            "rejected": page,
            "rejected_count": rejected.count(),
        },
    )


def _log_in_store_time(run: CatalogSyncRun) -> str:
    """The run's log (``catalog/sync.py`` stamps each line HH:MM:SS in UTC) in the store's
    time, like every other time on the page."""
    zone = run.store.zone
    day = run.created_at.astimezone(dt.UTC).date()
    lines = []
    for line in (run.log or "").splitlines():
        stamp, _, rest = line.partition(" ")
        try:
            utc = dt.datetime.combine(day, dt.time.fromisoformat(stamp), tzinfo=dt.UTC)
        except ValueError:
            lines.append(line)
            continue
        if utc < run.created_at - dt.timedelta(minutes=1):  # past midnight UTC
            utc += dt.timedelta(days=1)
        lines.append(f"{utc.astimezone(zone):%H:%M:%S} {rest}")
    return "\n".join(lines)


@permission_required("catalog.view_catalogsyncrun", raise_exception=True)
def sync_run_progress(request: HttpRequest, pk: int) -> JsonResponse:
    run = get_object_or_404(CatalogSyncRun, pk=pk)
    fields = [
        "status",
        "items_to_send",
        "items_sent",
        "items_accepted",
        "items_rejected",
        "items_ineligible",
        "items_archived",
        "batches_total",
        "batches_sent",
        "batches_done",
        "error",
    ]
    body = {f: getattr(run, f) for f in fields}
    body["status_label"] = run.get_status_display()
    body["finished"] = run.is_finished
    return JsonResponse(body)


@require_POST
@permission_required("catalog.change_catalogsyncschedule", raise_exception=True)
def schedule_set(request: HttpRequest, store_pk: int) -> HttpResponse:
    store = get_object_or_404(Store, pk=store_pk)
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            schedule = sync.catalog_sync_schedule_set(
                store=store,
                enabled=form.cleaned_data["enabled"],
                every_minutes=form.cleaned_data["every_minutes"],
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            note = f"every {schedule.every_minutes} minutes" if schedule.enabled else "off"
            messages.success(request, f"Automatic sync of {store.name}: {note}.")
    else:
        messages.error(request, "Sync at most every 5 minutes.")
    return redirect("catalog:sync-runs")
