"""/metrics for Prometheus, and the per-store alert thresholds page. Views stay thin."""

import hmac

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from stores.models import Store

from .forms import AlertThresholdsForm
from .metrics import metrics_render
from .rules import thresholds_for
from .services import alert_thresholds_update


@csrf_exempt  # a probe or a scraper has no CSRF token: a POST gets 405, not 403
@login_not_required
@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Open when METRICS_TOKEN is empty; otherwise ``Authorization: Bearer <token>``."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        # the scheme is case-insensitive (RFC 9110); the token is compared in constant time
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            response = HttpResponse("A bearer token is required.\n", status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    body, content_type = metrics_render()
    return HttpResponse(body, content_type=content_type)


class AlertThresholdsListView(PermissionRequiredMixin, View):
    permission_required = "ops.view_alertthresholds"

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = [(store, thresholds_for(store=store)) for store in Store.objects.all()]
        can_change = request.user.has_perm("ops.change_alertthresholds")
        return render(request, "ops/thresholds_list.html", {"rows": rows, "can_change": can_change})


class AlertThresholdsEditView(PermissionRequiredMixin, View):
    """Only merchant admins (``ops.change_alertthresholds``) edit; staff only see the list."""

    permission_required = "ops.change_alertthresholds"
    template_name = "ops/thresholds_edit.html"

    def get(self, request: HttpRequest, store_id: int) -> HttpResponse:
        store = get_object_or_404(Store, pk=store_id)
        form = AlertThresholdsForm(instance=thresholds_for(store=store))
        return render(request, self.template_name, {"form": form, "store": store})

    def post(self, request: HttpRequest, store_id: int) -> HttpResponse:
        if not request.user.has_perm("ops.change_alertthresholds"):  # pragma: no cover
            raise PermissionDenied
        store = get_object_or_404(Store, pk=store_id)
        form = AlertThresholdsForm(request.POST, instance=thresholds_for(store=store))
        if form.is_valid():
            alert_thresholds_update(store=store, data=form.cleaned_data, actor=request.user)
            messages.success(request, f"Saved the alert thresholds of {store.name}.")
            return redirect("ops:alert-thresholds")
        messages.error(request, "Nothing was saved. Fix the highlighted fields.")
        context = {"form": form, "store": store}
        return render(request, self.template_name, context, status=400)
