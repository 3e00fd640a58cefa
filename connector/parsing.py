"""Reading a connector request's body without trusting it: every way a body can be bad ends in
``BodyRefused`` (a JSON 4xx naming the field), never in an exception that becomes a 500.

What is refused, and why (README, *The connector*):

- not UTF-8, not JSON, or not a JSON object → 400;
- ``NaN``, ``Infinity``, ``-Infinity`` and numbers too large for a float (``1e400``) → 400 while
  parsing: they cannot be stored (PostgreSQL's ``jsonb`` has no such numbers);
- nesting deeper than ``JWO_CONNECTOR_MAX_DEPTH`` → 400 (a deep body would otherwise exhaust
  Python's recursion limit in the parser, the validators or the database driver);
- a NUL character (``\\u0000``) or a lone surrogate (``\\ud800``) in any string or key → 400
  naming where: PostgreSQL's text cannot hold either.
"""

import json
import math
from typing import Any

NON_FINITE = {"NaN", "Infinity", "-Infinity"}


class BodyRefused(Exception):
    def __init__(self, field: str, error: str, http_status: int = 400) -> None:
        super().__init__(f"{field}: {error}")
        self.field = field
        self.error = error
        self.http_status = http_status

    def answer(self) -> dict:
        message = f"{self.field}: {self.error}" if self.field else self.error
        return {"message": message, "errors": [{"field": self.field, "error": self.error}]}


def _constant(name: str) -> float:
    raise BodyRefused("", f"{name} is not a number JSON allows (non-finite numbers are refused)")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyRefused("", f"the number {text[:40]} is too large")
    return value


def _bad_string(value: str) -> str | None:
    if value.isascii():
        return "contains a NUL character (\\u0000)" if "\x00" in value else None
    if "\x00" in value:
        return "contains a NUL character (\\u0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (not valid Unicode)"
    return None


def _check(value: Any, path: str, depth: int, max_depth: int) -> None:
    """Depth and string checks in one walk (iterative over siblings, recursive only in depth,
    which is bounded by ``max_depth``)."""
    if depth > max_depth:
        raise BodyRefused(path, f"is nested deeper than {max_depth} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else key
            if (problem := _bad_string(key)) is not None:
                raise BodyRefused(printable(path) or "(key)", f"a key {problem}")
            if isinstance(item, str):
                if (problem := _bad_string(item)) is not None:
                    raise BodyRefused(printable(here), problem)
            elif isinstance(item, dict | list):
                _check(item, here, depth + 1, max_depth)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            here = f"{path}[{index}]"
            if isinstance(item, str):
                if (problem := _bad_string(item)) is not None:
                    raise BodyRefused(printable(here), problem)
            elif isinstance(item, dict | list):
                _check(item, here, depth + 1, max_depth)


def printable(path: str) -> str:
    """A field path safe to echo back and store (the key itself may hold a NUL)."""
    cleaned = path.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
    return cleaned.replace("\x00", "\\u0000")[:200]


MAX_INT_DIGITS = 100  # no field of Amazon's carries a longer whole number


def _int(literal: str) -> int:
    """A JSON whole number; one longer than any field could hold is refused while parsing (in
    the client's terms, not Python's digit-limit message)."""
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise BodyRefused("", f"a number has more than {MAX_INT_DIGITS} digits")
    return int(literal)


def parse_body(body: bytes, *, max_depth: int) -> dict:
    """The body as a JSON object, or ``BodyRefused``."""
    if not body:
        raise BodyRefused("", "the body is empty (a JSON object is expected)")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRefused("", "the body is not UTF-8") from exc
    try:
        data = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except BodyRefused:
        raise
    except RecursionError as exc:
        raise BodyRefused("", f"the body is nested deeper than {max_depth} levels") from exc
    except ValueError as exc:  # JSONDecodeError, and int strings over Python's digit limit
        raise BodyRefused("", f"the body is not JSON ({str(exc)[:120]})") from exc
    if not isinstance(data, dict):
        raise BodyRefused("", "the body must be a JSON object")
    _check(data, "", 1, max_depth)
    return data


def storable_text(body: bytes, limit: int) -> str:
    """The body as text the database can hold: invalid UTF-8 replaced, NUL escaped as the six
    characters ``\\u0000``, cut to ``limit`` characters."""
    text = body[: limit * 4].decode("utf-8", errors="replace")[:limit]
    return text.replace("\x00", "\\u0000") if "\x00" in text else text
