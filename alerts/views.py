"""Alerts page: open ones first, the history, filters; Acknowledge (confirmed, audited)."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from jwo_console.exceptions import ApplicationError
from jwo_console.paginator import CappedPaginator
from stores.models import Store

from . import selectors, services
from .choices import AlertKind, AlertStatus
from .models import Alert

PAGE_SIZE = 50


class AlertListView(PermissionRequiredMixin, View):
    permission_required = "alerts.view_alert"

    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status", "")
        if status not in {"", "unresolved", *AlertStatus.values}:
            status = ""
        kind = request.GET.get("kind", "")[:50]
        store_raw = request.GET.get("store", "")
        store_id = int(store_raw) if store_raw.isdigit() else None
        alerts = selectors.alert_list(status=status, kind=kind, store_id=store_id)
        page = CappedPaginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
        kinds = sorted({*AlertKind.values, *selectors.alert_kinds_seen()})
        labels = dict(AlertKind.choices)
        query = urlencode(
            {k: v for k, v in {"status": status, "kind": kind, "store": store_raw}.items() if v}
        )
        context = {
            "page": page,
            "status": status,
            "kind": kind,
            "store_id": store_id,
            "statuses": AlertStatus.choices,
            "kinds": [(k, labels.get(k, k)) for k in kinds],
            "stores": Store.objects.only("pk", "name"),
            "query": query,
            "filtered": bool(status or kind or store_id),
            "console_zone": settings.TIME_ZONE,
            "can_acknowledge": request.user.has_perm("alerts.acknowledge_alert"),
        }
        return render(request, "alerts/alert_list.html", context)


class AlertDetailView(PermissionRequiredMixin, View):
    permission_required = "alerts.view_alert"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        alert = get_object_or_404(Alert.objects.select_related("store", "acknowledged_by"), pk=pk)
        context = {
            "alert": alert,
            # The store's zone for a store's alert, the console's for a house-wide one.
            "zone": alert.store.time_zone if alert.store else settings.TIME_ZONE,
            "events": alert.events.select_related("actor")[:200],
            "can_acknowledge": request.user.has_perm("alerts.acknowledge_alert"),
        }
        return render(request, "alerts/alert_detail.html", context)


class AlertAcknowledgeView(PermissionRequiredMixin, View):
    """GET asks for confirmation; POST acknowledges."""

    permission_required = "alerts.acknowledge_alert"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        alert = get_object_or_404(Alert.objects.select_related("store"), pk=pk)
        return render(request, "alerts/alert_acknowledge.html", {"alert": alert})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        alert = get_object_or_404(Alert, pk=pk)
        try:
            services.alert_acknowledge(alert=alert, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Acknowledged: {alert.title}")
        return redirect("alerts:list")
