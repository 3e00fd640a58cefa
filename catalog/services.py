"""Every write to the catalog: item edits, entitlements, CSV import (streaming, upsert by SKU,
a report per row). Each write refreshes the entitlements' content hash, so Sync Items knows
what changed."""

import csv
import io
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from jwo_console.csvsafe import SafeWriter, csv_cell_restore
from jwo_console.exceptions import ApplicationError
from stores.models import Merchant, Store

from .choices import BarcodeType, ImportStatus
from .models import CatalogImport, Item, StoreItem
from .payloads import PAYLOAD_FIELDS, hash_of_row
from .rules import item_problems, parse_price, price_problem

logger = logging.getLogger(__name__)

CSV_COLUMNS = [
    "sku",
    "name",
    "description",
    "brand",
    "category",
    "subcategory",
    "tax_code",
    "barcode",
    "barcode_type",
    "extra_barcodes",
    "store",
    "price",
    "active",
]
REQUIRED_COLUMNS = {"sku", "name", "barcode", "barcode_type", "store", "price"}
IMPORT_CHUNK = 2000
MAX_ROW_ERRORS_KEPT = 1000
ITEM_FIELDS = [
    "name",
    "description",
    "brand",
    "category",
    "subcategory",
    "tax_code",
    "barcode",
    "barcode_type",
    "extra_barcodes",
]
_TRUE = {"", "1", "y", "yes", "true", "active"}
_FALSE = {"0", "n", "no", "false", "inactive"}


def eligibility(item: Item) -> str:
    return "; ".join(
        item_problems(
            name=item.name,
            barcode=item.barcode,
            barcode_type=item.barcode_type,
            extra_barcodes=item.extra_barcodes or [],
        )
    )


def store_item_hashes_refresh(
    *, store_items: Iterable[int] | None = None, items: Iterable[int] | None = None
) -> int:
    """Recompute ``content_hash`` for the given entitlements (or all of the given items')."""
    qs = StoreItem.objects.all()
    if store_items is not None:
        qs = qs.filter(pk__in=list(store_items))
    if items is not None:
        qs = qs.filter(item_id__in=list(items))
    changed = []
    for row in qs.values(*PAYLOAD_FIELDS, "content_hash").iterator(chunk_size=2000):
        new = hash_of_row(row)
        if new != row["content_hash"]:
            changed.append(StoreItem(pk=row["id"], content_hash=new))
    StoreItem.objects.bulk_update(changed, ["content_hash"], batch_size=2000)
    return len(changed)


@transaction.atomic
def item_update(*, item: Item, data: dict[str, Any], actor: AbstractBaseUser | None) -> Item:
    for key, value in data.items():
        if key not in ITEM_FIELDS:
            raise ValueError(f"not editable: {key}")
        setattr(item, key, value)
    item.eligibility_error = eligibility(item)
    item.full_clean(exclude=["eligibility_error"])
    item.save()
    store_item_hashes_refresh(items=[item.pk])
    logger.info(
        "catalog item updated", extra={"sku": item.sku, "actor": getattr(actor, "pk", None)}
    )
    return item


@transaction.atomic
def store_item_set(*, item: Item, store: Store, price: Decimal, is_active: bool) -> StoreItem:
    problem = price_problem(price)
    if problem:
        raise ValidationError({"price": problem})
    entitlement, _ = StoreItem.objects.update_or_create(
        item=item, store=store, defaults={"price": price, "is_active": is_active}
    )
    store_item_hashes_refresh(store_items=[entitlement.pk])
    entitlement.refresh_from_db()
    return entitlement


# --- CSV import ------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    sku: str
    item: dict[str, Any]
    store_id: int
    price: Decimal
    is_active: bool


@dataclass
class _Report:
    read: int = 0
    imported: int = 0
    failed: int = 0
    errors: list[dict] = field(default_factory=list)

    def fail(self, number: int, sku: str, problems: list[str]) -> None:
        self.failed += 1
        if len(self.errors) < MAX_ROW_ERRORS_KEPT:
            self.errors.append({"row": number, "sku": sku, "errors": problems})


def parse_extra_barcodes(raw: str) -> list[dict[str, str]]:
    """``"4006381333931:EAN;0123456789012:UPC"`` → ``[{"id": ..., "type": ...}]``."""
    extras = []
    for part in filter(None, (p.strip() for p in (raw or "").split(";"))):
        code, _, kind = part.partition(":")
        extras.append({"id": code.strip(), "type": (kind.strip() or "UPC").upper()})
    return extras


