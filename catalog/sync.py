"""Sync Items: keep a store's entitlements in step with Amazon's catalog.

A run (one row the console shows) sends only what Amazon has not accepted yet — entitlements
whose content hash differs from the one Amazon accepted — in uploads of at most 10,000 items,
through the shared 10-per-second limiter. Items deactivated in every mapped store are archived
(ArchiveCatalog is retailer-wide and needs the full store list). Every ingestionId is kept;
results come from the SQS notification, or from polling GetCatalogUploadStatus when none
arrives; the report is fetched while its link is valid (an expired link is re-requested), and
each item's outcome is recorded. No remote call runs inside a database transaction.
"""

import logging
import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Count, F, TextField, Value
from django.db.models.functions import Concat
from django.utils import timezone

from integrations.amazon import catalog as amazon_catalog
from integrations.amazon.errors import AmazonError
from jwo_console.exceptions import ApplicationError
from stores.models import JwoStoreMapping, Store
from stores.selectors import mapping_for_store

from .choices import SyncRunKind, SyncRunStatus, SyncRunTrigger, SyncState, UploadKind
from .models import CatalogSyncRun, CatalogSyncSchedule, CatalogUpload, StoreItem, needs_sending
from .payloads import PAYLOAD_FIELDS, catalog_item, hash_of_row

logger = logging.getLogger(__name__)
REPORT_LINK_RETRIES = 2


def _log(run: CatalogSyncRun, line: str) -> None:
    stamp = timezone.now().strftime("%H:%M:%S")
    CatalogSyncRun.objects.filter(pk=run.pk).update(
        log=Concat(F("log"), Value(f"{stamp} {line}\n"), output_field=TextField())
    )
    logger.info("catalog sync: %s", line, extra={"sync_run_id": run.pk, "store_id": run.store_id})


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
        run = CatalogSyncRun.objects.select_for_update().select_related("store").get(pk=run_id)
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


# --- Results ---------------------------------------------------------------------------------


def _fetch_report(upload: CatalogUpload, link: str | None, client) -> dict | None:
    """Download the report; a link that has expired (or none yet) is asked for again."""
    for _ in range(REPORT_LINK_RETRIES + 1):
        if not link:
            status = client.get_catalog_upload_status(upload.ingestion_id)
            CatalogUpload.objects.filter(pk=upload.pk).update(
                processing_status=status.processing_status, last_polled_at=timezone.now()
            )
            if status.processing_status != "DONE":
                return None
            link = status.report_download_link
            if not link:
                return None
        response = requests.get(link, timeout=30)
        if response.status_code == 200:
            return response.json()
        logger.info(
            "catalog report link refused (%s); asking for a fresh one",
            response.status_code,
            extra={"ingestion_id": upload.ingestion_id},
        )
        link = None
    return None


def catalog_upload_result_apply(*, upload_id: int, report: dict, source: str) -> bool:
    """Record each item's outcome from Amazon's report. Idempotent: the notification and the
    poll may both deliver it; the first one wins."""
    with transaction.atomic():
        upload = CatalogUpload.objects.select_for_update().select_related("run").get(pk=upload_id)
        if upload.report_fetched_at is not None:
            return False
        outcomes = {}
        for entry in report.get("items") or []:
            if isinstance(entry, dict) and entry.get("item_sku"):
                outcomes[str(entry["item_sku"])] = entry
        now = timezone.now()
        accepted = rejected = 0
        if upload.kind == UploadKind.UPLOAD:
            accepted, rejected = _apply_upload_outcomes(upload, outcomes, now)
        else:
            archived = {
                s for s, e in outcomes.items() if str(e.get("status", "")).upper() == "ARCHIVED"
            }
            sent = {int(pk): sku for pk, sku in upload.sent_hashes.items()}
            StoreItem.objects.filter(
                pk__in=[pk for pk, sku in sent.items() if sku in archived]
            ).update(sync_state=SyncState.ARCHIVED, rejection_reason="", last_synced_at=now)
            StoreItem.objects.bulk_update(
                [
                    StoreItem(
                        pk=pk,
                        rejection_reason=f"archive refused: {_reason(outcomes.get(sku) or {})}"[
                            :1000
                        ],
                    )
                    for pk, sku in sent.items()
                    if sku not in archived
                ],
                ["rejection_reason"],
                batch_size=2000,
            )
            accepted = len(archived & set(sent.values()))
            rejected = len(set(sent.values()) - archived)
            CatalogSyncRun.objects.filter(pk=upload.run_id).update(
                items_archived=F("items_archived") + accepted
            )
        upload.report_fetched_at = now
        upload.processing_status = "DONE"
        upload.accepted, upload.rejected, upload.result_source = accepted, rejected, source
        upload.save(
            update_fields=[
                "report_fetched_at",
                "processing_status",
                "accepted",
                "rejected",
                "result_source",
                "updated_at",
            ]
        )
        run = CatalogSyncRun.objects.select_for_update().get(pk=upload.run_id)
        if upload.kind == UploadKind.UPLOAD:
            run.items_accepted += accepted
            run.items_rejected += rejected
        run.batches_done += 1
        pending = run.uploads.filter(report_fetched_at__isnull=True).exists()
        if run.status == SyncRunStatus.WAITING and not pending:
            run.status, run.finished_at = SyncRunStatus.COMPLETED, now
        run.save()
    _log(
        upload.run,
        f"results of {upload.kind.lower()} {upload.batch_no} via {source}: "
        f"{accepted} accepted, {rejected} rejected",
    )
    return True


