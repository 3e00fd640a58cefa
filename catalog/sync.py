"""Sync Items: keep a store's entitlements in step with Amazon's catalog.

A run (one row the console shows) sends only what Amazon has not accepted yet — entitlements
whose content hash differs from the one Amazon accepted — in uploads of at most 10,000 items,
through the shared 10-per-second limiter. Items deactivated in every mapped store are archived
(ArchiveCatalog is retailer-wide and needs the full store list). Every ingestionId is kept;
what became of each upload is catalog/results.py (the SQS notification, or polling
GetCatalogUploadStatus when none arrives; re-exported here). No remote call runs inside a
database transaction.
"""

import logging
import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Count, F
from django.utils import timezone

from integrations.amazon import catalog as amazon_catalog
from integrations.amazon.errors import AmazonError
from jwo_console.exceptions import ApplicationError
from stores.models import JwoStoreMapping, Store
from stores.selectors import mapping_for_store

from .choices import SyncRunKind, SyncRunStatus, SyncRunTrigger, SyncState, UploadKind
from .models import CatalogSyncRun, CatalogSyncSchedule, CatalogUpload, StoreItem, needs_sending
from .payloads import PAYLOAD_FIELDS, catalog_item, hash_of_row
from .results import (  # noqa: F401 (callers know the poll as sync's)
    catalog_notifications_consume,
    catalog_upload_result_apply,
    catalog_uploads_poll,
)
from .results import run_log as _log

logger = logging.getLogger(__name__)


def _mapping(store: Store) -> JwoStoreMapping:
    mapping = mapping_for_store(store=store, active_only=True)
    if mapping is None:
        raise ApplicationError(f"{store.name} is not mapped to an active JWO store; map it first.")
    return mapping


def catalog_sync_run_request(
    *,
    store: Store,
    kind: str = SyncRunKind.CHANGES,
    trigger: str = SyncRunTrigger.MANUAL,
    actor: AbstractBaseUser | None = None,
) -> tuple[CatalogSyncRun, bool]:
    """Queue a run, or return the store's run already queued or sending (``created`` False):
    pressing Sync Items twice never sends twice."""
    _mapping(store)
    try:
        with transaction.atomic():
            run = CatalogSyncRun.objects.create(
                store=store, kind=kind, trigger=trigger, requested_by=actor
            )

            def enqueue() -> None:
                from .tasks import catalog_sync_run_task

                catalog_sync_run_task.delay(run.pk)

            transaction.on_commit(enqueue)
    except IntegrityError:
        active = CatalogSyncRun.objects.get(
            store=store, status__in=[SyncRunStatus.QUEUED, SyncRunStatus.RUNNING]
        )
        return active, False
    return run, True


def _selection(run: CatalogSyncRun):
    base = StoreItem.objects.filter(store=run.store)
    if run.kind == SyncRunKind.REJECTED:
        return base.filter(
            is_active=True, item__eligibility_error="", sync_state=SyncState.REJECTED
        )
    if run.kind == SyncRunKind.ALL:
        return base.filter(is_active=True, item__eligibility_error="")
    return base.filter(needs_sending())


def _batches(ids: list[int], size: int) -> Iterator[tuple[int, list[int]]]:
    for start in range(0, len(ids), size):
        yield start // size + 1, ids[start : start + size]