def _parse_row(
    number: int, raw: dict[str, str], stores: dict[str, int], report: _Report
) -> _Row | None:
    # csv_cell_restore: an export's neutralised "'=…" cell reads back as it was
    get = lambda key: csv_cell_restore((raw.get(key) or "").strip())  # noqa: E731
    problems = [f"{c} is required" for c in sorted(REQUIRED_COLUMNS) if not get(c)]
    sku = get("sku")
    if len(sku) > 255:
        problems.append("sku is longer than 255 characters")
    barcode_type = get("barcode_type").upper()
    if barcode_type and barcode_type not in BarcodeType.values:
        problems.append(f"barcode_type must be one of {', '.join(BarcodeType.values)}")
    store_id = stores.get(get("store"))
    if get("store") and store_id is None:
        problems.append(f"store {get('store')!r} is not a store of this merchant")
    price = None
    if get("price"):
        try:
            price = parse_price(get("price"))
            problem = price_problem(price)
            if problem:
                problems.append(problem)
        except ValueError as exc:
            problems.append(str(exc))
    active = get("active").lower()
    if active not in _TRUE | _FALSE:
        problems.append("active must be yes or no")
    extras = parse_extra_barcodes(get("extra_barcodes"))
    if len(extras) > 50:
        problems.append("at most 50 additional barcodes")
    for text_field in ("name", "brand", "category", "subcategory", "tax_code", "barcode"):
        if len(get(text_field)) > 255:
            problems.append(f"{text_field} is longer than 255 characters")
    if problems:
        report.fail(number, sku, problems)
        return None
    item = {
        "name": get("name"),
        "description": get("description"),
        "brand": get("brand"),
        "category": get("category"),
        "subcategory": get("subcategory"),
        "tax_code": get("tax_code"),
        "barcode": get("barcode"),
        "barcode_type": barcode_type,
        "extra_barcodes": extras,
    }
    return _Row(number, sku, item, store_id, price, active in _TRUE)


def _save_chunk(merchant: Merchant, rows: list[_Row]) -> None:
    """Upsert the chunk's items by SKU (the last row of a SKU wins) and their entitlements."""
    latest = {row.sku: row for row in rows}
    existing = {i.sku: i for i in Item.objects.filter(merchant=merchant, sku__in=latest)}
    new, changed = [], []
    for sku, row in latest.items():
        item = existing.get(sku) or Item(merchant=merchant, sku=sku)
        for key, value in row.item.items():
            setattr(item, key, value)
        item.eligibility_error = eligibility(item)
        (changed if item.pk else new).append(item)
    Item.objects.bulk_create(new, batch_size=1000)
    Item.objects.bulk_update(
        changed, [*ITEM_FIELDS, "eligibility_error", "updated_at"], batch_size=1000
    )
    ids = dict(Item.objects.filter(merchant=merchant, sku__in=latest).values_list("sku", "pk"))

    wanted = {(row.store_id, ids[row.sku]): row for row in rows}
    current = {
        (e.store_id, e.item_id): e
        for e in StoreItem.objects.filter(
            item_id__in=ids.values(), store_id__in={k[0] for k in wanted}
        )
    }
    new_e, changed_e = [], []
    for key, row in wanted.items():
        entitlement = current.get(key) or StoreItem(store_id=key[0], item_id=key[1])
        entitlement.price, entitlement.is_active = row.price, row.is_active
        (changed_e if entitlement.pk else new_e).append(entitlement)
    StoreItem.objects.bulk_create(new_e, batch_size=1000)
    StoreItem.objects.bulk_update(changed_e, ["price", "is_active", "updated_at"], batch_size=1000)
    store_item_hashes_refresh(items=ids.values())


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
        if missing:
            raise ApplicationError(
                f"The file lacks the column(s) {', '.join(sorted(missing))}. "
                f"Expected: {', '.join(CSV_COLUMNS)}."
            )
        yield from enumerate(reader, start=2)  # row 1 is the header


