"""Catalog → Stock. Views parse input, call a service or a selector, render."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from catalog.models import StoreItem
from jwo_console.paginator import CappedPaginator
from stores.models import Store

from . import selectors, services
from .forms import ACTION_KIND, StockChangeForm, StockImportForm
from .models import StockImport, StockLevel

PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 50


def _store_from(request: HttpRequest, stores) -> Store | None:
    raw = request.GET.get("store", "")
    if raw.isdigit():
        for store in stores:
            if store.pk == int(raw):
                return store
    return stores[0] if stores else None


class StockLevelListView(PermissionRequiredMixin, View):
    permission_required = "stock.view_stocklevel"

    def get(self, request: HttpRequest) -> HttpResponse:
        stores = list(selectors.stock_stores())
        store = _store_from(request, stores)
        level = request.GET.get("level", "")
        level = level if level in selectors.LEVEL_FILTERS else ""
        q = request.GET.get("q", "").strip()[:100]
        context = {
            "stores": stores,
            "store": store,
            "level": level,
            "q": q,
            "levels": selectors.LEVEL_FILTERS.items(),
            "can_count": request.user.has_perm("stock.count_stock"),
            "import_form": StockImportForm(initial={"store": store.pk if store else None}),
        }
        if store is not None:
            rows = selectors.stock_rows(store=store, level=level, q=q)
            page = CappedPaginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
            entitlements = list(page.object_list)
            sales = selectors.stock_sales(store=store, store_item_ids=[e.pk for e in entitlements])
            table = []
            for entitlement in entitlements:
                stock = getattr(entitlement, "stock", None)
                on_hand = stock.on_hand if stock else 0
                sold = sales.get(entitlement.pk)
                week = sold.week if sold else 0
                table.append(
                    {
                        "si": entitlement,
                        "stock": stock,
                        "on_hand": on_hand,
                        "reorder_point": stock.reorder_point if stock else None,
                        "below": stock is not None
                        and stock.reorder_point is not None
                        and stock.on_hand < stock.reorder_point,
                        "sold_today": sold.today if sold else 0,
                        "sold_week": week,
                        "cover": selectors.days_of_cover(on_hand=on_hand, sold_week=week),
                    }
                )
            params = {"store": store.pk, "level": level, "q": q}
            context.update(
                {
                    "page": page,
                    "table": table,
                    "query": urlencode({k: v for k, v in params.items() if v}),
                    "filtered": bool(level or q),
                }
            )
        return render(request, "stock/level_list.html", context)


class StockItemView(PermissionRequiredMixin, View):
    """One item in one store: its numbers, count / adjust / receive / reorder point, and its
    movement history."""

    permission_required = "stock.view_stocklevel"

    def _entitlement(self, pk: int) -> StoreItem:
        return get_object_or_404(StoreItem.objects.select_related("item", "store"), pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(request, self._entitlement(pk), StockChangeForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("stock.count_stock"):
            return HttpResponse("You may not change stock.", status=403)
        entitlement = self._entitlement(pk)
        form = StockChangeForm(request.POST)
        if not form.is_valid():
            return self._render(request, entitlement, form, status=400)
        action = form.cleaned_data["action"]
        quantity = form.cleaned_data["quantity"]
        reason = form.cleaned_data["reason"]
        try:
            if action == "count":
                level = services.stock_count(
                    store_item=entitlement, counted=quantity, actor=request.user, reason=reason
                )
                done = f"Counted: {services.quantity_text(level.on_hand)} on hand."
            elif action == "reorder":
                point = quantity.strip() or None
                level = services.stock_reorder_point_set(
                    store_item=entitlement, reorder_point=point, actor=request.user
                )
                done = (
                    f"Reorder point set to {services.quantity_text(level.reorder_point)}."
                    if level.reorder_point is not None
                    else "Reorder point cleared."
                )
            else:
                level = services.stock_adjust(
                    store_item=entitlement,
                    quantity=quantity,
                    reason=reason,
                    actor=request.user,
                    kind=ACTION_KIND[action],
                )
                done = f"Saved: {services.quantity_text(level.on_hand)} on hand."
        except services.StockInputError as exc:
            form.add_error(None, exc.message)  # shown once, above the form it is about
            return self._render(request, entitlement, form, status=400)
        messages.success(request, done)
        return redirect("stock:item", pk=entitlement.pk)

    def _render(self, request, entitlement, form, status: int = 200) -> HttpResponse:
        level = StockLevel.objects.filter(store_item=entitlement).first()
        movements = selectors.stock_movements(store_item=entitlement)
        page = CappedPaginator(movements, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
        sales = selectors.stock_sales(store=entitlement.store, store_item_ids=[entitlement.pk])
        sold = sales.get(entitlement.pk)
        on_hand = level.on_hand if level else 0
        context = {
            "si": entitlement,
            "level": level,
            "on_hand": on_hand,
            "sold": sold,
            "cover": selectors.days_of_cover(on_hand=on_hand, sold_week=sold.week if sold else 0),
            "page": page,
            "form": form,
            "can_count": request.user.has_perm("stock.count_stock"),
            "back": reverse("stock:levels") + f"?store={entitlement.store_id}",
        }
        return render(request, "stock/item.html", context, status=status)


class StockImportView(PermissionRequiredMixin, View):
    permission_required = "stock.count_stock"

    def post(self, request: HttpRequest) -> HttpResponse:
        form = StockImportForm(request.POST, request.FILES)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(reverse("stock:levels") + f"?store={request.POST.get('store', '')}")
        store = get_object_or_404(Store, pk=form.cleaned_data["store"])
        upload = form.cleaned_data["file"]
        try:
            job = services.stock_import_counts(
                store=store, file=upload.file, file_name=upload.name, actor=request.user
            )
        except services.StockInputError as exc:
            messages.error(request, exc.message)
            return redirect(reverse("stock:levels") + f"?store={store.pk}")
        return redirect("stock:import-detail", pk=job.pk)


class StockImportDetailView(PermissionRequiredMixin, View):
    permission_required = "stock.view_stockimport"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = get_object_or_404(StockImport.objects.select_related("store", "actor"), pk=pk)
        return render(request, "stock/import_detail.html", {"job": job})


class StockExportView(PermissionRequiredMixin, View):
    permission_required = "stock.view_stocklevel"

    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        stores = list(selectors.stock_stores())
        store = _store_from(request, stores)
        rows = services.stock_export_rows(store=store) if store else iter([""])
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        code = store.code if store else "none"
        response["Content-Disposition"] = f'attachment; filename="stock-{code}-{stamp}.csv"'
        return response
