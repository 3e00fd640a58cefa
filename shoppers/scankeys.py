"""Our Scan Key Code: what the app draws as a QR code and Amazon sends back, Base64-encoded, in
``identityKey``. Amazon's rules: alphanumeric only, a customer
prefix, a recognition token that maps to a record of ours, a timestamp no older than 30-90 s
when the shopper scans it. Layout, 43 characters:

    JWO  A  0t3k5ab  9f86d081884c7d659a2feaa0c55ad015
    │    │  │        └ token: 32 hex, random, one AppScanKey row
    │    │  └ issue time: epoch seconds, base 36, 7 characters
    │    └ version
    └ prefix (JWO_SCAN_KEY_PREFIX; the Merchant Portal's QR pattern must match it)

Amazon's mock key is 39 characters and its sample code refuses shorter ones; ours is longer.
"""

import base64
import binascii
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

VERSION = "A"
_BODY = re.compile(r"^(?P<version>[A-Z])(?P<issued>[0-9a-z]{7})(?P<token>[0-9a-f]{32})$")


class MalformedKey(ValueError):
    pass


@dataclass(frozen=True)
class ScanKey:
    prefix: str
    issued_at: datetime
    token: str


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out.rjust(7, "0")


def new_token() -> str:
    return secrets.token_hex(16)


def encode(*, prefix: str, issued_at: datetime, token: str) -> str:
    return f"{prefix}{VERSION}{_base36(int(issued_at.timestamp()))}{token}"


def decode_identity_key(identity_key: str, *, prefix: str) -> ScanKey:
    """Base64 → our code → its parts. Raises MalformedKey (or a WrongPrefix subclass)."""
    try:
        raw = base64.b64decode(identity_key, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise MalformedKey("not Base64 of an ASCII code") from exc
    if not raw.isalnum():
        raise MalformedKey("the code must be alphanumeric")
    if not raw.startswith(prefix):
        raise WrongPrefix(f"the code does not start with {prefix}")
    match = _BODY.match(raw[len(prefix) :])
    if not match or match["version"] != VERSION:
        raise MalformedKey("not a Scan Key Code of this console")
    issued = datetime.fromtimestamp(int(match["issued"], 36), tz=UTC)
    return ScanKey(prefix=prefix, issued_at=issued, token=match["token"])


class WrongPrefix(MalformedKey):
    pass
