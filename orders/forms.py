from django import forms

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
        help_texts = {
            "tax_code": "Leave empty for the store's default rate.",
            "rate": "0.07 for 7 %",
        }

    def clean_rate(self):
        rate = self.cleaned_data["rate"]
        if not 0 <= rate < 1:
            raise forms.ValidationError("A rate is a fraction: 0.07 for 7 %.")
        return rate
