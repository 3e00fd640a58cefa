"""CSV for stock: counts in (``stock_import_counts``, in chunks, formula-safe) and levels out
(``stock_export_rows``). Counts go through stock/movements.py."""

import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from catalog.models import StoreItem
from jwo_console.csvsafe import csv_cell, csv_cell_restore
from jwo_console.forms import PLAIN_AMOUNT
from stores.models import Store

from .choices import MovementKind
from .models import StockImport, StockLevel
from .movements import (
    IMPORT_CHUNK,
    IMPORT_MAX_ROWS,
    StockInputError,
    _entitlements_by_sku,
    _locked_on_hand,
    _low_stock_check,
    _move,
    _Moved,
    parse_quantity,
    quantity_text,
    reorder_point_recorded,
)

logger = logging.getLogger(__name__)


# --- CSV: counts in, levels out -------------------------------------------------------------


IMPORT_COLUMNS = ["store", "sku", "on_hand", "reorder_point"]
EXPORT_COLUMNS = ["store", "sku", "name", "on_hand", "reorder_point", "last_counted_at"]
ERRORS_KEPT = 1000  # the import's page lists the first ones and says how many there were


@dataclass(frozen=True)
class _Row:
    number: int
    on_hand: Decimal | None
    reorder: Decimal | None
    has_reorder: bool
    counted_text: str | None  # the row's last_counted_at cell; None without that column


def counted_text(value: datetime | None, zone: tzinfo) -> str:
    """``last_counted_at`` as the export writes it: the store's time to the second, with its
    offset (``2026-12-04T13:20:35-05:00``); the import compares the cell with it as text."""
    if value is None:
        return ""
    return value.astimezone(zone).replace(microsecond=0).isoformat()


def csv_safe(value: Any) -> str:
    """A cell a spreadsheet will not run (jwo_console/csvsafe.py ``csv_cell``), as text."""
    return csv_cell("" if value is None else str(value))


