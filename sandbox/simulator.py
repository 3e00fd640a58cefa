"""The gate simulator: plays Amazon's side of a store against the console's connector.

For each shopper it opens the gate's pre-auth (the sandbox's own state), enters by app
(``POST /v1/identity/identity-keys`` with a Base64 Scan Key Code) or by card (the F&A call
``POST /v1/fraudandabuse/shopperauthorization`` when the store's strategy is retailer-managed),
optionally scans a loyalty code (``POST /v1/identity/scan``), and walks out with a cart built
from what Amazon knows of the store's catalog (``POST /v1/order/purchases``), with rates for
empty carts, unknown SKUs and group trips. Every request carries the connector's shared secret
(``X-JWO-Connector-Secret``), as the API Gateway in front would add it.

Payloads follow the request shapes in connector/serializers.py, with the
spellings the reference pages use (``timestamp``/``location``).
"""

import base64
import random
import secrets
import statistics
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests
import simplejson
from django.db import close_old_connections

from .models import CardProfile, SandboxCatalogItem, SandboxTrip
from .trips import known_store, open_trip


def mock_identity_key(shopper_no: int) -> str:
    """A Scan Key Code in the shape of Amazon's mock (prefix + hex token), Base64-encoded.

    The console's own app codes replace this through ``SimulationConfig.identity_key``.
    """
    code = f"JWOSIM{shopper_no:06d}{secrets.token_hex(16)}"
    return base64.b64encode(code.encode()).decode()


def app_key_source(
    connector_url: str, tokens: list[str], timeout: float = 5.0
) -> Callable[[int], str]:
    """Shopper n asks the retailer's app endpoint for a fresh Scan Key Code with the n-th app
    token (round robin), as the app on the shopper's phone does before the QR is shown."""

    def fetch(shopper_no: int) -> str:
        token = tokens[shopper_no % len(tokens)]
        try:
            response = requests.post(
                f"{connector_url.rstrip('/')}/shoppers/app/scan-key-code",
                headers={"Authorization": f"Bearer {token}"},
                timeout=timeout,
            )
            code = response.json().get("code", "") if response.status_code == 201 else ""
        except (requests.RequestException, ValueError):
            code = ""  # the retailer's app could not get a code: the gate sees a foreign one
        return base64.b64encode(code.encode()).decode() if code else mock_identity_key(shopper_no)

    return fetch


@dataclass
class SimulationConfig:
    connector_url: str
    connector_secret: str
    store_id: str
    shoppers: int = 10
    concurrency: int = 4
    app_share: float = 0.5
    decline_rate: float = 0.0
    empty_rate: float = 0.05
    unknown_sku_rate: float = 0.05
    group_rate: float = 0.05
    loyalty_rate: float = 0.0
    retailer_fa: bool = False
    # F&A: the risks Amazon reports for a card entry, at this rate (e.g. ("ExpiredCard",), 0.3)
    risks: tuple[str, ...] = ()
    risk_rate: float = 0.0
    max_items: int = 5
    timeout: float = 10.0
    seed: int | None = None
    # Amazon sends a cart again, identically, when the retailer answered 5xx, 429 or not at all:
    # up to this many more times, resend_wait seconds apart.
    purchase_resends: int = 0
    resend_wait: float = 1.0
    identity_key: Callable[[int], str] = mock_identity_key


@dataclass
class Step:
    endpoint: str
    request: dict
    status: int | None
    response: Any
    ms: float
    at: float = 0.0  # epoch seconds when the call was sent (0: no call)


@dataclass
class TripOutcome:
    shopper_no: int
    trip_id: str
    entry: str
    admitted: bool = False
    purchase_status: int | None = None
    purchase_id: str | None = None
    purchase_sends: int = 0
    cart_sent_at: float | None = None  # epoch seconds of the first CreatePurchases
    cart: list[dict] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    note: str = ""


