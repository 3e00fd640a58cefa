"""Money on the wire. Amazon uses three shapes; each has its own type and never mixes.

- Payment Service and Feedback: ``{"amount": 15.99, "code": "USD"}`` — a JSON *number*.
- Checkout Service: ``{"amount": "15.99", "currencyCode": "USD"}`` — a two-decimal *string*.

Amounts are ``Decimal`` end to end: requests are encoded with simplejson (which writes a
Decimal as a JSON number without passing through float) and responses are parsed with
``parse_float=Decimal``. Rounding is half-up to two places.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from jwo_console.money import quantize


def to_decimal(value: Any) -> Decimal:
    """A Decimal from a wire value (str, int or Decimal). Floats are refused."""
    if isinstance(value, float | bool):
        raise TypeError(f"money must not be {type(value).__name__}")
    try:
        return Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def two_places(value: Decimal) -> Decimal:
    """Amazon's wire amounts: two decimals whatever the currency, rounded by
    jwo_console/money.py."""
    return quantize(to_decimal(value), places=2)


@dataclass(frozen=True)
class PaymentMoney:
    """``{"amount": number, "code": "USD"}`` (Payment Service, Feedback API)."""

    amount: Decimal
    code: str

    def to_wire(self) -> dict[str, Any]:
        return {"amount": two_places(self.amount), "code": self.code}

    @classmethod
    def from_wire(cls, data: dict[str, Any] | None) -> "PaymentMoney | None":
        if not isinstance(data, dict) or "amount" not in data:
            return None
        return cls(amount=to_decimal(data["amount"]), code=str(data.get("code", "")))


@dataclass(frozen=True)
class CheckoutMoney:
    """``{"amount": "0.00", "currencyCode": "USD"}`` (Checkout Service)."""

    amount: Decimal
    currency_code: str

    def to_wire(self) -> dict[str, str]:
        return {"amount": f"{two_places(self.amount):.2f}", "currencyCode": self.currency_code}