def stock_export_rows(*, store: Store) -> Iterator[str]:
    """The store's stock as CSV text, a chunk at a time; the import reads it back."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    zone = store.zone
    rows = (
        StoreItem.objects.filter(store=store)
        .order_by("item__sku")
        .values_list(
            "item__sku",
            "item__name",
            "stock__on_hand",
            "stock__reorder_point",
            "stock__last_counted_at",
        )
    )
    for n, (sku, name, on_hand, reorder, counted_at) in enumerate(rows.iterator(chunk_size=2000)):
        writer.writerow(
            [
                csv_safe(store.code),
                csv_safe(sku),
                csv_safe(name),
                csv_safe(quantity_text(on_hand if on_hand is not None else Decimal(0))),
                csv_safe(quantity_text(reorder)),
                counted_text(counted_at, zone),
            ]
        )
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _number_cell(text: str) -> str:
    """A number cell as the export wrote it or a spreadsheet saved it: the guard's apostrophe
    before a number (``'-1``, ``'+3``, ``'5``) is taken off; anything else is left to
    ``parse_quantity`` to refuse."""
    if text.startswith("'") and PLAIN_AMOUNT.match(text[1:].strip().replace(",", "")):
        return text[1:].strip()
    return text


def stock_import_counts(
    *, store: Store, file: IO[bytes], file_name: str, actor: AbstractBaseUser | None
) -> StockImport:
    """Counts from a CSV (``sku``, ``on_hand`` and/or ``reorder_point``; a ``store`` column,
    if present, must be this store's code). A row with a problem is reported with its number
    and the others are imported; a SKU given twice counts once, by its last row. Each chunk of
    rows is one transaction.

    An exported file imported back changes nothing: a row whose ``on_hand``, reorder point and
    ``last_counted_at`` are what the item has now (the export wrote them and nothing moved
    since) is reported unchanged and records no count, so *Last counted* and *Never counted*
    keep meaning that someone counted. A hand-made file (no ``last_counted_at`` column), or a
    row whose ``last_counted_at`` cell was cleared, counts every row, equal or not."""
    try:
        text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text)
        header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    except (UnicodeDecodeError, csv.Error):
        raise StockInputError(
            "The file is not a CSV in UTF-8 text: save it from the spreadsheet as "
            "“CSV UTF-8 (comma delimited)”."
        ) from None
    if len(header) == 1 and ";" in header[0]:
        raise StockInputError(
            "The columns are separated by semicolons: save the file as comma-separated CSV "
            "(and write decimals with a point, e.g. 1.5)."
        )
    if "sku" not in header or not ({"on_hand", "reorder_point"} & set(header)):
        raise StockInputError(
            "The first row must name the columns: sku, on_hand (and/or reorder_point); "
            "store is optional."
        )
    reader.fieldnames = header
    job = StockImport.objects.create(store=store, file_name=file_name[:255], actor=actor)
    errors: list[dict] = []
    wanted: dict[str, _Row] = {}
    has_counted = "last_counted_at" in header
    total = 0
    try:
        for number, row in enumerate(reader, start=2):
            total += 1
            if total > IMPORT_MAX_ROWS:
                errors.append({"row": number, "sku": "", "problems": ["too many rows"]})
                break
            sku = csv_cell_restore((row.get("sku") or "").strip())
            problems = []
            row_store = csv_cell_restore((row.get("store") or "").strip())
            if row_store and row_store != store.code:
                problems.append(f"row is for store {row_store[:50]}, not {store.code}")
            if not sku:
                problems.append("sku: missing")
            if None in row:  # DictReader's key for cells beyond the header's
                problems.append(
                    f"the row has {len(header) + len(row[None])} cells, the first row names "
                    f"{len(header)} columns"
                )
            on_hand = reorder = None
            raw_on_hand = _number_cell((row.get("on_hand") or "").strip())
            raw_reorder_present = "reorder_point" in header
            raw_reorder = _number_cell((row.get("reorder_point") or "").strip())
            try:
                if raw_on_hand:
                    # Negative stock is allowed and flagged (stock/services.py): the export
                    # writes it, so the import takes it back as it is.
                    on_hand = parse_quantity(raw_on_hand, field="on_hand")
                if raw_reorder:
                    reorder = parse_quantity(
                        raw_reorder, field="reorder_point", allow_negative=False
                    )
            except StockInputError as exc:
                problems.append(exc.message)
            if not problems and on_hand is None and not raw_reorder_present:
                problems.append("on_hand: a number is needed")
            if problems:
                errors.append({"row": number, "sku": sku[:100], "problems": problems})
                continue
            wanted[sku] = _Row(
                number,
                on_hand,
                reorder,
                raw_reorder_present,
                (row.get("last_counted_at") or "").strip() if has_counted else None,
            )
    except UnicodeDecodeError:
        errors.append({"row": total + 2, "sku": "", "problems": ["not UTF-8 text from here on"]})
    except csv.Error as exc:
        errors.append({"row": total + 2, "sku": "", "problems": [f"unreadable: {exc}"]})
    counted = unchanged = 0
    skus = list(wanted)
    job.rows_total = total
    for start in range(0, len(skus), IMPORT_CHUNK):
        chunk = skus[start : start + IMPORT_CHUNK]
        done, same = _import_chunk(
            store=store, job=job, rows={s: wanted[s] for s in chunk}, errors=errors, actor=actor
        )
        counted, unchanged = counted + done, unchanged + same
        if start + IMPORT_CHUNK < len(skus):  # each chunk commits: the record says so as it goes
            job.rows_counted, job.rows_unchanged = counted, unchanged
            job.save(update_fields=["rows_total", "rows_counted", "rows_unchanged"])
    errors.sort(key=lambda e: e["row"])
    job.rows_counted = counted
    job.rows_unchanged = unchanged
    job.rows_failed = len(errors)
    job.errors = errors[:ERRORS_KEPT]
    job.save(
        update_fields=["rows_total", "rows_counted", "rows_unchanged", "rows_failed", "errors"]
    )
    logger.info(
        "stock import done",
        extra={
            "store_id": store.pk,
            "import_id": job.pk,
            "counted": counted,
            "failed": len(errors),
        },
    )
    return job


def _import_chunk(
    *,
    store: Store,
    job: StockImport,
    rows: dict[str, _Row],
    errors: list[dict],
    actor: AbstractBaseUser | None,
) -> tuple[int, int]:
    """Count one chunk's rows; (items counted, rows unchanged as exported)."""
    by_sku = _entitlements_by_sku(store=store, skus=rows)
    for sku, row in rows.items():
        if sku not in by_sku:
            errors.append(
                {
                    "row": row.number,
                    "sku": sku[:100],
                    "problems": [f"{sku[:50]} is not sold in this store"],
                }
            )
    known = {sku: row for sku, row in rows.items() if sku in by_sku}
    if not known:
        return 0, 0
    zone = store.zone
    with transaction.atomic():
        ids = [by_sku[s] for s in known]
        current = _locked_on_hand(ids, store_id=store.pk)  # makes the levels not made yet
        # Reorder points first, so the alert check below sees them.
        levels = {lv.store_item_id: lv for lv in StockLevel.objects.filter(store_item_id__in=ids)}

        def as_exported(sku: str, row: _Row) -> bool:
            level = levels[by_sku[sku]]
            return (
                row.counted_text is not None
                and row.counted_text == counted_text(level.last_counted_at, zone)
                and (row.on_hand is None or row.on_hand == current.get(by_sku[sku], Decimal(0)))
                and (not row.has_reorder or row.reorder == level.reorder_point)
            )

        same = {sku for sku, row in known.items() if as_exported(sku, row)}
        known = {sku: row for sku, row in known.items() if sku not in same}
        changed_points = []
        for sku, row in known.items():
            level = levels[by_sku[sku]]
            if row.has_reorder and level.reorder_point != row.reorder:
                changed_points.append((level, level.reorder_point))
                level.reorder_point = row.reorder
        StockLevel.objects.bulk_update([lv for lv, _was in changed_points], ["reorder_point"])
        reorder_point_recorded(
            levels=changed_points, actor=actor, reason=f"CSV {job.file_name}"[:100]
        )
        deltas = {
            by_sku[sku]: row.on_hand - current.get(by_sku[sku], Decimal(0))
            for sku, row in known.items()
            if row.on_hand is not None
        }
        _move(
            store_id=store.pk,
            deltas=deltas,
            kind=MovementKind.IMPORT,
            ref=f"import:{job.pk}",
            reason=f"CSV {job.file_name}"[:300],
            actor=actor,
            counted=True,
            recheck=True,
        )
        only_points = [levels[by_sku[s]] for s in known if known[s].on_hand is None]
        if only_points:
            _low_stock_check(
                store_id=store.pk,
                moved=[
                    _Moved(lv.store_item_id, lv.on_hand, lv.on_hand, lv.reorder_point)
                    for lv in only_points
                ],
                recheck=True,
                actor=actor,
            )
    return len(known), len(same)
