"""Where a connector call's server time goes, in process (no HTTP, no load generator): the mean
time and database round trips of identity-keys and purchases (30 lines) against the floor
(/livez) through Django's full handler, and optionally a cProfile of one endpoint. Not a
benchmark ``make bench`` runs; a tool for finding what bench/connector.py measures.

    .venv/bin/python bench/_profile_connector.py [N] [identity|purchases]
"""

import base64
import cProfile
import io
import json
import os
import pstats
import sys
import time
import uuid

from _common import ROOT, django_setup, fresh_database, new_tmp  # noqa: F401


def main(count: int, profile: str | None) -> None:
    tmp = new_tmp("jwo-profile-connector-")
    base = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1] or "jwo"
    db_url = fresh_database(f"{base}_profile_connector", tmp)
    django_setup(db_url, tmp, DEBUG="0", JWO_CONNECTOR_SECRET="s")
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from catalog.models import Item, StoreItem
    from shoppers.models import AppScanKey, Shopper
    from shoppers.scankeys import encode, new_token
    from stores.models import JwoStoreMapping, Merchant, Store, WebRegister

    merchant = Merchant.objects.create(name="P", code="p")
    store = Store.objects.create(merchant=merchant, name="P", code="p", time_zone="UTC")
    register = WebRegister.objects.create(store=store, name="Web", code="web")
    JwoStoreMapping.objects.create(
        store=store, web_register=register, jwo_store_id="jwo-p", loyalty_provider="YINZCAM"
    )
    items = Item.objects.bulk_create(
        Item(merchant=merchant, sku=f"SKU-{n:03d}", name=f"I{n}", barcode=f"{n:012d}")
        for n in range(30)
    )
    StoreItem.objects.bulk_create(StoreItem(store=store, item=i, price="1.99") for i in items)
    shopper = Shopper.objects.create(email="p@example.com")
    keys = AppScanKey.objects.bulk_create(
        AppScanKey(
            shopper=shopper, token=new_token(), issued_at=timezone.now().replace(microsecond=0)
        )
        for _ in range(count + 5)
    )
    codes = [
        base64.b64encode(
            encode(prefix="JWO", issued_at=k.issued_at, token=k.token).encode()
        ).decode()
        for k in keys
    ]
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cart = [
        {
            "id": f"SKU-{n:03d}",
            "type": "SKU",
            "quantity": {"value": "1.0", "unit": "unit"},
            "lineItemId": f"L{n}",
        }
        for n in range(30)
    ]

    def identity(n):
        return {
            "requestId": str(uuid.uuid4()),
            "identityKey": codes[n],
            "storeId": "jwo-p",
            "authEvent": {"id": str(uuid.uuid4()), "timestamp": now, "location": "ENTRY"},
            "keyChannel": "OPTICAL",
        }

    def purchase(n):
        return {
            "requestId": str(uuid.uuid4()),
            "idempotentShoppingTripId": str(uuid.uuid4()),
            "storeId": "jwo-p",
            "shoppingTrip": {
                "startTime": now,
                "endTime": now,
                "authEvents": [{"id": f"e{n}", "payloadType": "FINANCIAL"}],
            },
            "cartItems": cart,
        }

    client = Client(HTTP_X_JWO_CONNECTOR_SECRET="s")
    from celery import current_app

    current_app.conf.task_always_eager = False
    import orders.services as order_services

    order_services.send_on_commit = lambda *a, **k: None  # pricing is the workers' work

    def run(name, path, make, expected):
        bodies = [json.dumps(make(n)) if make else None for n in range(count)]
        for n in range(3):  # warm up
            (
                client.get(path)
                if make is None
                else client.post(
                    path,
                    json.dumps(make(count + n)) if make else None,
                    content_type="application/json",
                )
            )
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            for body in bodies:
                if body is None:
                    response = client.get(path)
                else:
                    response = client.post(path, body, content_type="application/json")
                assert response.status_code == expected, response.content[:300]
            elapsed = (time.perf_counter() - started) / count * 1000
        print(f"  {name:22} {elapsed:6.2f} ms/request  {len(queries) / count:4.1f} queries")
        return bodies

    print(f"in process, {count} requests each, database {db_url.split(':')[0]}")
    run("floor (/livez)", "/livez", None, 200)
    run("identity-keys", "/v1/identity/identity-keys", identity, 200)
    run("purchases, 30 lines", "/v1/order/purchases", purchase, 201)
    if profile:
        path, make, _ = {
            "identity": ("/v1/identity/identity-keys", identity, 200),
            "purchases": ("/v1/order/purchases", purchase, 201),
        }[profile]
        bodies = [json.dumps(make(n)) for n in range(count)]
        profiler = cProfile.Profile()
        profiler.enable()
        for body in bodies:
            client.post(path, body, content_type="application/json")
        profiler.disable()
        out = io.StringIO()
        order = os.environ.get("SORT", "cumulative")  # SORT=tottime for the hot spots
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(45)
        print(out.getvalue())
        with CaptureQueriesContext(connection) as queries:
            client.post(
                path,
                json.dumps(make(0) | {"requestId": str(uuid.uuid4())}),
                content_type="application/json",
            )
        for q in queries:
            print("   ", q["sql"][:160])


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300, sys.argv[2] if len(sys.argv) > 2 else None)
