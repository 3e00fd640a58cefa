"""What one entitlement looks like on the wire, and the hash that says whether it changed."""

import hashlib
import json
from decimal import Decimal

from integrations.amazon.catalog import Barcode, CatalogItem

# The fields of an entitlement that go to Amazon, read with .values() for speed at 100,000 rows.
PAYLOAD_FIELDS = (
    "id",
    "price",
    "item__sku",
    "item__name",
    "item__barcode",
    "item__barcode_type",
    "item__extra_barcodes",
    "item__brand",
    "item__tax_code",
    "item__category",
    "item__subcategory",
)


def catalog_item(row: dict, jwo_store_id: str) -> CatalogItem:
    return CatalogItem(
        item_sku=row["item__sku"],
        external_product_id=row["item__barcode"],
        external_product_id_type=row["item__barcode_type"],
        item_name=row["item__name"],
        store_id=jwo_store_id,
        standard_price=row["price"],
        additional_barcodes=tuple(
            Barcode(str(b["id"]), str(b["type"])) for b in (row["item__extra_barcodes"] or [])
        ),
        brand_name=row["item__brand"] or None,
        product_tax_code=row["item__tax_code"] or None,
        product_category=row["item__category"] or None,
        product_subcategory=row["item__subcategory"] or None,
    )


def content_hash(
    *,
    sku: str,
    name: str,
    barcode: str,
    barcode_type: str,
    extra_barcodes: list,
    brand: str,
    tax_code: str,
    category: str,
    subcategory: str,
    price: Decimal,
) -> str:
    """What Amazon would receive for this entitlement, hashed. The JWO store id is left out:
    after remapping a store to a new id, "Send every item again" resends everything."""
    key = json.dumps(
        [
            sku,
            name,
            barcode,
            barcode_type,
            extra_barcodes,
            brand,
            tax_code,
            category,
            subcategory,
            f"{Decimal(price):.2f}",
        ],
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()


def hash_of_row(row: dict) -> str:
    return content_hash(
        sku=row["item__sku"],
        name=row["item__name"],
        barcode=row["item__barcode"],
        barcode_type=row["item__barcode_type"],
        extra_barcodes=row["item__extra_barcodes"] or [],
        brand=row["item__brand"],
        tax_code=row["item__tax_code"],
        category=row["item__category"],
        subcategory=row["item__subcategory"],
        price=row["price"],
    )
