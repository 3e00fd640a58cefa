"""Loyalty providers (YinzCam, VenueNext) behind one interface.

Neither provider's API is part of our specification, so both clients speak one small JSON
shape — ``POST {base}/v1/members/resolve {"code"}`` and ``GET {base}/v1/members/{id}``, each
answering ``{"memberId", "tier", "discountPercent"}`` (404 when unknown), authenticated with
``X-Api-Key`` — which the sandbox plays for both. When a provider's real API is in hand, only
that provider's ``_request`` and ``_member`` change; callers keep ``resolve`` and ``member``.
"""

from dataclasses import dataclass
from decimal import Decimal

import requests
from django.conf import settings


class LoyaltyUnavailable(Exception):
    """The provider did not answer (timeout, 5xx): try again later."""


@dataclass(frozen=True)
class LoyaltyMember:
    provider: str
    member_id: str
    tier: str
    discount_percent: Decimal


class LoyaltyClient:
    provider = ""
    label = ""

    def __init__(self, *, base_url: str, api_key: str, timeout: float = 2.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def _request(self, method: str, path: str, **kwargs) -> requests.Response | None:
        try:
            response = requests.request(
                method,
                f"{self.base_url}{path}",
                headers={"X-Api-Key": self.api_key},
                timeout=self.timeout,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise LoyaltyUnavailable(f"{self.label}: {exc.__class__.__name__}") from exc
        if response.status_code == 404:
            return None
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            raise LoyaltyUnavailable(f"{self.label}: HTTP {response.status_code}")
        return response

    def _member(self, data: dict) -> LoyaltyMember:
        return LoyaltyMember(
            provider=self.provider,
            member_id=str(data["memberId"]),
            tier=str(data.get("tier", "")),
            discount_percent=Decimal(str(data.get("discountPercent", "0"))),
        )

    def resolve(self, code: str) -> LoyaltyMember | None:
        """The member a scanned loyalty code belongs to, or None."""
        response = self._request("POST", "/v1/members/resolve", json={"code": code})
        return None if response is None else self._member(response.json())

    def member(self, member_id: str) -> LoyaltyMember | None:
        response = self._request("GET", f"/v1/members/{member_id}")
        return None if response is None else self._member(response.json())


class YinzCamClient(LoyaltyClient):
    provider = "YINZCAM"
    label = "YinzCam"


class VenueNextClient(LoyaltyClient):
    provider = "VENUENEXT"
    label = "VenueNext"


def loyalty_client(provider: str) -> LoyaltyClient:
    """The client of a store's provider, configured from settings (the sandbox when it is on)."""
    sandbox = f"{settings.JWO_SANDBOX_URL.rstrip('/')}/loyalty" if settings.JWO_SANDBOX else ""
    if provider == "YINZCAM":
        url = settings.YINZCAM_URL or (f"{sandbox}/yinzcam" if sandbox else "")
        return YinzCamClient(base_url=url, api_key=settings.YINZCAM_API_KEY)
    if provider == "VENUENEXT":
        url = settings.VENUENEXT_URL or (f"{sandbox}/venuenext" if sandbox else "")
        return VenueNextClient(base_url=url, api_key=settings.VENUENEXT_API_KEY)
    raise ValueError(f"unknown loyalty provider {provider}")
