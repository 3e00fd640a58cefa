"""Settings → Integrations → Just Walk Out. Views parse input, call a service, render."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from jwo_console.exceptions import ApplicationError

from . import selectors, services
from .forms import JwoStoreMappingEditForm, JwoStoreMappingRowFormSet

RECENT_CHANGES_SHOWN = 10
HISTORY_PAGE_SIZE = 25


class JwoStoreMappingListView(PermissionRequiredMixin, View):
    """The mapping table, the + rows (saved together) and the latest audit entries."""

    permission_required = "stores.view_jwostoremapping"
    template_name = "stores/jwo_mapping_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, JwoStoreMappingRowFormSet(prefix="new"))

    def post(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("stores.add_jwostoremapping"):
            raise PermissionDenied
        formset = JwoStoreMappingRowFormSet(request.POST, prefix="new")
        if formset.total_form_count() == 0:
            messages.warning(request, "Nothing to save: add a mapping row with + first.")
            return redirect("stores:jwo-mappings")
        if formset.is_valid():
            rows = [services.MappingInput(**form.cleaned_data) for form in formset]
            try:
                created = services.jwo_store_mappings_create(rows=rows, actor=request.user)
            except services.MappingRowsInvalid as exc:
                for index, error in exc.row_errors.items():
                    _add_errors(formset[index], error)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                names = ", ".join(m.store.name for m in created)
                noun = "mapping" if len(created) == 1 else "mappings"
                messages.success(request, f"Saved {len(created)} {noun}: {names}.")
                return redirect("stores:jwo-mappings")
        messages.error(request, "Nothing was saved. Complete or fix the highlighted fields.")
        return self._render(request, formset, status=400)

    def _render(self, request: HttpRequest, formset, status: int = 200) -> HttpResponse:
        user = request.user
        context = {
            "mappings": selectors.jwo_store_mapping_list(),
            "formset": formset,
            "unmapped_count": selectors.stores_unmapped().count(),
            "changes": selectors.jwo_store_mapping_changes()[:RECENT_CHANGES_SHOWN],
            "can_add": user.has_perm("stores.add_jwostoremapping"),
            "can_change": user.has_perm("stores.change_jwostoremapping"),
            "can_delete": user.has_perm("stores.delete_jwostoremapping"),
        }
        return render(request, self.template_name, context, status=status)


class JwoStoreMappingEditView(PermissionRequiredMixin, View):
    permission_required = "stores.change_jwostoremapping"
    template_name = "stores/jwo_mapping_edit.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        mapping = get_object_or_404(selectors.jwo_store_mapping_list(), pk=pk)
        form = JwoStoreMappingEditForm(instance=mapping)
        return render(request, self.template_name, {"form": form, "mapping": mapping})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        mapping = get_object_or_404(selectors.jwo_store_mapping_list(), pk=pk)
        form = JwoStoreMappingEditForm(request.POST, instance=mapping)
        if form.is_valid():
            try:
                services.jwo_store_mapping_update(
                    mapping=mapping, data=form.cleaned_data, actor=request.user
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Saved the mapping of {mapping.store.name}.")
                return redirect("stores:jwo-mappings")
        mapping.refresh_from_db()
        context = {"form": form, "mapping": mapping}
        return render(request, self.template_name, context, status=400)


class JwoStoreMappingDeleteView(PermissionRequiredMixin, View):
    """GET asks for confirmation; POST removes."""

    permission_required = "stores.delete_jwostoremapping"
    template_name = "stores/jwo_mapping_confirm_delete.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        mapping = get_object_or_404(selectors.jwo_store_mapping_list(), pk=pk)
        return render(request, self.template_name, {"mapping": mapping})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        mapping = get_object_or_404(selectors.jwo_store_mapping_list(), pk=pk)
        services.jwo_store_mapping_delete(mapping=mapping, actor=request.user)
        messages.success(
            request,
            f"Removed the mapping of {mapping.store.name} (JWO store ID {mapping.jwo_store_id}).",
        )
        return redirect("stores:jwo-mappings")


class JwoStoreMappingHistoryView(PermissionRequiredMixin, View):
    permission_required = "stores.view_jwostoremapping"
    template_name = "stores/jwo_mapping_history.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        changes = selectors.jwo_store_mapping_changes()
        page = Paginator(changes, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, self.template_name, {"page": page})


def _add_errors(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (inline), or on the form."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)
