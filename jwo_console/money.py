"""Money helpers, the one place money is rounded: ``Decimal`` plus a 3-letter currency, never
float. ``quantize`` rounds half-up to the currency's minor unit (or to ``places`` where a wire
format fixes them, e.g. Amazon's two decimals in integrations/amazon/money.py); ``ZERO``."""

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")

# ISO 4217 minor-unit exponents that differ from 2; everything else has cents.
_MINOR_UNITS = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3}


def minor_unit_exponent(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def quantize(amount: Decimal, currency: str = "USD", *, places: int | None = None) -> Decimal:
    """Round half-up to the currency's minor unit (``places`` decimals if given). Refuses floats
    so none slip through."""
    if isinstance(amount, float):
        raise TypeError("money must be Decimal, not float")
    exp = Decimal(1).scaleb(-(minor_unit_exponent(currency) if places is None else places))
    return Decimal(amount).quantize(exp, rounding=ROUND_HALF_UP)


def to_minor_units(amount: Decimal, currency: str) -> int:
    return int(quantize(amount, currency).scaleb(minor_unit_exponent(currency)))
