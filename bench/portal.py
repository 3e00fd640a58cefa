"""The shopper portal at a million orders (PostgreSQL with DATABASE_URL; SQLite, smaller, without).

Seeds the orders of bench/orders.py, with receipt data for every order (the card's last four,
the statement transaction id, the e-mail GetShopperIdentity gave) and a debt on the ledger for
every order in ERROR. Prints p50 / p95 server time (view and template) of what a shopper does:
the trips page of a card shopper signed in by e-mail (20 trips), of an app shopper with 100,000
trips (first page), the balance page, and the two card lookups. No target is given by the issue;
a page under 200 ms at p95 is the console's own bar.

    .venv/bin/python bench/portal.py [ORDERS]
"""

import os
import sys
import time

from _common import (
    bench_store,
    django_setup,
    fresh_database,
    new_tmp,
    seed_orders,
    timed,
    timed_get,
)


def _seed_receipts_and_debts(db_url: str) -> float:
    started = time.perf_counter()
    if db_url.startswith("postgres"):
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(
                """
                INSERT INTO payments_paymentreceipt (created_at, updated_at, order_id, brand, tail,
                    pos_entry_mode, authorization_response_code, application_id, terminal_id,
                    reconciliation_id, card_statement_transaction_id, shopper_email, data)
                SELECT now(), now(), o.id, 'VISA', lpad((t.id % 10000)::text, 4, '0'),
                       'EMV_9F39_07', '00', 'A0000000031010', 'JWO00001', 'REC' || o.id,
                       'TXN' || o.id, t.amazon_shopper_id || '@shoppers.example', '{}'
                FROM orders_order o JOIN orders_shoppingtrip t ON t.id = o.trip_id
                WHERE t.shopper_id IS NULL
                """
            )
            # The card shopper measured (amzn-card-123) gets two declined trips; the app
            # shopper keeps three of its declined ones owed (a gate refuses after the first,
            # so more is not what a shopper meets).
            cur.execute(
                """
                UPDATE orders_order SET status = 'ERROR', captured_amount = 0
                WHERE trip_id IN (SELECT id FROM orders_shoppingtrip
                                  WHERE amazon_shopper_id = 'amzn-card-123' AND shopper_id IS NULL
                                  ORDER BY id LIMIT 2)
                """
            )
            cur.execute(
                """
                INSERT INTO shoppers_ledgerentry (created_at, updated_at, shopper_id, card_token,
                    kind, amount, currency, trip_id, note, reference)
                SELECT now(), now(), t.shopper_id,
                       CASE WHEN t.shopper_id IS NULL THEN t.amazon_shopper_id ELSE '' END,
                       'DEBT', o.total, 'USD', t.trip_id, '', 'order:' || o.id || ':debt'
                FROM orders_order o JOIN orders_shoppingtrip t ON t.id = o.trip_id
                WHERE o.status = 'ERROR' AND (t.shopper_id IS NULL OR t.id <= 30)
                """
            )
            cur.execute("ANALYZE payments_paymentreceipt; ANALYZE shoppers_ledgerentry")
    else:
        from orders.models import Order
        from payments.models import PaymentReceipt
        from shoppers.models import LedgerEntry

        first_two = Order.objects.filter(
            trip__amazon_shopper_id="amzn-card-123", trip__shopper=None
        ).order_by("trip_id")[:2]
        Order.objects.filter(pk__in=[o.pk for o in first_two]).update(
            status="ERROR", captured_amount=0
        )
        orders = Order.objects.select_related("trip").iterator(chunk_size=5000)
        receipts, debts = [], []
        for o in orders:
            if o.trip.shopper_id is None:
                receipts.append(
                    PaymentReceipt(
                        order=o,
                        brand="VISA",
                        tail=f"{o.trip_id % 10000:04d}",
                        card_statement_transaction_id=f"TXN{o.pk}",
                        shopper_email=f"{o.trip.amazon_shopper_id}@shoppers.example",
                    )
                )
            if o.status == "ERROR" and (o.trip.shopper_id is None or o.trip_id <= 30):
                debts.append(
                    LedgerEntry(
                        shopper_id=o.trip.shopper_id,
                        card_token="" if o.trip.shopper_id else o.trip.amazon_shopper_id,
                        kind="DEBT",
                        amount=o.total,
                        trip_id=o.trip.trip_id,
                        reference=f"order:{o.pk}:debt",
                    )
                )
        PaymentReceipt.objects.bulk_create(receipts, batch_size=5000)
        LedgerEntry.objects.bulk_create(debts, batch_size=5000)
    return time.perf_counter() - started


