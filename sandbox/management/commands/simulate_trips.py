"""Send shoppers through a store's gates against the console's connector, as Amazon would.

manage.py simulate_trips --store jwo-demo-store-1 --shoppers 200 --concurrency 8
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sandbox.simulator import GateSimulator, SimulationConfig, app_key_source


class Command(BaseCommand):
    help = "Play Amazon's gate and exit for N shoppers against the console's connector endpoints."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--store", required=True, help="the JWO store id")
        parser.add_argument("--shoppers", type=int, default=20)
        parser.add_argument("--concurrency", type=int, default=4)
        parser.add_argument("--connector-url", default=settings.JWO_SANDBOX_CONNECTOR_URL)
        parser.add_argument("--secret", default=settings.JWO_CONNECTOR_SECRET)
        parser.add_argument("--app-share", type=float, default=0.5, help="share entering by app")
        parser.add_argument("--decline-rate", type=float, default=0.1)
        parser.add_argument("--empty-rate", type=float, default=0.05)
        parser.add_argument("--unknown-sku-rate", type=float, default=0.05)
        parser.add_argument("--group-rate", type=float, default=0.05)
        parser.add_argument("--loyalty-rate", type=float, default=0.2)
        parser.add_argument(
            "--retailer-fa", action="store_true", help="call the F&A endpoint at card entry"
        )
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument(
            "--app-token",
            action="append",
            default=[],
            help="a shopper's app token: app entries fetch real Scan Key Codes with it "
            "(repeat for more shoppers; without one, app entries use mock keys)",
        )

    def handle(self, *args, **o) -> None:
        if not settings.JWO_SANDBOX:
            raise CommandError("the gate simulator is part of the sandbox; JWO_SANDBOX is off")
        config = SimulationConfig(
            connector_url=o["connector_url"],
            connector_secret=o["secret"],
            store_id=o["store"],
            shoppers=o["shoppers"],
            concurrency=o["concurrency"],
            app_share=o["app_share"],
            decline_rate=o["decline_rate"],
            empty_rate=o["empty_rate"],
            unknown_sku_rate=o["unknown_sku_rate"],
            group_rate=o["group_rate"],
            loyalty_rate=o["loyalty_rate"],
            retailer_fa=o["retailer_fa"],
            seed=o["seed"],
        )
        if o["app_token"]:
            config.identity_key = app_key_source(o["connector_url"], o["app_token"])
        try:
            summary = GateSimulator(config).run()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for line in summary.lines():
            self.stdout.write(line)
        unreachable = [
            step for out in summary.outcomes for step in out.steps if step.status is None
        ]
        if unreachable:
            message = (
                f"{len(unreachable)} calls could not reach the connector at "
                f"{o['connector_url']} ({unreachable[0].response}); is the console running there? "
                "(--connector-url, or JWO_PORT as make run serves it)"
            )
            if len(unreachable) == sum(len(out.steps) for out in summary.outcomes):
                raise CommandError(message)
            self.stderr.write(message)
