from django import forms

from .choices import BarcodeType, SyncRunKind
from .models import Item
from .services import ITEM_FIELDS, parse_extra_barcodes

CSV_HELP = (
    "Columns: sku, name, description, brand, category, subcategory, tax_code, barcode, "
    "barcode_type (UPC, EAN, EAN8, GTIN, ISBN, PLU), extra_barcodes (code:TYPE;code:TYPE), "
    "store (the store's code), price, active (yes/no). One row per item and store; rows upsert "
    "by SKU."
)


class ItemForm(forms.ModelForm):
    extra_barcodes_text = forms.CharField(
        label="More barcodes",
        required=False,
        help_text="Up to 50, as code:TYPE separated by semicolons",
        widget=forms.TextInput,
    )

    class Meta:
        model = Item
        # The item fields the services edit; extra barcodes have their own text field here.
        fields = [f for f in ITEM_FIELDS if f != "extra_barcodes"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["barcode_type"].choices = BarcodeType.choices
        extras = self.instance.extra_barcodes or []
        self.fields["extra_barcodes_text"].initial = ";".join(
            f"{e['id']}:{e['type']}" for e in extras
        )

    def clean_extra_barcodes_text(self) -> list[dict]:
        extras = parse_extra_barcodes(self.cleaned_data["extra_barcodes_text"])
        if len(extras) > 50:
            raise forms.ValidationError("At most 50 more barcodes.")
        return extras


class ItemAddForm(forms.Form):
    """The CSV's item columns; each store's price is a field of its own (``price-<store pk>``).
    The rules are the import's (``services.item_create``), so the form itself checks little."""

    sku = forms.CharField(label="SKU", max_length=255)
    name = forms.CharField(max_length=255)
    barcode = forms.CharField(max_length=255, help_text="UPC/EAN/GTIN with its check digit")
    barcode_type = forms.ChoiceField(choices=BarcodeType.choices, initial="UPC")
    brand = forms.CharField(max_length=255, required=False)
    category = forms.CharField(max_length=255, required=False)
    subcategory = forms.CharField(max_length=255, required=False)
    tax_code = forms.CharField(max_length=255, required=False)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    extra_barcodes = forms.CharField(
        label="More barcodes", required=False, help_text="code:TYPE separated by semicolons"
    )


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text=CSV_HELP)


class SyncRequestForm(forms.Form):
    store = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        choices=SyncRunKind.choices, initial=SyncRunKind.CHANGES, required=False
    )


class ScheduleForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Sync automatically")
    every_minutes = forms.IntegerField(min_value=5, initial=60, label="Every (minutes)")
