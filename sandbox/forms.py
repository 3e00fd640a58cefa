from collections.abc import Sequence

from django import forms

from jwo_console.forms import PlainIntegerField

from .models import CardProfile, FaultKind, SandboxCatalogItem, SandboxStore

SERVICES = [
    ("*", "any service"),
    ("payments", "payments"),
    ("checkout", "checkout"),
    ("feedback", "feedback"),
    ("catalog", "catalog"),
]
OPERATIONS = [("*", "any operation")] + [
    (op, op)
    for op in (
        "AdjustCharge",
        "CancelCharge",
        "CaptureCharge",
        "Refund",
        "GetTransactionalData",
        "GetShopperIdentity",
        "CheckoutCart",
        "ReportPaymentStatus",
        "UploadCatalog",
        "GetCatalogUploadStatus",
        "ArchiveCatalog",
    )
]


class FaultForm(forms.Form):
    service = forms.ChoiceField(choices=SERVICES)
    operation = forms.ChoiceField(choices=OPERATIONS)
    kind = forms.ChoiceField(choices=FaultKind.choices)
    count = forms.IntegerField(
        min_value=1, max_value=1_000_000, required=False, help_text="empty: until removed"
    )
    latency_ms = forms.IntegerField(
        min_value=0, max_value=600_000, initial=2000, label="Latency (ms)"
    )
    retry_after = forms.IntegerField(
        min_value=0, max_value=86_400, initial=1, label="Retry-After (s)"
    )
    trip_id = forms.CharField(
        max_length=255,
        required=False,
        label="Only for trip",
        help_text="a shopping trip id: only calls about that trip; empty: every matching call",
    )


MAX_QUANTITY = 999


class GateForm(forms.Form):
    """The gate simulator's trip: store, entry, card, shopper and, for each of the store's
    catalog items, a whole quantity (0-999, empty meaning 0). Whether a card entry asks the
    console's F&A endpoint is the store's own F&A strategy (sandbox/views.py ``gate_fa``), not a
    choice on this form. A negative, fractional or unreadable
    quantity, or a shopper number outside 1-1,000,000, is a field error: no trip is made."""

    store = forms.ModelChoiceField(queryset=SandboxStore.objects.all(), to_field_name="store_id")
    entry = forms.ChoiceField(
        choices=[("CARD", "Card (tap)"), ("APP", "App (Scan Key Code)")],
        widget=forms.RadioSelect,
        help_text="An app entry shows the Scan Key Code the console's app endpoint gives the "
        "shopper holding the app token below (a demo shopper's under make run); without a "
        "token, or with one the console does not know, the gate sees a made-up key and the "
        "console refuses it.",
    )
    app_token = forms.CharField(
        required=False,
        max_length=200,
        initial="demo-app-token-1",
        label="App token (app entry)",
        strip=True,
    )
    card_profile = forms.ChoiceField(choices=CardProfile.choices, initial=CardProfile.OK)
    shopper_no = PlainIntegerField(
        min_value=1, max_value=1_000_000, initial=1, label="Shopper number"
    )

    def __init__(self, *args, catalog: Sequence[SandboxCatalogItem] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.catalog = list(catalog)
        for item in self.catalog:
            self.fields[self.quantity_name(item)] = PlainIntegerField(
                min_value=0,
                max_value=MAX_QUANTITY,
                required=False,
                initial=0,
                label=f"Quantity of {item.item_name}",
                error_messages={"invalid": "Enter a whole number of items (0 or more)."},
            )

    @staticmethod
    def quantity_name(item: SandboxCatalogItem) -> str:
        return f"qty-{item.item_sku}"

    def shelf(self) -> list[tuple[SandboxCatalogItem, forms.BoundField]]:
        """Each catalog item with its quantity field, for the page's table."""
        return [(item, self[self.quantity_name(item)]) for item in self.catalog]

    def quantities(self) -> list[tuple[SandboxCatalogItem, int]]:
        """The items taken (quantity above 0), once the form is valid."""
        taken = []
        for item in self.catalog:
            qty = self.cleaned_data.get(self.quantity_name(item)) or 0
            if qty > 0:
                taken.append((item, qty))
        return taken