def catalog_sync_run_execute(
    *, run_id: int, client: amazon_catalog.CatalogClient | None = None
) -> CatalogSyncRun:
    with transaction.atomic():
        run = (
            CatalogSyncRun.objects.select_for_update(of=("self",))
            .select_related("store")
            .get(pk=run_id)
        )
        if run.status != SyncRunStatus.QUEUED:
            return run  # a redelivered task: the run is already under way or done
        run.status, run.started_at = SyncRunStatus.RUNNING, timezone.now()
        run.save(update_fields=["status", "started_at", "updated_at"])
    try:
        mapping = _mapping(run.store)
        client = client or amazon_catalog.client()
        ids = list(_selection(run).order_by("pk").values_list("pk", flat=True))
        ineligible = (
            StoreItem.objects.filter(store=run.store, is_active=True)
            .exclude(item__eligibility_error="")
            .count()
        )
        size = settings.CATALOG_UPLOAD_BATCH_SIZE
        to_archive = _archive_candidates(run.store)
        batches = math.ceil(len(ids) / size) + (1 if to_archive else 0)
        CatalogSyncRun.objects.filter(pk=run.pk).update(
            items_to_send=len(ids), items_ineligible=ineligible, batches_total=batches
        )
        _log(
            run,
            f"{len(ids)} items to send in {math.ceil(len(ids) / size)} upload(s); "
            f"{ineligible} not eligible; {len(to_archive)} to archive",
        )
        _send_batches(run, client, mapping.jwo_store_id, list(_batches(ids, size)))
        if to_archive:
            _send_archive(run, client, to_archive, batch_no=batches)
    except (AmazonError, ApplicationError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        CatalogSyncRun.objects.filter(pk=run.pk).update(
            status=SyncRunStatus.FAILED, error=message[:1000], finished_at=timezone.now()
        )
        _log(run, f"failed: {message}")
        run.refresh_from_db()
        return run
    run.refresh_from_db()
    status = SyncRunStatus.WAITING if run.batches_sent else SyncRunStatus.COMPLETED
    CatalogSyncRun.objects.filter(pk=run.pk).update(
        status=status, finished_at=None if run.batches_sent else timezone.now()
    )
    _log(
        run,
        "all uploads sent; waiting for Amazon's results" if run.batches_sent else "nothing to send",
    )
    run.refresh_from_db()
    return run


def _send_batches(run, client, jwo_store_id: str, batches: list[tuple[int, list[int]]]) -> None:
    """Two uploads in flight at a time: one is built and recorded while Amazon reads the other.
    The shared limiter still holds the rate; the first failure stops the run."""
    if len(batches) <= 1 or settings.CATALOG_UPLOAD_CONCURRENCY <= 1:
        for batch_no, batch_ids in batches:
            _send_batch(run, client, jwo_store_id, batch_no, batch_ids)
        return

    def send(batch: tuple[int, list[int]]) -> None:
        try:
            _send_batch(run, client, jwo_store_id, *batch)
        finally:
            close_old_connections()

    with ThreadPoolExecutor(max_workers=settings.CATALOG_UPLOAD_CONCURRENCY) as pool:
        for future in [pool.submit(send, batch) for batch in batches]:
            future.result()  # re-raises the first failure


def _send_batch(run, client, jwo_store_id: str, batch_no: int, batch_ids: list[int]) -> None:
    rows = list(StoreItem.objects.filter(pk__in=batch_ids).values(*PAYLOAD_FIELDS))
    items = [catalog_item(row, jwo_store_id) for row in rows]
    hashes = {str(row["id"]): hash_of_row(row) for row in rows}
    result = client.upload_catalog(items)  # outside any transaction
    with transaction.atomic():
        CatalogUpload.objects.create(
            run=run,
            kind=UploadKind.UPLOAD,
            batch_no=batch_no,
            ingestion_id=result.ingestion_id,
            item_count=len(items),
            sent_hashes=hashes,
        )
        StoreItem.objects.filter(pk__in=batch_ids).update(sync_state=SyncState.PENDING)
        CatalogSyncRun.objects.filter(pk=run.pk).update(
            items_sent=F("items_sent") + len(items), batches_sent=F("batches_sent") + 1
        )
    _log(run, f"upload {batch_no}: {len(items)} items, ingestion {result.ingestion_id}")


def _archive_candidates(store: Store) -> dict[str, list[int]]:
    """SKUs this store no longer sells that Amazon has, and that no mapped store still sells:
    Amazon archives a SKU in every store of the retailer or not at all."""
    gone = (
        StoreItem.objects.filter(store=store, is_active=False)
        .exclude(accepted_hash="")
        .exclude(sync_state=SyncState.ARCHIVED)
    )
    skus = set(gone.values_list("item__sku", flat=True))
    if not skus:
        return {}
    mapped_stores = JwoStoreMapping.objects.filter(store__merchant=store.merchant).values("store")
    still_sold = set(
        StoreItem.objects.filter(
            store__in=mapped_stores,
            is_active=True,
            item__sku__in=skus,
            item__merchant=store.merchant,
        ).values_list("item__sku", flat=True)
    )
    result: dict[str, list[int]] = {}
    for pk, sku in (
        StoreItem.objects.filter(
            store__in=mapped_stores,
            item__merchant=store.merchant,
            item__sku__in=skus - still_sold,
            is_active=False,
        )
        .exclude(sync_state=SyncState.ARCHIVED)
        .values_list("pk", "item__sku")
    ):
        result.setdefault(sku, []).append(pk)
    return result


def _send_archive(run, client, to_archive: dict[str, list[int]], batch_no: int) -> None:
    stores = sorted(
        JwoStoreMapping.objects.filter(store__merchant=run.store.merchant).values_list(
            "jwo_store_id", flat=True
        )
    )
    skus = sorted(to_archive)[: amazon_catalog.MAX_ITEMS_PER_REQUEST]
    result = client.archive_catalog(item_skus=skus, all_applicable_stores=stores)
    hashes = {str(pk): sku for sku in skus for pk in to_archive[sku]}
    with transaction.atomic():
        CatalogUpload.objects.create(
            run=run,
            kind=UploadKind.ARCHIVE,
            batch_no=batch_no,
            ingestion_id=result.ingestion_id,
            item_count=len(skus),
            sent_hashes=hashes,
        )
        CatalogSyncRun.objects.filter(pk=run.pk).update(batches_sent=F("batches_sent") + 1)
    _log(
        run,
        f"archive: {len(skus)} SKUs in all {len(stores)} stores, ingestion {result.ingestion_id}",
    )


# --- Schedule -------------------------------------------------------------------------------


@transaction.atomic
def catalog_sync_schedule_set(
    *, store: Store, enabled: bool, every_minutes: int
) -> CatalogSyncSchedule:
    if every_minutes < 5:
        raise ApplicationError(
            "Sync at most every 5 minutes: Amazon takes up to an hour to apply a catalog."
        )
    schedule, _ = CatalogSyncSchedule.objects.update_or_create(
        store=store,
        defaults={
            "enabled": enabled,
            "every_minutes": every_minutes,
            "next_run_at": timezone.now() + timedelta(minutes=every_minutes) if enabled else None,
        },
    )
    return schedule


def catalog_sync_schedules_run() -> int:
    """Start the incremental sync of every store whose schedule is due (beat, every minute)."""
    now = timezone.now()
    started = 0
    due = CatalogSyncSchedule.objects.filter(enabled=True, next_run_at__lte=now).select_related(
        "store"
    )
    for schedule in due:
        with transaction.atomic():
            locked = (
                CatalogSyncSchedule.objects.select_for_update(skip_locked=True)
                .filter(pk=schedule.pk, next_run_at__lte=now)
                .first()
            )
            if locked is None:
                continue  # another beat took it
            locked.next_run_at = now + timedelta(minutes=locked.every_minutes)
            locked.save(update_fields=["next_run_at", "updated_at"])
        try:
            catalog_sync_run_request(store=schedule.store, trigger=SyncRunTrigger.SCHEDULE)
            started += 1
        except ApplicationError as exc:
            logger.warning(
                "scheduled sync skipped: %s", exc.message, extra={"store_id": schedule.store_id}
            )
    return started


def sync_state_counts(store: Store) -> dict[str, int]:
    rows = (
        StoreItem.objects.filter(store=store)
        .order_by()
        .values_list("sync_state")
        .annotate(n=Count("pk"))
    )
    counts = {state: 0 for state in SyncState.values}
    counts.update(dict(rows))
    counts["CHANGED"] = (
        StoreItem.objects.filter(store=store, sync_state=SyncState.ACCEPTED)
        .exclude(content_hash=F("accepted_hash"))
        .count()
    )
    return counts
