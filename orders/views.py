"""Pricing pages: promotions and tax rates (merchant admins edit; staff read)."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.urls import reverse_lazy
from django.views.generic import CreateView, DeleteView, ListView, UpdateView

from stores.selectors import current_merchant

from .forms import PromotionForm, TaxRateForm
from .models import Promotion, TaxRate


class PromotionListView(PermissionRequiredMixin, ListView):
    permission_required = "orders.view_promotion"
    model = Promotion
    paginate_by = 50
    template_name = "orders/promotion_list.html"


class _PromotionEdit(PermissionRequiredMixin):
    model = Promotion
    form_class = PromotionForm
    template_name = "orders/form.html"
    success_url = reverse_lazy("orders:promotions")

    def form_valid(self, form):
        if not form.instance.merchant_id:
            form.instance.merchant = current_merchant(self.request.user)
        messages.success(self.request, f"Saved the promotion {form.instance.name}.")
        return super().form_valid(form)


class PromotionCreateView(_PromotionEdit, CreateView):
    permission_required = "orders.add_promotion"
    extra_context = {"title": "New promotion"}


class PromotionEditView(_PromotionEdit, UpdateView):
    permission_required = "orders.change_promotion"
    extra_context = {"title": "Edit promotion"}


class PromotionDeleteView(PermissionRequiredMixin, DeleteView):
    permission_required = "orders.delete_promotion"
    model = Promotion
    template_name = "orders/confirm_delete.html"
    success_url = reverse_lazy("orders:promotions")


class TaxRateListView(PermissionRequiredMixin, ListView):
    permission_required = "orders.view_taxrate"
    model = TaxRate
    paginate_by = 50
    template_name = "orders/taxrate_list.html"

    def get_queryset(self):
        return TaxRate.objects.select_related("store")


class TaxRateCreateView(PermissionRequiredMixin, CreateView):
    permission_required = "orders.add_taxrate"
    model = TaxRate
    form_class = TaxRateForm
    template_name = "orders/form.html"
    success_url = reverse_lazy("orders:tax-rates")
    extra_context = {"title": "New tax rate"}


class TaxRateEditView(PermissionRequiredMixin, UpdateView):
    permission_required = "orders.change_taxrate"
    model = TaxRate
    form_class = TaxRateForm
    template_name = "orders/form.html"
    success_url = reverse_lazy("orders:tax-rates")
    extra_context = {"title": "Edit tax rate"}


class TaxRateDeleteView(PermissionRequiredMixin, DeleteView):
    permission_required = "orders.delete_taxrate"
    model = TaxRate
    template_name = "orders/confirm_delete.html"
    success_url = reverse_lazy("orders:tax-rates")
