from django import forms

from .models import CardProfile, FaultKind, SandboxStore

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


class GateForm(forms.Form):
    store = forms.ModelChoiceField(queryset=SandboxStore.objects.all(), to_field_name="store_id")
    entry = forms.ChoiceField(
        choices=[("CARD", "Card (tap)"), ("APP", "App (Scan Key Code)")],
        widget=forms.RadioSelect,
        help_text="An app entry sends a made-up key, which the console refuses; a demo shopper's "
        "real key comes from manage.py simulate_trips --app-token (printed by make run).",
    )
    card_profile = forms.ChoiceField(choices=CardProfile.choices, initial=CardProfile.OK)
    retailer_fa = forms.BooleanField(required=False, label="Store uses retailer-managed F&A")
    shopper_no = forms.IntegerField(
        min_value=1, max_value=1_000_000, initial=1, label="Shopper number"
    )
