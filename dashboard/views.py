from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What needs me? Tiles for the merchant's stores over today / 7 / 30 days; every number
    links to the filtered grid behind it. A user without a console role sees where to ask."""
    user = request.user
    if not user.has_perm("orders.view_order"):
        return render(request, "jwo_console/home.html")
    scope = selectors.scope_for(
        period=request.GET.get("period", "today"), store_pk=request.GET.get("store", "")
    )
    figures = selectors.figures(scope)
    context = {
        "scope": scope,
        "periods": [(key, label) for key, (label, _) in selectors.PERIODS.items()],
        "sales": selectors.sales(figures),
        "statuses": selectors.orders_by_status(scope, figures),
        "closing": selectors.retry_window_closing(scope),
        "reviews": selectors.payment_reviews(scope),
        "short": selectors.collected_short(scope),
        "recovery": selectors.recovery_by_retry(scope, figures),
        "refunds": selectors.refunds_waiting(scope),
        "gate": selectors.gate_decisions(scope),
    }
    if user.has_perm("catalog.view_catalogsyncrun"):
        context["syncs"] = selectors.catalog_syncs(scope)
    if user.has_perm("reconciliation.view_reconciliationrun"):
        context["reconciliation"] = selectors.reconciliation_status(scope)
        context["reporting"] = selectors.reporting_health()
    return render(request, "home/home.html", context)