def _apply_upload_outcomes(
    upload: CatalogUpload, outcomes: dict[str, dict], now
) -> tuple[int, int]:
    """Accepted entitlements get ``accepted_hash`` = the hash that was sent. Where the content
    has not changed since (nearly always), that is ``content_hash``: one UPDATE per chunk, not
    a per-row CASE (which is what makes bulk_update slow at 10,000 rows)."""
    current = {
        pk: (sku, content)
        for pk, sku, content in StoreItem.objects.filter(
            pk__in=[int(k) for k in upload.sent_hashes]
        ).values_list("pk", "item__sku", "content_hash")
    }
    unchanged, changed_since, rejected_by_reason = [], [], {}
    for pk_text, sent_hash in upload.sent_hashes.items():
        pk = int(pk_text)
        if pk not in current:
            continue  # the entitlement was deleted meanwhile
        sku, content = current[pk]
        entry = outcomes.get(sku)
        if str((entry or {}).get("status", "")).upper() in ("ACCEPTED", "SUCCESS", "DONE"):
            (unchanged if content == sent_hash else changed_since).append((pk, sent_hash))
        else:
            reason = (_reason(entry) if entry else "missing from Amazon's report")[:1000]
            rejected_by_reason.setdefault(reason, []).append(pk)
    accepted_fields = {
        "sync_state": SyncState.ACCEPTED,
        "rejection_reason": "",
        "last_synced_at": now,
    }
    for start in range(0, len(unchanged), 5000):
        pks = [pk for pk, _ in unchanged[start : start + 5000]]
        StoreItem.objects.filter(pk__in=pks).update(
            accepted_hash=F("content_hash"), **accepted_fields
        )
    StoreItem.objects.bulk_update(
        [StoreItem(pk=pk, accepted_hash=sent, **accepted_fields) for pk, sent in changed_since],
        ["accepted_hash", *accepted_fields],
        batch_size=1000,
    )
    for reason, pks in rejected_by_reason.items():
        for start in range(0, len(pks), 5000):
            StoreItem.objects.filter(pk__in=pks[start : start + 5000]).update(
                sync_state=SyncState.REJECTED, rejection_reason=reason, last_synced_at=now
            )
    rejected = sum(len(p) for p in rejected_by_reason.values())
    return len(unchanged) + len(changed_since), rejected


def _reason(entry: dict) -> str:
    errors = entry.get("errors") or entry.get("messages") or []
    texts = [e.get("message", str(e)) if isinstance(e, dict) else str(e) for e in errors]
    return "; ".join(texts) or str(entry.get("status") or "rejected")


def _fail_upload(upload: CatalogUpload, status: str) -> None:
    reason = f"Amazon could not process the upload ({status})"
    report = {"items": []}
    CatalogUpload.objects.filter(pk=upload.pk).update(error=reason, processing_status=status)
    catalog_upload_result_apply(upload_id=upload.pk, report=report, source="polling")
    StoreItem.objects.filter(pk__in=[int(k) for k in upload.sent_hashes]).update(
        rejection_reason=reason
    )


def catalog_uploads_poll(*, older_than_seconds: int | None = None, client=None) -> int:
    """The fallback: ask GetCatalogUploadStatus about uploads that have no result yet."""
    age = settings.CATALOG_POLL_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    cutoff = timezone.now() - timedelta(seconds=age)
    waiting = list(
        CatalogUpload.objects.filter(report_fetched_at__isnull=True, created_at__lte=cutoff)
    )
    if not waiting:
        return 0
    client = client or amazon_catalog.client()
    applied = 0
    for upload in waiting:
        try:
            status = client.get_catalog_upload_status(upload.ingestion_id)
        except AmazonError as exc:
            CatalogUpload.objects.filter(pk=upload.pk).update(
                error=str(exc)[:1000], last_polled_at=timezone.now()
            )
            continue
        CatalogUpload.objects.filter(pk=upload.pk).update(
            processing_status=status.processing_status, last_polled_at=timezone.now()
        )
        if status.processing_status in ("FATAL", "CANCELLED"):
            _fail_upload(upload, status.processing_status)
            applied += 1
        elif status.processing_status == "DONE":
            report = _fetch_report(upload, status.report_download_link, client)
            if report is not None and catalog_upload_result_apply(
                upload_id=upload.pk, report=report, source="polling"
            ):
                applied += 1
    return applied


def catalog_notifications_consume(*, queue=None, client=None, wait_seconds: int = 1) -> int:
    """Read upload-result notifications from SQS and apply them; each message is deleted once
    handled (delivery is at least once, so applying twice is harmless)."""
    from integrations.amazon.notifications import CatalogNotificationQueue

    queue = queue or CatalogNotificationQueue()
    applied = 0
    for note in queue.receive(wait_seconds=wait_seconds):
        upload = CatalogUpload.objects.filter(ingestion_id=note.ingestion_id or "").first()
        if upload is None:
            logger.warning(
                "catalog notification for an unknown ingestion",
                extra={"ingestion_id": note.ingestion_id},
            )
            queue.delete(note.receipt_handle)
            continue
        if upload.report_fetched_at is None:
            client = client or amazon_catalog.client()
            if note.processing_status in ("FATAL", "CANCELLED"):
                _fail_upload(upload, note.processing_status)
                applied += 1
            else:
                report = _fetch_report(upload, note.report_link, client)
                if report is None:
                    continue  # leave it on the queue: it comes back after the visibility timeout
                if catalog_upload_result_apply(
                    upload_id=upload.pk, report=report, source="notification"
                ):
                    applied += 1
        queue.delete(note.receipt_handle)
    return applied


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
