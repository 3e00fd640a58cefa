"""What API Gateway and the service front do for every sandbox API, in order:

1. store the request (SandboxCall) before anything else;
2. check the SigV4 signature against the sandbox's key pair → 403 ``{"message": ...}``;
3. inject a configured fault (latency, 429 with Retry-After, 500, 503, a hang before the call is
   carried out, a hang after it was carried out (the answer is lost), an empty answer to a read);
4. hold the catalog API to 10 requests per second → 429 ``{"errorMsg": "Too Many Requests"}``;
5. parse JSON (numbers as Decimal), run the handler, answer in Amazon's shapes:
   ``{"errorMsg": ...}`` on a 400 (plus ``message``, a detail a real Amazon does not give).
"""

import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import wraps
from typing import Any

import simplejson
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db.models import Case, F, Q, When
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from . import sigv4
from .models import FaultKind, SandboxCall, SandboxFault
from .validation import Invalid

logger = logging.getLogger(__name__)
Handler = Callable[[dict], tuple[int, Any]]
CATALOG_RATE_PER_SECOND = 10
_PARSE_ERROR = {"catalog": "Invalid request body"}


def _json_response(
    status: int, payload: Any, headers: dict[str, str] | None = None
) -> HttpResponse:
    if payload is None:
        response = HttpResponse(b"", status=status)
    else:
        body = simplejson.dumps(payload, use_decimal=True)
        response = HttpResponse(body, status=status, content_type="application/json")
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def _trip_of(body: bytes) -> str:
    """The shopping trip a payments or checkout call is about (``shoppingTripId``), or ""."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return ""
    trip = data.get("shoppingTripId") if isinstance(data, dict) else None
    return trip if isinstance(trip, str) else ""


def _take_fault(service: str, operation: str, trip_id: str = "") -> SandboxFault | None:
    """The oldest fault matching the call (a fault for one trip matches only that trip's calls),
    its count taken down by one.

    No row lock: a fault without a count (a day-wide latency) is only read, so concurrent calls
    do not queue behind each other on it; a counted one is taken by a conditional decrement,
    and a call that loses the race for its last use looks again."""
    trips = Q(trip_id="") | Q(trip_id=trip_id) if trip_id else Q(trip_id="")
    matching = (
        SandboxFault.objects.filter(
            Q(service__in=[service, "*"]), Q(operation__in=[operation, "*"]), trips
        )
        .exclude(remaining=0)
        # the most specific first: a fault for this trip, then for this operation, then for
        # the service, then everywhere (a day-wide latency does not hide a targeted fault)
        .annotate(
            for_trip=Case(When(trip_id="", then=1), default=0),
            for_any_operation=Case(When(operation="*", then=1), default=0),
            for_any_service=Case(When(service="*", then=1), default=0),
        )
        .order_by("for_trip", "for_any_operation", "for_any_service", "created_at")
    )
    while True:
        fault = matching.first()
        if fault is None or fault.remaining is None:
            return fault
        if SandboxFault.objects.filter(pk=fault.pk, remaining__gt=0).update(
            remaining=F("remaining") - 1
        ):
            fault.remaining -= 1
            return fault


def _catalog_over_limit(call: SandboxCall) -> bool:
    since = timezone.now() - timedelta(seconds=1)
    recent = (
        SandboxCall.objects.filter(service="catalog", received_at__gte=since, signature_ok=True)
        .exclude(status=429)
        .exclude(pk=call.pk)
        .count()
    )
    return recent >= CATALOG_RATE_PER_SECOND


def amazon_api(service: str, operation: str) -> Callable[[Handler], Callable]:
    def decorator(handler: Handler) -> Callable:
        @csrf_exempt
        @login_not_required
        @wraps(handler)
        def view(request: HttpRequest) -> HttpResponse:
            started = time.monotonic()
            headers = {
                k: ("[redacted]" if k.lower() == "authorization" else v)
                for k, v in request.headers.items()
            }
            call = SandboxCall.objects.create(
                service=service,
                operation=operation,
                path=request.get_full_path()[:300],
                headers=headers,
                body=request.body.decode("utf-8", errors="replace"),
            )

            def finish(status: int, payload: Any, extra_headers=None, fault="") -> HttpResponse:
                response = _json_response(status, payload, extra_headers)
                call.status = status
                call.response = response.content.decode("utf-8", errors="replace")[:20000]
                call.fault = fault
                call.duration_ms = int((time.monotonic() - started) * 1000)
                call.save(
                    update_fields=["status", "response", "fault", "duration_ms", "signature_ok"]
                )
                return response

            if request.method != "POST":
                return finish(405, {"message": "Method Not Allowed"})
            verdict = sigv4.verify(
                method=request.method,
                url=request.build_absolute_uri(),
                headers=dict(request.headers),
                body=request.body,
                access_key=settings.JWO_SANDBOX_ACCESS_KEY_ID,
                secret_key=settings.JWO_SANDBOX_SECRET_ACCESS_KEY,
                region=settings.JWO_REGION,
            )
            if not verdict.ok:
                return finish(403, {"message": verdict.reason})
            call.signature_ok = True

            fault = _take_fault(service, operation, _trip_of(request.body))
            if fault is not None:
                if fault.kind in (FaultKind.LATENCY, FaultKind.TIMEOUT):
                    time.sleep(fault.latency_ms / 1000)
                if fault.kind == FaultKind.TIMEOUT:
                    return finish(504, {"message": "Endpoint request timed out"}, fault=fault.kind)
                if fault.kind == FaultKind.THROTTLE:
                    return finish(
                        429,
                        {"errorMsg": "Too Many Requests"},
                        {"Retry-After": str(fault.retry_after)},
                        fault=fault.kind,
                    )
                if fault.kind in (FaultKind.ERROR_500, FaultKind.ERROR_503):
                    return finish(
                        int(fault.kind), {"errorMsg": "InternalServerError"}, fault=fault.kind
                    )
                if fault.kind == FaultKind.READ_BLIND:
                    return finish(200, {}, fault=fault.kind)

            if service == "catalog" and _catalog_over_limit(call):
                return finish(429, {"errorMsg": "Too Many Requests"}, {"Retry-After": "1"})

            try:
                data = simplejson.loads(request.body or b"null", use_decimal=True)
            except ValueError:
                return finish(400, {"errorMsg": _PARSE_ERROR.get(service, "BadRequestException")})
            try:
                status, payload = handler(data)
            except Invalid as exc:
                body = {"errorMsg": exc.error_msg, **exc.extra}
                if exc.detail:
                    body["message"] = exc.detail
                return finish(exc.status, body)
            if fault is not None and fault.kind == FaultKind.ANSWER_LOST:
                # The work is committed; the caller never hears of it.
                time.sleep(fault.latency_ms / 1000)
                return finish(504, {"message": "Endpoint request timed out"}, fault=fault.kind)
            return finish(status, payload)

        return view

    return decorator


def money_wire(amount: Decimal, code: str) -> dict:
    return {"amount": amount, "code": code}
