"""A small demo catalog for `make run`: drinks and snacks in both demo stores, one item whose
barcode breaks the check digit (flagged, never sent) and one that reuses another's barcode
(Amazon refuses it, so the rejection and its fix can be shown)."""

from decimal import Decimal

from django.db import transaction

from stores.models import Merchant, Store

from .models import Item, StoreItem
from .rules import gs1_check_digit_ok
from .services import eligibility, store_item_hashes_refresh

PRODUCTS = [
    ("DRK-001", "Acme Sparkling Water Lime 12oz", "Acme", "Drinks", "Water", "1.99"),
    ("DRK-002", "Acme Sparkling Water Berry 12oz", "Acme", "Drinks", "Water", "1.99"),
    ("DRK-003", "Summit Cola Classic 20oz", "Summit", "Drinks", "Soda", "2.49"),
    ("DRK-004", "Summit Cola Zero 20oz", "Summit", "Drinks", "Soda", "2.49"),
    ("DRK-005", "Peak Cold Brew Coffee 11oz", "Peak", "Drinks", "Coffee", "4.29"),
    ("DRK-006", "Valley Orange Juice 12oz", "Valley", "Drinks", "Juice", "3.19"),
    ("DRK-007", "Northern Lager 16oz Can", "Northern", "Drinks", "Beer", "7.50"),
    ("SNK-001", "Crunch Sea Salt Chips 2oz", "Crunch", "Snacks", "Chips", "2.29"),
    ("SNK-002", "Crunch BBQ Chips 2oz", "Crunch", "Snacks", "Chips", "2.29"),
    ("SNK-003", "Trail Mix Classic 3oz", "Trailhead", "Snacks", "Nuts", "3.49"),
    ("SNK-004", "Stadium Pretzel Bites 4oz", "Stadium", "Snacks", "Pretzels", "3.99"),
    ("SNK-005", "Choco Bar Milk 1.5oz", "Choco", "Snacks", "Candy", "1.79"),
    ("SNK-006", "Gummy Bears 5oz", "Sweetly", "Snacks", "Candy", "2.99"),
    ("FRS-001", "Turkey Club Sandwich", "Deli Fresh", "Fresh", "Sandwiches", "8.99"),
    ("FRS-002", "Caesar Salad Bowl", "Deli Fresh", "Fresh", "Salads", "7.49"),
    ("FRS-003", "Fruit Cup Mixed 8oz", "Deli Fresh", "Fresh", "Fruit", "4.49"),
]


def _upc(n: int) -> str:
    body = f"0{n:010d}"
    for check in range(10):
        if gs1_check_digit_ok(body + str(check)):
            return body + str(check)
    raise AssertionError("unreachable")


@transaction.atomic
def seed_demo_catalog(*, merchant: Merchant, stores: list[Store]) -> int:
    items = []
    for n, (sku, name, brand, category, sub, _price) in enumerate(PRODUCTS, start=1):
        item, _ = Item.objects.get_or_create(
            merchant=merchant,
            sku=sku,
            defaults={
                "name": name,
                "brand": brand,
                "category": category,
                "subcategory": sub,
                "barcode": _upc(7_000_000 + n),
                "barcode_type": "UPC",
            },
        )
        items.append(item)
    flawed = [
        # A typo in the check digit: flagged here, never sent.
        ("SNK-900", "Crunch Jalapeno Chips 2oz", "012345678901", "Snacks"),
        # Another product's barcode: Amazon refuses it (one barcode, one SKU).
        ("DRK-900", "Acme Sparkling Water Lime 12oz 6-Pack", items[0].barcode, "Drinks"),
    ]
    for sku, name, barcode, category in flawed:
        item, _ = Item.objects.get_or_create(
            merchant=merchant,
            sku=sku,
            defaults={
                "name": name,
                "barcode": barcode,
                "barcode_type": "UPC",
                "category": category,
            },
        )
        items.append(item)
    for item in items:
        problems = eligibility(item)
        if item.eligibility_error != problems:
            Item.objects.filter(pk=item.pk).update(eligibility_error=problems)
    prices = {p[0]: Decimal(p[5]) for p in PRODUCTS}
    for store in stores:
        for item in items:
            StoreItem.objects.get_or_create(
                store=store, item=item, defaults={"price": prices.get(item.sku, Decimal("2.99"))}
            )
    store_item_hashes_refresh(items=[i.pk for i in items])
    return len(items)
