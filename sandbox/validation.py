"""Request validation as Amazon's pages describe it, raising
``Invalid(error_msg, detail)`` that the gateway turns into Amazon's 400 body."""

import re
from decimal import Decimal
from typing import Any

STORE_ID = re.compile(r"^[0-9a-zA-Z_-]*$")
TRIP_ID = re.compile(r"^[0-9a-zA-Z_-]+$")
SHOPPER_ID = re.compile(r"^[0-9a-zA-Z_.-]+$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
REFUND_REQUEST_ID = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-5][0-9a-f]{3}-[089ab][0-9a-f]{3}-[0-9a-f]{12}$"
)
TWO_DECIMALS = re.compile(r"^-?\d+\.\d{2}$")
REFUND_REASONS = {"DAMAGED_ITEM", "EXPIRED_ITEM", "UNWANTED_ITEM", "JWO_TECH_ERROR", "OTHER"}
BAD_REQUEST = "BadRequestException"


class Invalid(Exception):
    def __init__(self, error_msg: str, detail: str = "", status: int = 400, **extra: Any) -> None:
        super().__init__(detail or error_msg)
        self.error_msg = error_msg
        self.detail = detail
        self.status = status
        self.extra = extra


def string(
    data: Any, key: str, *, pattern: re.Pattern | None = None, max_len: int = 255, msg=BAD_REQUEST
) -> str:
    """A required, non-blank string (``""``, whitespace, ``null`` and non-strings are refused)."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise Invalid(msg, f"{key} is required and must be a non-empty string")
    if len(value) > max_len:
        raise Invalid(msg, f"{key} is longer than {max_len} characters")
    if pattern is not None and not pattern.match(value):
        raise Invalid(msg, f"{key} does not match {pattern.pattern}")
    return value


def obj(data: Any, key: str, msg=BAD_REQUEST) -> dict:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, dict):
        raise Invalid(msg, f"{key} is required and must be an object")
    return value


def payment_money(data: Any, key: str = "amount", *, positive: bool = False) -> tuple[Decimal, str]:
    """``{"amount": number, "code": "USD"}``: a JSON number (not a string, not a boolean)."""
    money = obj(data, key)
    amount = money.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise Invalid(BAD_REQUEST, f"{key}.amount must be a number")
    amount = Decimal(amount)
    if amount.as_tuple().exponent < -2:  # type: ignore[operator]
        raise Invalid(BAD_REQUEST, f"{key}.amount has more than two decimals")
    if amount < 0 or (positive and amount == 0):
        raise Invalid(BAD_REQUEST, f"{key}.amount must be greater than zero")
    code = money.get("code")
    if not isinstance(code, str) or not CURRENCY.match(code):
        raise Invalid(BAD_REQUEST, f"{key}.code must match ^[A-Z]{{3}}$")
    return amount, code


def checkout_money(data: Any, key: str, msg: str = "InvalidRequest") -> tuple[Decimal, str]:
    """``{"amount": "0.00", "currencyCode": "USD"}``: a string with exactly two decimals."""
    money = obj(data, key, msg)
    amount = money.get("amount")
    if not isinstance(amount, str) or not TWO_DECIMALS.match(amount):
        raise Invalid(msg, f"{key}.amount must be a string with exactly two decimals")
    code = money.get("currencyCode")
    if not isinstance(code, str) or not CURRENCY.match(code):
        raise Invalid(msg, f"{key}.currencyCode must match ^[A-Z]{{3}}$")
    return Decimal(amount), code
