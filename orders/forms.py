from decimal import Decimal

from django import forms

from jwo_console.forms import MoneyField, use_money_fields
from jwo_console.templatetags.console import percent_text

from .models import Promotion, TaxRate


class PromotionForm(forms.ModelForm):
    class Meta:
        model = Promotion
        fields = [
            "name",
            "kind",
            "sku",
            "category",
            "percent",
            "amount",
            "buy_qty",
            "get_qty",
            "threshold",
            "starts_at",
            "ends_at",
            "is_active",
        ]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }
        help_texts = {
            "percent": "Percent off (10 = 10 %); on a basket promotion, instead of an amount.",
            "amount": "Amount off each unit, or off the basket.",
            "threshold": "Basket promotions: the basket's value from which it applies.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        use_money_fields(self, ["percent", "amount", "threshold"])

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in ("PERCENT_OFF", "AMOUNT_OFF", "BUY_X_GET_Y") and not (
            data.get("sku") or data.get("category")
        ):
            self.add_error("sku", "Name the SKU or the category this promotion is for.")
        if kind == "PERCENT_OFF" and not 0 < (data.get("percent") or 0) <= 100:
            self.add_error("percent", "Give a percent between 0 and 100.")
        if kind == "AMOUNT_OFF" and not (data.get("amount") or 0) > 0:
            self.add_error("amount", "Give the amount off each unit.")
        if kind == "BUY_X_GET_Y" and not (data.get("buy_qty") and data.get("get_qty")):
            self.add_error("buy_qty", "Give how many to buy and how many come free.")
        if kind == "BASKET_THRESHOLD":
            if not (data.get("threshold") or 0) > 0:
                self.add_error("threshold", "Give the basket value from which it applies.")
            if not ((data.get("amount") or 0) > 0 or (data.get("percent") or 0) > 0):
                self.add_error("amount", "Give an amount or a percent off the basket.")
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The end must come after the start.")
        return data


class TaxRateForm(forms.ModelForm):
    class Meta:
        model = TaxRate
        fields = ["store", "tax_code", "rate"]
        labels = {"rate": "Rate (%)"}
        help_texts = {"tax_code": "Leave empty for the store's default rate.", "rate": "7 for 7 %"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # typed and shown as a percent; stored as the fraction the pricing engine multiplies by
        self.fields["rate"] = MoneyField(
            label="Rate (%)", help_text="7 for 7 %, 8.875 for 8.875 %", decimal_places=3
        )
        if self.instance.pk:
            self.initial["rate"] = percent_text(self.instance.rate)

    def clean_rate(self):
        percent = self.cleaned_data["rate"]
        if not 0 <= percent < 100:
            raise forms.ValidationError("Give a percent from 0 to below 100, e.g. 7.")
        return (percent / 100).quantize(Decimal("0.00001"))
