"""Idempotent demo data for ``make run``: a merchant, two stores with web registers, one store
mapped to ``jwo-demo-store-1``, a merchant admin and a staff user (credentials printed)."""

from django.core.management.base import BaseCommand

from stores.demo import DEMO_PASSWORDS, seed_demo


class Command(BaseCommand):
    help = "Create (or refresh) the demo merchant, stores, mapping and users. Safe to run again."

    def handle(self, *args, **options) -> None:
        result = seed_demo()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  merchant: {result.merchant.name}")
        for store in result.stores:
            mapped = getattr(store, "jwo_mapping", None)
            note = f"mapped to {mapped.jwo_store_id}" if mapped else "not mapped"
            self.stdout.write(f"  store: {store.name} ({store.time_zone}) — {note}")
        self.stdout.write("  Log in at http://127.0.0.1:8000/ as:")
        for username, password in DEMO_PASSWORDS.items():
            role = result.roles[username]
            self.stdout.write(f"    {username} / {password}   ({role})")
