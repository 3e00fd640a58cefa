from decimal import Decimal

from django import forms

from jwo_console.forms import MoneyField
from payments.choices import RefundReason


class EmailForm(forms.Form):
    email = forms.EmailField(
        label="Your e-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )


class CardLookupForm(forms.Form):
    """Either the statement's transaction id, or the last four digits, the day and the total."""

    statement_id = forms.CharField(
        label="Transaction id on your card statement",
        max_length=100,
        required=False,
        help_text="It looks like TXN1A2B3C4D5.",
    )
    last4 = forms.RegexField(
        label="Last 4 digits of the card",
        regex=r"^\d{4}$",
        required=False,
        error_messages={"invalid": "Enter exactly 4 digits."},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    day = forms.DateField(
        label="Day of the visit",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_day(self):
        day = self.cleaned_data.get("day")
        if day is not None and not 2000 <= day.year <= 2100:
            raise forms.ValidationError("Enter the day of your visit.")
        return day

    amount = MoneyField(
        label="Amount charged",
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "12.49"}),
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("statement_id", "").strip():
            data["statement_id"] = data["statement_id"].strip()
            return data
        missing = [name for name in ("last4", "day", "amount") if data.get(name) in (None, "")]
        if missing:
            for name in missing:
                self.add_error(
                    name, "Needed when you search without the statement's transaction id."
                )
        return data


class ReceiptFilterForm(forms.Form):
    q = forms.CharField(label="Order or transaction id", required=False, max_length=100)
    card = forms.ChoiceField(label="Card", required=False)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, cards: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["card"].choices = [("", "Any card"), *cards]


class RefundForm(forms.Form):
    WHOLE, LINES = "trip", "lines"
    scope = forms.ChoiceField(
        label="What should be refunded?",
        choices=[(WHOLE, "The whole trip"), (LINES, "Only the items I choose")],
        widget=forms.RadioSelect,
        initial=WHOLE,
    )
    lines = forms.TypedMultipleChoiceField(
        label="Items", required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    reason_code = forms.ChoiceField(
        label="Reason", choices=[("", "Choose a reason"), *RefundReason.choices]
    )
    note = forms.CharField(
        label="Anything we should know? (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, lines: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = lines

    def clean(self):
        data = super().clean()
        if data.get("scope") == self.LINES and not data.get("lines"):
            self.add_error("lines", "Choose at least one item, or refund the whole trip.")
        return data
