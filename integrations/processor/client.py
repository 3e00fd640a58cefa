"""The retailer's card processor for portal payoffs: a hosted-payment flow, so no card number
ever reaches our server (PCI scope stays with the processor).

The flow, the shape of Stripe Checkout or Adyen's hosted payment pages:

1. ``create_session`` (server to server, ``Authorization: Bearer <key>``, an ``Idempotency-Key``
   so a retried create returns the same session): the amount, the currency, our reference and
   the two addresses the shopper comes back to. The answer carries the page's ``url``.
2. The shopper is redirected to that page and types the card there.
3. The processor sends the shopper back to ``return_url``; we never trust that redirect and
   ask ``get_session`` (server to server) whether the session is ``PAID``.
4. ``expire_session`` closes a session the shopper abandoned, so it can no longer be paid.

No processor is named by the specification, so the wire shape here is our own small JSON
(amounts as strings in major units, ``Decimal`` on our side); the sandbox plays it at
``/sandbox/processor``. A real processor's adapter changes only this module.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests
from django.conf import settings


class ProcessorError(Exception):
    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class ProcessorUnavailable(ProcessorError):
    """Timeout, connection failure, 429 or 5xx: try again later."""


class ProcessorRejected(ProcessorError):
    """The processor read the request and refused it (4xx)."""


SESSION_OPEN, SESSION_PAID, SESSION_EXPIRED = "OPEN", "PAID", "EXPIRED"  # a session's status


@dataclass(frozen=True)
class HostedSession:
    id: str
    url: str
    status: str  # SESSION_OPEN, SESSION_PAID, SESSION_EXPIRED
    amount: Decimal
    currency: str
    reference: str
    payment_id: str = ""
    card_brand: str = ""
    card_last4: str = ""

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "HostedSession":
        return cls(
            id=str(data["id"]),
            url=str(data.get("url", "")),
            status=str(data["status"]),
            amount=Decimal(str(data["amount"])),
            currency=str(data["currency"]),
            reference=str(data.get("reference", "")),
            payment_id=str(data.get("paymentId") or ""),
            card_brand=str(data.get("cardBrand") or ""),
            card_last4=str(data.get("cardLast4") or ""),
        )


class ProcessorClient:
    def __init__(self, *, base_url: str, api_key: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def _request(
        self, method: str, path: str, *, json: dict | None = None, idempotency_key: str = ""
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            response = requests.request(
                method, f"{self.base_url}{path}", json=json, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise ProcessorUnavailable(f"card processor: {exc.__class__.__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ProcessorUnavailable(
                f"card processor: HTTP {response.status_code}", http_status=response.status_code
            )
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code >= 400:
            message = data.get("message") if isinstance(data, dict) else None
            raise ProcessorRejected(
                f"card processor refused: {message or response.status_code}",
                http_status=response.status_code,
            )
        return data

    def create_session(
        self,
        *,
        amount: Decimal,
        currency: str,
        reference: str,
        description: str,
        return_url: str,
        cancel_url: str,
        idempotency_key: str,
    ) -> HostedSession:
        data = self._request(
            "POST",
            "/v1/sessions",
            json={
                "amount": f"{amount:.2f}",
                "currency": currency,
                "reference": reference,
                "description": description[:200],
                "returnUrl": return_url,
                "cancelUrl": cancel_url,
            },
            idempotency_key=idempotency_key,
        )
        return HostedSession.from_wire(data)

    def get_session(self, session_id: str) -> HostedSession:
        return HostedSession.from_wire(self._request("GET", f"/v1/sessions/{session_id}"))

    def expire_session(self, session_id: str) -> HostedSession:
        return HostedSession.from_wire(self._request("POST", f"/v1/sessions/{session_id}/expire"))


def client() -> ProcessorClient:
    """The configured processor; with the sandbox on and no ``PROCESSOR_URL``, the sandbox's."""
    base = settings.PROCESSOR_URL
    if not base and settings.JWO_SANDBOX:
        base = f"{settings.JWO_SANDBOX_URL.rstrip('/')}/processor"
    if not base:
        raise ProcessorError("PROCESSOR_URL is not set: the portal cannot take payments.")
    return ProcessorClient(base_url=base, api_key=settings.PROCESSOR_API_KEY)