@dataclass
class Summary:
    outcomes: list[TripOutcome]
    wall_seconds: float

    def latencies(self) -> dict[str, list[float]]:
        by_endpoint: dict[str, list[float]] = defaultdict(list)
        for outcome in self.outcomes:
            for step in outcome.steps:
                by_endpoint[step.endpoint].append(step.ms)
        return by_endpoint

    def lines(self) -> list[str]:
        outcomes = self.outcomes
        entries = Counter(o.entry for o in outcomes)
        admitted = Counter(o.entry for o in outcomes if o.admitted)
        purchases = Counter(str(o.purchase_status) for o in outcomes if o.admitted)
        lines = [
            f"{len(outcomes)} shoppers in {self.wall_seconds:.1f} s",
            "entry: "
            + ", ".join(f"{e} {admitted[e]}/{n} admitted" for e, n in sorted(entries.items())),
            "purchases by HTTP status: "
            + (", ".join(f"{s}: {n}" for s, n in sorted(purchases.items())) or "none"),
            f"carts: {sum(1 for o in outcomes if o.admitted and not o.cart)} empty, "
            f"{sum(1 for o in outcomes if any(i['id'].startswith('SKU-UNKNOWN') for i in o.cart))}"
            " with an unknown SKU",
        ]
        for endpoint, values in sorted(self.latencies().items()):
            values = sorted(values)
            p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
            lines.append(
                f"{endpoint}: n={len(values)} p50={statistics.median(values):.1f} ms "
                f"p99={p99:.1f} ms max={values[-1]:.1f} ms"
            )
        return lines


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class GateSimulator:
    def __init__(self, config: SimulationConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self.session = session or requests.Session()
        self.random = random.Random(config.seed)  # noqa: S311 (simulation, not security)
        self._lock = threading.Lock()
        store = known_store(config.store_id)
        if store is None:
            raise ValueError(f"the sandbox knows no store {config.store_id!r}")
        self.store = store

    # -- HTTP -----------------------------------------------------------------------------------
    def _post(self, outcome: TripOutcome, endpoint: str, body: dict) -> tuple[int | None, Any]:
        at, started = time.time(), time.perf_counter()
        try:
            response = self.session.post(
                f"{self.config.connector_url.rstrip('/')}{endpoint}",
                data=simplejson.dumps(body, use_decimal=True),
                headers={
                    "Content-Type": "application/json",
                    "X-JWO-Connector-Secret": self.config.connector_secret,
                },
                timeout=self.config.timeout,
            )
            status: int | None = response.status_code
            try:
                data: Any = response.json()
            except ValueError:
                data = response.text[:500]
        except requests.RequestException as exc:
            status, data = None, f"{exc.__class__.__name__}: {exc}"[:500]
        ms = (time.perf_counter() - started) * 1000
        outcome.steps.append(Step(endpoint, body, status, data, ms, at))
        return status, data

    def _pick(self, rate: float) -> bool:
        with self._lock:
            return self.random.random() < rate

    # -- one shopper ----------------------------------------------------------------------------
    def run_trip(
        self,
        shopper_no: int,
        *,
        entry: str | None = None,
        card_profile: str | None = None,
        cart: list[dict] | None = None,
        nsf_limit: Decimal | None = None,
        preauth: Decimal | None = None,
    ) -> TripOutcome:
        cfg = self.config
        entry = entry or ("APP" if self._pick(cfg.app_share) else "CARD")
        profile = card_profile or (CardProfile.DECLINE if self._pick(cfg.decline_rate) else "OK")
        trip_id = str(uuid.uuid4())
        outcome = TripOutcome(shopper_no=shopper_no, trip_id=trip_id, entry=entry)
        # Amazon's id for the shopper: the same in F&A and in the cart (card entry), so a debt
        # booked on the cart's shopper is the one F&A asks about at the next entry.
        shopper_ref = f"amzn-card-{shopper_no}" if entry == "CARD" else f"sim-shopper-{shopper_no}"
        trip = open_trip(
            store=self.store,
            trip_id=trip_id,
            profile=profile,
            entry=entry,
            shopper_id=shopper_ref,
            nsf_limit=nsf_limit,
            preauth=preauth,
        )
        started_at = _now()
        members = 1 + (self.random.randint(1, 2) if self._pick(cfg.group_rate) else 0)
        auth_events = []
        for member in range(members):
            event = self._enter(outcome, entry, shopper_no, member, trip)
            if event is None:
                trip.cancelled = True  # the gate stayed closed: Amazon releases the pre-auth
                trip.gate_refused = True
                trip.save(update_fields=["cancelled", "gate_refused"])
                outcome.note = "refused at the gate"
                return outcome
            auth_events.append(event)
        outcome.admitted = True
        if self._pick(cfg.loyalty_rate):
            loyalty = self._scan_loyalty(outcome, shopper_no)
            if loyalty is not None:
                auth_events.append(loyalty)

        outcome.cart = cart if cart is not None else self._cart()
        trip.cart = [{"id": i["id"], "quantity": i["quantity"]["value"]} for i in outcome.cart]
        trip.save(update_fields=["cart"])
        body = {
            "requestId": str(uuid.uuid4()),
            "idempotentShoppingTripId": trip_id,
            "storeId": cfg.store_id,
            "shoppingTrip": {
                "startTime": started_at,
                "endTime": _now(),
                "authEvents": auth_events,
            },
            "cartItems": outcome.cart,
            "shopperIdentity": {"id": shopper_ref},
            "shopperDeviceId": f"sim-device-{shopper_no}",
            "paymentSource": {"id": f"pm-{trip_id[:8]}"},
        }
        outcome.cart_sent_at = time.time()
        status, data = self._send_cart(outcome, body)
        outcome.purchase_status = status
        if isinstance(data, dict):
            outcome.purchase_id = data.get("purchaseId")
        return outcome

    def _send_cart(self, outcome: TripOutcome, body: dict) -> tuple[int | None, Any]:
        """CreatePurchases, sent again identically after a 5xx, a 429 or no answer, as Amazon
        does."""
        while True:
            outcome.purchase_sends += 1
            status, data = self._post(outcome, "/v1/order/purchases", body)
            if status is not None and status < 500 and status != 429:
                return status, data
            if outcome.purchase_sends > self.config.purchase_resends:  # read each time: a
                return status, data  # caller stopping a run sets it to 0
            time.sleep(self.config.resend_wait)

    def _enter(self, outcome, entry, shopper_no, member, trip) -> dict | None:
        cfg = self.config
        event_id = str(uuid.uuid4())
        if entry == "APP":
            body = {
                "requestId": str(uuid.uuid4()),
                "identityKey": cfg.identity_key(shopper_no),
                "storeId": cfg.store_id,
                "authEvent": {"id": event_id, "timestamp": _now(), "location": "ENTRY"},
                "keyChannel": "OPTICAL",
            }
            status, data = self._post(outcome, "/v1/identity/identity-keys", body)
            if status != 200 or not isinstance(data, dict):
                return None
            visitor = data.get("visitorDetails") or {}
            return {
                "id": event_id,
                "timestamp": body["authEvent"]["timestamp"],
                "location": "ENTRY",
                "payloadType": "SCAN_CODE",
                "scanResult": {"id": visitor.get("id", ""), "type": visitor.get("type", "SHOPPER")},
            }
        if not cfg.retailer_fa and self._amazon_tracks_debt(trip):
            # Amazon-managed F&A: Amazon itself keeps out a card whose trips were reported
            # unpaid (ReportPaymentStatus with settledAmount below totalAmount).
            outcome.steps.append(
                Step("amazon-gate", {"shopper": trip.shopper_id}, 403, "outstanding balance", 0.0)
            )
            return None
        if cfg.retailer_fa:
            amount = {"value": trip.preauth_amount, "currencyCode": trip.currency}
            risks = list(cfg.risks) if cfg.risks and self._pick(cfg.risk_rate) else []
            body = {
                "storeId": cfg.store_id,
                "shopperIdentity": {"id": trip.shopper_id},
                "authorizedAmount": amount,
                "shopperInteraction": {
                    "shoppingTripId": trip.trip_id,
                    "gateAuthenticationEvent": {
                        "id": event_id,
                        "type": "CREDIT_CARD",
                        "interactionType": "TAP",
                        "timestamp": _now(),
                        "location": "ENTRY",
                    },
                    "recommendation": {"shopperAuthorized": True, "shopperRisks": risks},
                },
            }
            status, data = self._post(outcome, "/v1/fraudandabuse/shopperauthorization", body)
            denied = isinstance(data, dict) and (
                data.get("shopperAuthorized") is False or data.get("decision") == "DENIED"
            )
            if status != 200 or denied:
                return None
            for condition in data.get("authorizationConditions") or []:
                # ADJUST: Amazon pre-authorizes the reduced amount the retailer answered
                if condition.get("type") == "ADJUST" and "amount" in condition:
                    trip.preauth_amount = Decimal(str(condition["amount"]["value"]))
                    trip.save(update_fields=["preauth_amount"])
        return {
            "id": event_id,
            "timestamp": _now(),
            "location": "ENTRY",
            "payloadType": "FINANCIAL",
        }

    @staticmethod
    def _amazon_tracks_debt(trip) -> bool:
        return (
            SandboxTrip.objects.filter(shopper_id=trip.shopper_id, outstanding_amount__gt=0)
            .exclude(pk=trip.pk)
            .exists()
        )

    def _scan_loyalty(self, outcome: TripOutcome, shopper_no: int) -> dict | None:
        code = f"LOYALTY{shopper_no:06d}"
        body = {
            "requestId": str(uuid.uuid4()),
            "storeId": self.config.store_id,
            "scanEvent": {
                "id": base64.b64encode(code.encode()).decode(),
                "timestamp": _now(),
                "location": "ENTRY",
                "value": code,
                "channel": "OPTICAL",
            },
        }
        status, data = self._post(outcome, "/v1/identity/scan", body)
        if status != 200 or not isinstance(data, dict):
            return None
        result = data.get("scanResult") if isinstance(data.get("scanResult"), dict) else data
        return {
            "id": str(uuid.uuid4()),
            "timestamp": body["scanEvent"]["timestamp"],
            "location": "ENTRY",
            "payloadType": "SCAN_CODE",
            "scanResult": {"id": result.get("id", ""), "type": "LOYALTY"},
        }

    def _cart(self) -> list[dict]:
        cfg = self.config
        if self._pick(cfg.empty_rate):
            return []
        skus = list(
            SandboxCatalogItem.objects.filter(store_id=cfg.store_id, archived=False).values_list(
                "item_sku", "external_product_id"
            )
        )
        with self._lock:
            chosen = self.random.sample(
                skus, k=min(len(skus), self.random.randint(1, cfg.max_items))
            )
            quantities = [self.random.randint(1, 3) for _ in chosen]
        items = [
            {
                "id": sku,
                "type": "SKU",
                "quantity": {"value": f"{qty}.0", "unit": "unit"},
                "externalIdentifiers": [{"id": barcode, "type": "UPC"}],
                "lineItemId": f"L{n + 1}",
            }
            for n, ((sku, barcode), qty) in enumerate(zip(chosen, quantities, strict=True))
        ]
        if not items or self._pick(cfg.unknown_sku_rate):
            items.append(
                {
                    "id": f"SKU-UNKNOWN-{secrets.token_hex(3)}",
                    "type": "SKU",
                    "quantity": {"value": "1.0", "unit": "unit"},
                    "lineItemId": f"L{len(items) + 1}",
                }
            )
        return items

    # -- many shoppers --------------------------------------------------------------------------
    def run(self) -> Summary:
        started = time.perf_counter()

        def one(n: int) -> TripOutcome:
            try:
                return self.run_trip(n)
            finally:
                close_old_connections()

        with ThreadPoolExecutor(max_workers=max(1, self.config.concurrency)) as pool:
            outcomes = list(pool.map(one, range(1, self.config.shoppers + 1)))
        return Summary(outcomes=outcomes, wall_seconds=time.perf_counter() - started)
