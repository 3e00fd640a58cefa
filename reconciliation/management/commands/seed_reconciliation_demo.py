import logging

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand

from reconciliation.demo import seed_demo_reconciliation


class Command(BaseCommand):
    help = "Two reconciled demo days for the demo store (idempotent; `make run` calls it)."

    def handle(self, *args, **options) -> None:
        if not apps.is_installed("sandbox"):
            self.stdout.write("  no reconciliation demo: the sandbox (playing Amazon) is off")
            return
        from sandbox.served import sandbox_served

        # make run serves nothing yet: the demo's trips are charged against a sandbox served
        # for the length of the seed. Its hundreds of calls are logged with -v 2 only.
        quiet = options["verbosity"] < 2
        if quiet:
            logging.disable(logging.WARNING)
        try:
            with sandbox_served():
                runs = seed_demo_reconciliation()
        finally:
            logging.disable(logging.NOTSET)
        for run in runs:
            self.stdout.write(
                f"  reconciled {run.store.name} on {run.day}: {run.matched} matched, "
                f"{run.mismatches} mismatch(es)"
            )
        self.stdout.write(
            f"  Financial → Reconciliation: {settings.LOCAL_BASE_URL}/financial/reconciliation/"
        )
