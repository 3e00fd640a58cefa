"""Who is signed in to the portal, kept in the Django session under one key.

A shopper signs in by an e-mail link (``email``: every trip whose receipt or app account carries
that address) or by finding one trip with card details (``orders``: those orders only). Both can
be in one session (a shopper who looked up a card trip and then signed in by e-mail). The portal
session ends after ``PORTAL_SESSION_IDLE_MINUTES`` without a request, whatever the cookie says.
"""

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest

SESSION_KEY = "portal"


@dataclass
class PortalAccess:
    email: str = ""
    order_ids: list[int] = field(default_factory=list)

    @property
    def signed_in(self) -> bool:
        return bool(self.email or self.order_ids)


def current(request: HttpRequest) -> PortalAccess:
    """The signed-in shopper, or an empty access; an idle session is ended here."""
    data = request.session.get(SESSION_KEY)
    if not data:
        return PortalAccess()
    idle = settings.PORTAL_SESSION_IDLE_MINUTES * 60
    if time.time() - float(data.get("seen", 0)) > idle:
        end(request)
        request.portal_expired = True
        return PortalAccess()
    data["seen"] = time.time()
    request.session[SESSION_KEY] = data
    _expire_cookie(request)
    return PortalAccess(email=data.get("email", ""), order_ids=list(data.get("orders", [])))


def _expire_cookie(request: HttpRequest) -> None:
    # A shopper's cookie lasts as long as the portal's idle limit (staff sessions keep theirs).
    if not request.user.is_authenticated:
        request.session.set_expiry(settings.PORTAL_SESSION_IDLE_MINUTES * 60)


def grant_email(request: HttpRequest, email: str) -> None:
    data = request.session.get(SESSION_KEY) or {}
    request.session.cycle_key()  # a new session id at sign-in (no fixation)
    data.update(email=email.lower(), seen=time.time())
    request.session[SESSION_KEY] = data
    _expire_cookie(request)


def grant_order(request: HttpRequest, order_id: int) -> None:
    data = request.session.get(SESSION_KEY) or {}
    if not data:
        request.session.cycle_key()
    orders = list(dict.fromkeys([*data.get("orders", []), order_id]))[-20:]
    data.update(orders=orders, seen=time.time())
    request.session[SESSION_KEY] = data
    _expire_cookie(request)


def end(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    if not request.user.is_authenticated:
        request.session.flush()
