"""The one road every request Amazon sends us takes, read top to bottom in ``run``:

0. host — a Host header outside ``ALLOWED_HOSTS`` is refused (JSON 400, stored) before Django's
   own check would answer HTML and lose it: connector/middleware.py, with ``refuse_host`` below;
1. read — the method (405) and the size (413, never holding more than the cap);
2. secret — ``X-JWO-Connector-Secret`` (401);
3. shape — JSON by content type (415) and read strictly (400, connector/parsing.py), the store's
   rate (429 with Retry-After), the serializer's shape and enums (400 naming the field and why;
   a well-formed gate call is accepted in plain Python first, the serializer judging the rest);
4. store and dedupe — the request stored, then deduplicated: a duplicate gets the original
   answer; the same key with a different payload gets 409 and is kept for review;
5. answer — the handler (a domain service) and the stored answer, committed together (or, for
   a handler that calls out, apart). An ``ApplicationError`` is a 400; anything else a 500,
   only ever our bug (for the gate, Amazon then follows the store's default).

Every refusal is stored too, with its answer. The handlers are in connector/views.py; each is
wrapped by ``endpoint`` below.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers

from jwo_console import heldwrites
from jwo_console.bodies import read_capped_body
from jwo_console.exceptions import ApplicationError
from jwo_console.logging import request_id_var

from . import services, throttle
from .models import ConnectorRequest, RequestStatus
from .parsing import BodyRefused, parse_body, printable
from .serializers import flatten_errors

logger = logging.getLogger(__name__)
Handler = Callable[[dict, dict, dict], tuple[int, dict]]

PREVIEW_CHARS = 65_536  # what is kept of a body refused for its size
JSON_TYPES = ("application/json", "")  # a missing Content-Type is taken as JSON


@dataclass(frozen=True)
class Route:
    """One endpoint: its name, its input, its deduplication key, and ``calls_out`` — the handler
    calls a remote service, so it runs outside any transaction and its answer is stored in a
    write of its own. Otherwise the handler's writes and the answer commit together: one commit
    (one WAL flush) after the stored request's own."""

    endpoint: str
    serializer_class: type[serializers.Serializer]
    dedupe: Callable[[dict], str | None]
    calls_out: bool = False
    # The handler reads, and writes only through jwo_console/heldwrites.py ``insert_or_hold``:
    # its writes are held and go with the stored answer, one round trip (PostgreSQL).
    holds_writes: bool = False
    # A plain-Python accept for a well-formed body (connector/serializers.py "without DRF"):
    # (validated data, context), or None to let the serializer decide.
    fast: Callable[[Any], tuple[dict, dict] | None] | None = None


def _is_json(content_type: str) -> bool:
    return content_type in JSON_TYPES or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def read_body(request: HttpRequest, cap: int) -> tuple[bytes, int, bool]:
    """(body or its preview, bytes received or declared, too large?) without ever holding more
    than ``cap`` bytes (Django's own limit would answer an HTML 400 and lose the request); a
    chunked body too (jwo_console/bodies.py)."""
    return read_capped_body(request, cap=cap, preview=PREVIEW_CHARS)


def refusal(field_name: str, error: str) -> dict:
    message = f"{field_name}: {error}" if field_name else error
    return {"message": message, "errors": [{"field": field_name, "error": error}]}


