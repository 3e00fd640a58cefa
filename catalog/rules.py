"""Amazon's catalog rules, checked before anything is sent. Pure
functions over plain values; an item that breaks one is flagged with the reason and not sent."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError

from jwo_console.forms import parse_money

MAX_NAME = 100
MAX_EXTRA_BARCODES = 50
BARCODE_LENGTHS = {"UPC": (12, 8), "EAN8": (8,), "EAN": (13,), "ISBN": (10,), "GTIN": (14,)}
# Receipt text: letters, digits, spaces and plain punctuation; no ®, ©, ™ or other symbols.
_NAME_OK = re.compile(r"^[\w .,'&/%()+#:-]+$")


def gs1_check_digit_ok(code: str) -> bool:
    """UPC-A, UPC-E, EAN-8, EAN-13 and GTIN-14 end in the GS1 mod-10 check digit."""
    digits = [int(c) for c in code]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits[:-1])))
    return (10 - total % 10) % 10 == digits[-1]


def isbn10_ok(code: str) -> bool:
    if not re.fullmatch(r"\d{9}[\dX]", code):
        return False
    values = [10 if c == "X" else int(c) for c in code]
    return sum((10 - i) * v for i, v in enumerate(values)) % 11 == 0


def barcode_problem(code: str, kind: str) -> str | None:
    if kind == "PLU":
        return None if code.isdigit() and 3 <= len(code) <= 6 else "PLU must be 3 to 6 digits"
    if kind == "ISBN":
        return None if isbn10_ok(code) else f"ISBN {code} is not a valid ISBN-10"
    lengths = BARCODE_LENGTHS.get(kind)
    if lengths is None:
        return f"unknown barcode type {kind}"
    if not code.isdigit() or len(code) not in lengths:
        return f"{kind} must be {' or '.join(map(str, lengths))} digits (leading zeros kept)"
    if not gs1_check_digit_ok(code):
        return f"{kind} {code} has a wrong check digit"
    return None


def name_problem(name: str) -> str | None:
    if not 1 <= len(name) <= MAX_NAME:
        return f"the name must be 1 to {MAX_NAME} characters (it prints on receipts)"
    if not _NAME_OK.match(name):
        return "the name may hold letters, digits, spaces and . , ' & / % ( ) + # : - only"
    return None


def price_problem(price: Decimal) -> str | None:
    if price <= 0:
        return "the price must be above zero"
    if price.as_tuple().exponent < -2:  # type: ignore[operator]
        return "the price has more than two decimals"
    return None


def item_problems(
    *, name: str, barcode: str, barcode_type: str, extra_barcodes: list[dict]
) -> list[str]:
    problems = [p for p in (name_problem(name), barcode_problem(barcode, barcode_type)) if p]
    if len(extra_barcodes) > MAX_EXTRA_BARCODES:
        problems.append(f"at most {MAX_EXTRA_BARCODES} additional barcodes")
    for extra in extra_barcodes:
        problem = barcode_problem(str(extra.get("id", "")), str(extra.get("type", "")))
        if problem:
            problems.append(f"additional barcode: {problem}")
    return problems


def parse_price(raw: str) -> Decimal:
    try:
        return parse_money(raw)  # the console's one money rule: digits, no NaN or exponents
    except ValidationError as exc:
        raise ValueError(f"price {raw!r} is not a number") from exc
