"""Demo shoppers for `make run`, each with a fixed app token (printed by seed_demo) so the gate
simulator can fetch real Scan Key Codes: ``simulate_trips --app-token demo-app-token-1 …``."""

from .models import Shopper
from .services import shopper_app_token_issue

DEMO_SHOPPERS = [
    ("ana@example.com", "Ana Shopper", False),
    ("ben@example.com", "Ben Shopper", False),
    ("flo@example.com", "Flo Flagged", True),
]


def seed_demo_shoppers() -> list[str]:
    tokens = []
    for n, (email, name, flagged) in enumerate(DEMO_SHOPPERS, start=1):
        shopper, _ = Shopper.objects.get_or_create(email=email, defaults={"name": name})
        if flagged and not shopper.is_flagged:
            Shopper.objects.filter(pk=shopper.pk).update(
                is_flagged=True, flag_reason="demo: chargeback"
            )
        tokens.append(shopper_app_token_issue(shopper=shopper, token=f"demo-app-token-{n}"))
    return tokens
