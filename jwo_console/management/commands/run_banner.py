"""For ``make run``: wait until the web server answers, then print the demo logins and the URLs
again (the start-up output has scrolled away by then), and stay up so honcho keeps the others."""

import time
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand

from stores.demo import DEMO_PASSWORDS


def banner_lines(base: str | None = None) -> list[str]:
    base = base or settings.LOCAL_BASE_URL  # the port make run serves on (JWO_PORT)
    lines = [
        "",
        "=" * 72,
        f"JWO Console is up: {base}/",
        "  Log in as:",
    ]
    roles = {"merchant": "Merchant admin", "staff": "Staff"}
    for username, password in DEMO_PASSWORDS.items():
        lines.append(f"    {username} / {password}   ({roles.get(username, '')})")
    lines += [
        f"  Shopper portal:  {base}/portal/",
        f"  Django admin:    {base}/admin/  (needs a superuser: "
        ".venv/bin/python manage.py createsuperuser)",
    ]
    if settings.JWO_SANDBOX:
        lines += [
            f"  Sandbox:         {base}/sandbox/  (What Amazon saw, Store gates, Fault injection)",
            f"  E-mails sent:    {base}/sandbox/outbox/",
            "  Gate simulator:  first Catalog -> Sync Items for the store (Amazon's carts",
            "                   hold synced items only), then:",
            "    .venv/bin/python manage.py simulate_trips --store jwo-demo-store-2 "
            f"--shoppers 20 --app-token demo-app-token-1 --connector-url {base}",
        ]
    lines += ["  Quieter or louder: JWO_RUN_VERBOSE=1 make run shows every request line.", "=" * 72]
    return lines


class Command(BaseCommand):
    help = "Print the demo logins and URLs once the web server answers (make run)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default=None, help="default: LOCAL_BASE_URL (JWO_PORT)")
        parser.add_argument("--timeout", type=float, default=120)
        parser.add_argument("--once", action="store_true", help="print and exit (for tests)")

    def handle(self, *args, url: str | None, timeout: float, once: bool, **options) -> None:
        url = url or settings.LOCAL_BASE_URL
        deadline = time.monotonic() + timeout
        while not once and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/livez", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except OSError:
                pass
            time.sleep(1)
        self.stdout.write("\n".join(banner_lines(url)))
        self.stdout.flush()
        while not once:  # honcho stops every process when one exits
            time.sleep(3600)
