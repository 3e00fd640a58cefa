"""Idempotent demo data for ``make run``: a merchant, two stores with web registers, one store
mapped to ``jwo-demo-store-1``, a small catalog sold in both with its opening stock counts, a
merchant admin and a staff user (credentials printed)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from catalog.demo import seed_demo_catalog
from orders.demo import seed_demo_pricing
from shoppers.demo import seed_demo_shoppers
from stock.demo import seed_demo_stock
from stores.demo import DEMO_PASSWORDS, seed_demo


class Command(BaseCommand):
    help = "Create or refresh the demo merchant, stores, mapping, catalog and users (idempotent)."

    def handle(self, *args, **options) -> None:
        result = seed_demo()
        items = seed_demo_catalog(merchant=result.merchant, stores=result.stores)
        seed_demo_pricing(merchant=result.merchant, stores=result.stores)
        counted = seed_demo_stock(stores=result.stores)
        tokens = seed_demo_shoppers()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  merchant: {result.merchant.name}, {items} catalog items")
        if counted:
            self.stdout.write(f"  stock: {counted} items counted three mornings ago")
        for store in result.stores:
            mapped = getattr(store, "jwo_mapping", None)
            note = f"mapped to {mapped.jwo_store_id}" if mapped else "not mapped"
            self.stdout.write(f"  store: {store.name} ({store.time_zone}) — {note}")
        self.stdout.write(f"  shopper app tokens: {', '.join(tokens)} (the last one is flagged)")
        self.stdout.write(
            f"  Shopper portal: {settings.LOCAL_BASE_URL}/portal/ — walk a card shopper N through "
            "Sandbox → Store gates, then sign in as amzn-card-N@shoppers.example (the sign-in "
            "link prints in this terminal)"
        )
        self.stdout.write(f"  Log in at {settings.LOCAL_BASE_URL}/ as:")
        for username, password in DEMO_PASSWORDS.items():
            role = result.roles[username]
            self.stdout.write(f"    {username} / {password}   ({role})")
