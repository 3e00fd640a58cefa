from django.core.management.base import BaseCommand, CommandError

from jwo_console.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Sandbox only: move unfinished orders HOURS into the past and run the sweep, to "
        "watch the 48-hour retry schedule (15 min, 1 h, 4 h, ...) in minutes."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("hours", type=float, help="how far to travel, e.g. 4 or 0.25")

    def handle(self, *args, hours: float, **options) -> None:
        from payments.services import payment_time_travel

        try:
            attempts = payment_time_travel(hours=hours)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Travelled {hours:g} h; the sweep ran {len(attempts)} retries.")
        for attempt in attempts:
            order = attempt.order
            order.refresh_from_db()
            self.stdout.write(
                f"  {order.purchase_id}: retry {attempt.retry_no} {attempt.status} -> "
                f"{order.status} captured {order.captured_amount} {order.currency}"
            )
