from django.conf import settings
from django.core.management.base import BaseCommand

from reconciliation.demo import seed_demo_reconciliation


class Command(BaseCommand):
    help = "Two reconciled demo days for the demo store (idempotent; `make run` calls it)."

    def handle(self, *args, **options) -> None:
        runs = seed_demo_reconciliation()
        for run in runs:
            self.stdout.write(
                f"  reconciled {run.store.name} on {run.day}: {run.matched} matched, "
                f"{run.mismatches} mismatch(es)"
            )
        self.stdout.write(
            f"  Financial → Reconciliation: {settings.LOCAL_BASE_URL}/financial/reconciliation/"
        )