def catalog_import_request(
    *, merchant: Merchant, upload: Any, actor: AbstractBaseUser | None
) -> CatalogImport:
    """Keep the uploaded file and queue its import (the import itself streams it)."""
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.csv"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    job = CatalogImport.objects.create(
        merchant=merchant, file_name=upload.name[:255], file_path=str(path), requested_by=actor
    )

    def enqueue() -> None:
        from .tasks import catalog_import_task

        catalog_import_task.delay(job.pk)

    transaction.on_commit(enqueue)
    return job


def catalog_import_run(*, job: CatalogImport) -> CatalogImport:
    """Stream the file in chunks: good rows are saved even when others fail."""
    CatalogImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    stores = dict(Store.objects.filter(merchant=job.merchant).values_list("code", "pk"))
    report = _Report()
    chunk: list[_Row] = []

    def flush() -> None:
        if chunk:
            with transaction.atomic():
                _save_chunk(job.merchant, chunk)
            report.imported += len(chunk)
            chunk.clear()
        CatalogImport.objects.filter(pk=job.pk).update(
            rows_read=report.read, rows_imported=report.imported, rows_failed=report.failed
        )

    try:
        for number, raw in _csv_rows(Path(job.file_path)):
            report.read += 1
            row = _parse_row(number, raw, stores, report)
            if row is not None:
                chunk.append(row)
            if len(chunk) >= IMPORT_CHUNK:
                flush()
        flush()
        status, error = ImportStatus.COMPLETED, ""
    except ApplicationError as exc:
        status, error = ImportStatus.FAILED, exc.message
    except (UnicodeDecodeError, csv.Error) as exc:
        status, error = ImportStatus.FAILED, f"The file is not a readable UTF-8 CSV: {exc}"
    CatalogImport.objects.filter(pk=job.pk).update(
        status=status,
        error=error[:1000],
        rows_read=report.read,
        rows_imported=report.imported,
        rows_failed=report.failed,
        row_errors=report.errors,
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    logger.info(
        "catalog import finished",
        extra={"import_id": job.pk, "rows": report.read, "failed": report.failed},
    )
    return job


def catalog_export_rows(*, merchant: Merchant) -> Iterator[str]:
    """The catalog as CSV text, a chunk at a time (the import's own columns: a round trip)."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer)
    writer.writerow(CSV_COLUMNS)
    rows = (
        StoreItem.objects.filter(item__merchant=merchant)
        .order_by("item__sku", "store__code")
        .values_list(
            "item__sku",
            "item__name",
            "item__description",
            "item__brand",
            "item__category",
            "item__subcategory",
            "item__tax_code",
            "item__barcode",
            "item__barcode_type",
            "item__extra_barcodes",
            "store__code",
            "price",
            "is_active",
        )
    )
    for n, row in enumerate(rows.iterator(chunk_size=2000)):
        *head, extras, store, price, active = row
        extra_text = ";".join(f"{e['id']}:{e['type']}" for e in (extras or []))
        writer.writerow([*head, extra_text, store, f"{price:.2f}", "yes" if active else "no"])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def item_create(
    *,
    merchant: Merchant,
    fields: dict[str, str],
    prices: dict[str, str],
    actor: AbstractBaseUser | None,
) -> tuple[Item | None, list[str]]:
    """One new item, sold in the stores of ``prices`` (store code → price), checked exactly as
    the CSV rows that would create it (``_parse_row``) and saved as the import saves them.
    Returns the item, or None and the problems to show."""
    sku = (fields.get("sku") or "").strip()
    if sku and Item.objects.filter(merchant=merchant, sku=sku).exists():
        return None, [f"SKU {sku} is already in the catalog: edit it instead."]
    if not prices:
        return None, ["Choose at least one store that sells it, with its price."]
    stores = dict(Store.objects.filter(merchant=merchant).values_list("code", "pk"))
    report, rows = _Report(), []
    for number, (store_code, price) in enumerate(prices.items(), start=1):
        raw = {**fields, "store": store_code, "price": price, "active": "yes"}
        row = _parse_row(number, raw, stores, report)
        if row is not None:
            rows.append(row)
    if report.errors:
        problems = list(dict.fromkeys(p for e in report.errors for p in e["errors"]))
        return None, problems
    with transaction.atomic():
        _save_chunk(merchant, rows)
    item = Item.objects.get(merchant=merchant, sku=sku)
    logger.info(
        "catalog item created",
        extra={"item_id": item.pk, "sku": sku, "actor": getattr(actor, "pk", None)},
    )
    return item, []