def _signed_in(email: str):
    from django.test import Client

    client = Client()
    session = client.session
    session["portal"] = {"email": email, "seen": time.time()}
    session.save()
    return client


def main(count: int) -> None:
    tmp = new_tmp("jwo-bench-portal-")
    db_url = fresh_database("jwo_bench_portal", tmp)
    if not db_url.startswith("postgres"):
        count = min(count, 100_000)
    django_setup(db_url, tmp, PORTAL_LOOKUP_RATE_PER_IP="1000000/hour")
    from django.test import Client

    from orders.models import Order

    store, shopper = bench_store()
    seeded = seed_orders(count, db_url, store, shopper)
    extra = _seed_receipts_and_debts(db_url)

    # A regular: an app shopper with 1,000 of the bench shopper's trips (a trip a day for
    # three years). The bench shopper keeps the rest (every tenth trip): a stress case.
    from orders.models import ShoppingTrip
    from shoppers.models import Shopper

    regular = Shopper.objects.create(email="robin.regular@example.com", name="Robin Regular")
    ids = list(
        ShoppingTrip.objects.filter(shopper=shopper)
        .order_by("-pk")
        .values_list("pk", flat=True)[:1000]
    )
    ShoppingTrip.objects.filter(pk__in=ids).update(shopper=regular)
    if db_url.startswith("postgres"):
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("ANALYZE orders_shoppingtrip")

    card = _signed_in("amzn-card-123@shoppers.example")
    app = _signed_in("robin.regular@example.com")
    stress = _signed_in("pat.bench@example.com")
    trips = timed_get(card, "/portal/receipts/", {})
    app_trips = timed_get(app, "/portal/receipts/", {})
    stress_trips = timed_get(stress, "/portal/receipts/", {}, runs=5)
    balance = timed_get(card, "/portal/balance/", {})
    app_balance = timed_get(stress, "/portal/balance/", {})
    receipt = Order.objects.filter(
        trip__amazon_shopper_id="amzn-card-123", trip__shopper=None
    ).first()
    one = timed_get(card, f"/portal/receipts/{receipt.purchase_id}/", {})

    target = Order.objects.select_related("trip", "receipt").get(pk=receipt.pk)
    day = target.trip.ended_at.astimezone(store.zone).date().isoformat()

    def lookup(data: dict) -> None:
        response = Client().post("/portal/find-trip/", data)
        assert response.status_code == 302, response.status_code

    by_statement = timed(
        lambda: lookup({"statement_id": target.receipt.card_statement_transaction_id})
    )
    by_card = timed(
        lambda: lookup({"last4": target.receipt.tail, "day": day, "amount": str(target.total)})
    )
    card_trips = Order.objects.filter(trip__amazon_shopper_id="amzn-card-123", trip__shopper=None)
    app_trips_n = Order.objects.filter(trip__shopper=regular).count()
    stress_n = Order.objects.filter(trip__shopper=shopper).count()
    print(
        f"orders: {count:,} seeded in {seeded:.1f} s, receipts and debts in {extra:.1f} s, "
        f"on {db_url.split(':')[0]}, {os.cpu_count()} cores"
    )
    for label, (p50, p95) in (
        (f"trips page, card shopper ({card_trips.count():,} trips)", trips),
        (f"trips page, app shopper ({app_trips_n:,} trips)", app_trips),
        (f"trips page, stress: {stress_n:,} trips (5 runs)", stress_trips),
        ("a receipt", one),
        ("balance, card shopper (2 unpaid)", balance),
        ("balance, app shopper (3 unpaid)", app_balance),
        ("card lookup by statement id", by_statement),
        ("card lookup by last 4 + day + amount", by_card),
    ):
        print(f"  {label:38} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