@dataclass
class Call:
    """One request on its way: what was read, and (once stored) its row."""

    endpoint: str
    request: HttpRequest
    body: bytes
    size: int
    started: float
    replay_of: ConnectorRequest | None = None
    raw: dict | None = None
    stored: ConnectorRequest | None = field(default=None, repr=False)

    def refuse(
        self,
        http_status: int,
        answer: dict,
        status: str,
        *,
        with_raw: bool = False,
        extra_headers: dict | None = None,
    ) -> JsonResponse:
        """Store a refusal with its answer (one write) and answer it in JSON."""
        raw = (self.raw or {}) if with_raw else {}
        services.connector_request_refused(
            endpoint=self.endpoint,
            headers=dict(self.request.headers),
            body=self.body,
            size=self.size,
            method=self.request.method or "",
            status=status,
            http_status=http_status,
            answer=answer,
            started=self.started,
            replay_of=self.replay_of,
            store_id=str(raw.get("storeId", ""))[:255],
            request_id=str(raw.get("requestId", ""))[:100],
        )
        response = JsonResponse(answer, status=http_status)
        for name, value in (extra_headers or {}).items():
            response[name] = value
        return response

    def answer(self, http_status: int, body: dict, status: str, **kw: Any) -> JsonResponse:
        """Store the answer on the stored request (with the handler's held writes, if any:
        ``held=``) and send it."""
        services.connector_request_answer(
            req=self.stored,
            status=status,
            http_status=http_status,
            body=body,
            started=self.started,
            **kw,
        )
        return JsonResponse(body, status=http_status)


def run(
    route: Route,
    handler: Handler,
    request: HttpRequest,
    replay_of: ConnectorRequest | None = None,
) -> JsonResponse:
    """The pipeline, in order; each step answers a refusal or lets the request through."""
    started = time.monotonic()
    cap = settings.JWO_CONNECTOR_MAX_BODY_BYTES
    body, size, too_large = read_body(request, cap)
    call = Call(route.endpoint, request, body, size, started, replay_of)

    # 1. read
    if request.method != "POST":
        answer = refusal("", f"{request.method} is not allowed here; use POST")
        return call.refuse(405, answer, RequestStatus.NOT_ALLOWED, extra_headers={"Allow": "POST"})
    if too_large:
        answer = refusal("", f"the body is {size} bytes; at most {cap} are accepted")
        return call.refuse(413, answer, RequestStatus.TOO_LARGE)

    # 2. secret
    if not services.connector_secret_valid(request.headers.get("X-JWO-Connector-Secret", "")):
        answer = {"message": "Missing or wrong X-JWO-Connector-Secret."}
        return call.refuse(401, answer, RequestStatus.UNAUTHORIZED)

    # 3. shape
    if not _is_json(request.content_type or ""):
        error = f"Content-Type {request.content_type[:100]} is not JSON; send application/json"
        return call.refuse(415, refusal("", error), RequestStatus.UNSUPPORTED)
    try:
        call.raw = raw = parse_body(body, max_depth=settings.JWO_CONNECTOR_MAX_DEPTH)
    except BodyRefused as exc:
        return call.refuse(exc.http_status, exc.answer(), RequestStatus.INVALID)
    store_ref = raw.get("storeId")
    wait = throttle.store_hit(store_ref if isinstance(store_ref, str) else "")
    if wait:
        answer = {"message": f"Too many requests for this store; retry in {wait} s."}
        return call.refuse(
            429,
            answer,
            RequestStatus.THROTTLED,
            with_raw=True,
            extra_headers={"Retry-After": str(wait)},
        )
    accepted = route.fast(raw) if route.fast is not None else None
    if accepted is not None:
        data, context = accepted
    else:
        serializer = route.serializer_class(data=raw, context={})
        try:
            valid = serializer.is_valid()
        except (ValueError, OverflowError, OSError) as exc:  # e.g. a date beyond year 9999
            answer = refusal("", f"the request could not be read ({str(exc)[:120]})")
            return call.refuse(400, answer, RequestStatus.INVALID, with_raw=True)
        if not valid:
            errors = flatten_errors(serializer.errors)
            message = "; ".join(f"{e['field']}: {e['error']}" for e in errors)
            answer = {"message": message, "errors": errors}
            return call.refuse(400, answer, RequestStatus.INVALID, with_raw=True)
        data, context = serializer.validated_data, serializer.context
    request_id_var.set(str(raw.get("requestId", "-")))

    # 4. store and dedupe
    digest = services.payload_hash(raw)
    call.stored, original = services.connector_request_store(
        endpoint=route.endpoint,
        headers=dict(request.headers),
        body=body,
        dedupe_key=route.dedupe(data),
        digest=digest,
        store_id=str(raw.get("storeId", ""))[:255],
        request_id=str(raw.get("requestId", ""))[:100],
        replay_of=replay_of,
    )
    if original is not None:
        if original.payload_hash != digest:
            conflict = {"message": "This event was already sent with a different payload."}
            return call.answer(409, conflict, RequestStatus.CONFLICT, duplicate_of=original)
        original = services.await_answer(original)
        if original.response_status is None:
            busy = {"message": "The same request is still being processed; retry."}
            return call.answer(409, busy, RequestStatus.CONFLICT, duplicate_of=original)
        return call.answer(
            original.response_status,
            original.response_body,
            RequestStatus.DUPLICATE,
            duplicate_of=original,
        )

    # 5. answer
    try:
        # The domain work and the stored answer commit together: one commit, and a crash leaves
        # only the stored request, whose key a retry can take over.
        if route.calls_out:
            http_status, answer_body = handler(data, context, raw)
            return call.answer(http_status, answer_body, RequestStatus.ANSWERED)
        if route.holds_writes and heldwrites.can_hold():
            # Reads in autocommit; the handler's writes held, then sent with the answer in one
            # transaction and one round trip (all or nothing, as below).
            with heldwrites.held_writes() as held:
                http_status, answer_body = handler(data, context, raw)
            return call.answer(http_status, answer_body, RequestStatus.ANSWERED, held=held)
        with transaction.atomic():
            http_status, answer_body = handler(data, context, raw)
            return call.answer(http_status, answer_body, RequestStatus.ANSWERED)
    except ApplicationError as exc:
        return call.answer(400, {"message": exc.message}, RequestStatus.INVALID)
    except Exception as exc:
        logger.exception("connector handler failed", extra={"endpoint": route.endpoint})
        return call.answer(
            500,
            {"message": "Internal error"},
            RequestStatus.FAILED,
            error=f"{exc.__class__.__name__}: {exc}",
        )


