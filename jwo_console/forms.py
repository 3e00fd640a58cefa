"""One money input for every console form: plain digits with an optional sign and decimal point.

``Decimal()`` reads ``NaN``, ``Infinity``, ``sNaN`` and ``1e999`` too; an amount typed into a
form never means any of them, and arithmetic on them raises (a 500 on the refund form before),
so they are refused with a form error.

And one whole-number input (``PlainIntegerField``): ASCII digits only. Django's ``IntegerField``
reads through ``int()``, which takes any script's digits (Arabic-Indic ``٣``, full-width
U+FF13) and ``3.0``; a count or a number of minutes typed into a form means none of them.
"""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError

PLAIN_AMOUNT = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")  # ASCII: \d takes any script
MONEY_ERROR = "Enter an amount in digits, e.g. 4.99."
PLAIN_INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")
INTEGER_ERROR = "Enter a whole number in the digits 0-9, e.g. 15."


def parse_money(raw: object) -> Decimal:
    """``raw`` as a finite ``Decimal`` written in plain digits; ``ValidationError`` otherwise."""
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise ValidationError(MONEY_ERROR, code="invalid")
        return raw
    text = str(raw if raw is not None else "").strip()
    if not PLAIN_AMOUNT.match(text) or len(text) > 40:
        raise ValidationError(MONEY_ERROR, code="invalid")
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover (the pattern admits only digits)
        raise ValidationError(MONEY_ERROR, code="invalid") from exc


class MoneyField(forms.DecimalField):
    """A ``DecimalField`` that takes only plain digits (no NaN, Infinity or exponents)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return parse_money(value)


def use_money_fields(form: forms.BaseForm, names: list[str]) -> None:
    """Swap a ModelForm's generated decimal fields for ``MoneyField`` (same limits, label, help
    and required-ness)."""
    for name in names:
        old = form.fields.get(name)
        if old is None:
            continue
        form.fields[name] = MoneyField(
            required=old.required,
            label=old.label,
            help_text=old.help_text,
            initial=old.initial,
            max_digits=getattr(old, "max_digits", None),
            decimal_places=getattr(old, "decimal_places", None),
            min_value=getattr(old, "min_value", None),
            max_value=getattr(old, "max_value", None),
            disabled=old.disabled,
        )


class PlainIntegerField(forms.IntegerField):
    """An ``IntegerField`` that takes only ASCII digits 0-9 (an optional sign, no decimal point,
    no other script's digits); the limits and messages are ``IntegerField``'s."""

    default_error_messages = {"invalid": INTEGER_ERROR}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if not PLAIN_INTEGER.match(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)
