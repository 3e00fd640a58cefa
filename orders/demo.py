"""Demo tax rates and promotions for `make run`."""

from decimal import Decimal

from stores.models import Merchant, Store

from .models import Promotion, TaxRate


def seed_demo_pricing(*, merchant: Merchant, stores: list[Store]) -> None:
    for store in stores:
        TaxRate.objects.get_or_create(store=store, tax_code="", defaults={"rate": Decimal("0.07")})
    promotions = [
        ("10% off drinks", "PERCENT_OFF", {"category": "Drinks", "percent": Decimal("10")}),
        ("Chips: buy 2 get 1", "BUY_X_GET_Y", {"sku": "SNK-001", "buy_qty": 2, "get_qty": 1}),
        (
            "$2 off $20",
            "BASKET_THRESHOLD",
            {"amount": Decimal("2.00"), "threshold": Decimal("20.00")},
        ),
    ]
    for name, kind, fields in promotions:
        Promotion.objects.get_or_create(
            merchant=merchant, name=name, defaults={"kind": kind, **fields}
        )