def endpoint(
    name: str,
    serializer_class: type[serializers.Serializer],
    dedupe: Callable[[dict], str | None],
    calls_out: bool = False,
    holds_writes: bool = False,
    fast: Callable[[Any], tuple[dict, dict] | None] | None = None,
) -> Callable[[Handler], Callable]:
    """Make a handler an endpoint: the view Django serves runs ``run`` with it."""
    route = Route(name, serializer_class, dedupe, calls_out, holds_writes, fast)

    def wrap(handler: Handler) -> Callable:
        @csrf_exempt
        @login_not_required
        def view(request: HttpRequest, replay_of: ConnectorRequest | None = None) -> JsonResponse:
            return run(route, handler, request, replay_of)

        view.__name__ = view.__qualname__ = handler.__name__
        view.__doc__ = handler.__doc__
        view.handler = handler  # type: ignore[attr-defined]
        view.route = route  # type: ignore[attr-defined]  # its stored name (connector/middleware.py)
        return view

    return wrap


def refuse_unknown(request: HttpRequest, endpoint_name: str) -> JsonResponse:
    """A path that is not one of ours: a JSON 404, stored like every other input."""
    started = time.monotonic()
    body, size, _ = read_body(request, settings.JWO_CONNECTOR_MAX_BODY_BYTES)
    call = Call(endpoint_name, request, body, size, started)
    answer = refusal("", f"no endpoint at {printable(request.path)}")  # a NUL in it is escaped
    return call.refuse(404, answer, RequestStatus.NOT_FOUND)


def refuse_host(request: HttpRequest, endpoint_name: str, *, store: bool = True) -> JsonResponse:
    """A request whose Host header is not one of ``ALLOWED_HOSTS``: a JSON 400 naming the header,
    stored like every other input (unless ``store`` is off: a read of the OpenAPI document)."""
    started = time.monotonic()
    body, size, _ = read_body(request, settings.JWO_CONNECTOR_MAX_BODY_BYTES)
    answer = refusal("Host", "not a host this console answers on (ALLOWED_HOSTS)")
    if not store:
        return JsonResponse(answer, status=400)
    call = Call(endpoint_name, request, body, size, started)
    return call.refuse(400, answer, RequestStatus.INVALID)
