"""Template filters of the console: ``{% load console %}``."""

from decimal import Decimal

from django import template

register = template.Library()


def percent_text(rate: Decimal | None) -> str:
    """A tax rate kept as a fraction, as the percent people read: 0.07000 → "7", 0.08875 →
    "8.875"."""
    if rate is None:
        return ""
    value = (Decimal(rate) * 100).normalize()
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def percent(rate: Decimal | None) -> str:
    """``{{ line.tax_rate|percent }}`` → "7 %"."""
    return f"{percent_text(rate)} %" if rate is not None and rate != "" else ""
