"""Settings → Integrations → Just Walk Out → Run test: a store's connectivity test. Thin."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from jwo_console.exceptions import ApplicationError
from stores.models import JwoStoreMapping

from . import selectors, services


class ConnectivityTestView(PermissionRequiredMixin, View):
    """Merchant admins run the test (``connectivity.add_connectivityrun``); staff read."""

    permission_required = "connectivity.view_connectivityrun"
    template_name = "connectivity/test.html"

    def _mapping(self, pk: int) -> JwoStoreMapping:
        return get_object_or_404(JwoStoreMapping.objects.select_related("store"), pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        mapping = self._mapping(pk)
        services.connectivity_runs_interrupt_stale(store=mapping.store)
        runs = list(
            selectors.connectivity_runs_of_store(store=mapping.store)[: selectors.HISTORY_SHOWN]
        )
        context = {
            "mapping": mapping,
            "store": mapping.store,
            "run": runs[0] if runs else None,
            "history": runs[1:],
            "can_run": request.user.has_perm("connectivity.add_connectivityrun"),
        }
        return render(request, self.template_name, context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("connectivity.add_connectivityrun"):
            raise PermissionDenied
        mapping = self._mapping(pk)
        try:
            _run, created = services.connectivity_run_start(mapping=mapping, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            if created:
                messages.success(request, f"Testing the connections of {mapping.store.name}.")
            else:
                messages.info(request, "A test of this store is already under way: here it is.")
        return redirect("connectivity:jwo-test", pk=mapping.pk)
