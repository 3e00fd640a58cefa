"""A catalog upload's results: Amazon's per-item report, delivered by the SQS notification or
found by polling GetCatalogUploadStatus, recorded once on each item and on the run.

The report link expires; an expired one is asked for again (``REPORT_LINK_RETRIES``). Applying a
report is idempotent: the notification and the poll may both deliver it, the first one wins.
catalog/sync.py sends the uploads; this module reads what became of them.
"""

import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, TextField, Value
from django.db.models.functions import Concat
from django.utils import timezone

from integrations.amazon import catalog as amazon_catalog
from integrations.amazon.errors import AmazonError

from .choices import SyncRunStatus, SyncState, UploadKind
from .models import CatalogSyncRun, CatalogUpload, StoreItem

logger = logging.getLogger(__name__)
REPORT_LINK_RETRIES = 2


def run_log(run: CatalogSyncRun, line: str) -> None:
    stamp = timezone.now().strftime("%H:%M:%S")
    CatalogSyncRun.objects.filter(pk=run.pk).update(
        log=Concat(F("log"), Value(f"{stamp} {line}\n"), output_field=TextField())
    )
    logger.info("catalog sync: %s", line, extra={"sync_run_id": run.pk, "store_id": run.store_id})


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
        upload = (
            CatalogUpload.objects.select_for_update(of=("self",))
            .select_related("run")
            .get(pk=upload_id)
        )
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
    run_log(
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
