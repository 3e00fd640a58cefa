from django import forms

from stores.models import Store

from .services import DayNotStarted, reconciliation_day_check


class RunNowForm(forms.Form):
    """Reconcile one mapped store's day on demand: an ISO day that has begun in the store's zone."""

    store = forms.ModelChoiceField(
        queryset=Store.objects.filter(jwo_mapping__isnull=False),
        error_messages={"invalid_choice": "choose a mapped store.", "required": "choose a store."},
    )
    day = forms.DateField(
        input_formats=["%Y-%m-%d"],
        error_messages={"invalid": "use a date such as 2026-12-01.", "required": "choose a day."},
    )

    def clean(self) -> dict:
        data = super().clean()
        store, day = data.get("store"), data.get("day")
        if store is not None and day is not None:
            try:
                reconciliation_day_check(store=store, day=day)
            except DayNotStarted as exc:
                self.add_error("day", exc.message)
        return data
