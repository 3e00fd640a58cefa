"""Sync Items against the sandbox over real HTTP (signatures verified)."""

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from catalog import sync
from catalog.choices import SyncRunKind, SyncRunStatus, SyncState
from catalog.models import CatalogSyncRun, CatalogSyncSchedule, CatalogUpload, StoreItem
from catalog.services import item_update
from sandbox.models import SandboxCall, SandboxCatalogItem
from tests.factories import ItemFactory, JwoStoreMappingFactory, entitle, upc

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mapped(sandbox, settings):
    settings.SANDBOX_CATALOG_STEP_SECONDS = 0  # Amazon's processing is instant here
    return JwoStoreMappingFactory(jwo_store_id="jwo-cat-1").store


def run_sync(store, **kw) -> CatalogSyncRun:
    run, created = sync.catalog_sync_run_request(store=store, **kw)
    assert created
    run.refresh_from_db()  # the task ran eagerly on commit
    return run


def states(store) -> dict[str, str]:
    return dict(StoreItem.objects.filter(store=store).values_list("item__sku", "sync_state"))


def test_only_eligible_items_are_sent_and_results_come_by_polling(mapped):
    good = [ItemFactory() for _ in range(3)]
    bad = ItemFactory(barcode="012345678901")  # wrong check digit: flagged, never sent
    item_update(item=bad, data={"name": bad.name}, actor=None)
    for item in [*good, bad]:
        entitle(mapped, item)
    run = run_sync(mapped)
    assert (run.status, run.items_to_send, run.items_sent, run.items_ineligible) == (
        SyncRunStatus.WAITING,
        3,
        3,
        1,
    )
    assert "wrong check digit" in bad.eligibility_error
    assert sync.catalog_uploads_poll(older_than_seconds=0) == 1
    run.refresh_from_db()
    assert (run.status, run.items_accepted, run.items_rejected) == (SyncRunStatus.COMPLETED, 3, 0)
    assert states(mapped) == {
        **{i.sku: SyncState.ACCEPTED for i in good},
        bad.sku: SyncState.NEVER,
    }
    assert CatalogUpload.objects.get().result_source == "polling"
    sent = json.loads(SandboxCall.objects.get(operation="UploadCatalog").body)["catalogItems"]
    assert {i["store_id"] for i in sent} == {"jwo-cat-1"}
    assert sorted(i["item_sku"] for i in sent) == sorted(i.sku for i in good)


def test_an_incremental_sync_sends_only_what_changed(mapped):
    items = [ItemFactory() for _ in range(5)]
    for item in items:
        entitle(mapped, item)
    run_sync(mapped)
    sync.catalog_uploads_poll(older_than_seconds=0)
    item_update(item=items[2], data={"name": "Acme Sparkling Water Lime 12oz"}, actor=None)
    entitle(mapped, items[4], price="2.49")
    assert StoreItem.objects.get(item=items[2]).changed_since_sync
    second = run_sync(mapped)
    assert second.items_sent == 2
    sent = json.loads(SandboxCall.objects.filter(operation="UploadCatalog").first().body)
    assert sorted(i["item_sku"] for i in sent["catalogItems"]) == [items[2].sku, items[4].sku]
    assert run_sync(mapped).status == SyncRunStatus.WAITING  # 2 still pending results...
    sync.catalog_uploads_poll(older_than_seconds=0)
    third = run_sync(mapped)
    assert (third.items_sent, third.status) == (0, SyncRunStatus.COMPLETED)  # ...then nothing


def test_uploads_are_split_at_ten_thousand_items(mapped):
    from catalog.models import Item

    merchant = mapped.merchant
    Item.objects.bulk_create(
        Item(
            merchant=merchant,
            sku=f"BULK-{n:05d}",
            name=f"Bulk item {n}",
            barcode=upc(n),
            barcode_type="UPC",
        )
        for n in range(10_001)
    )
    StoreItem.objects.bulk_create(
        StoreItem(store=mapped, item=item, price="1.00") for item in Item.objects.all()
    )
    from catalog.services import store_item_hashes_refresh

    store_item_hashes_refresh(items=Item.objects.values_list("pk", flat=True))
    run = run_sync(mapped)
    uploads = list(CatalogUpload.objects.order_by("batch_no").values_list("batch_no", "item_count"))
    assert uploads == [(1, 10_000), (2, 1)]
    assert (run.batches_total, run.batches_sent, run.items_sent) == (2, 2, 10_001)
    assert sync.catalog_uploads_poll(older_than_seconds=0) == 2
    run.refresh_from_db()
    assert (run.items_accepted, run.status) == (10_001, SyncRunStatus.COMPLETED)


def test_rejected_items_show_amazons_reason_and_resync_after_a_fix(mapped):
    first, clash = ItemFactory(), ItemFactory()
    item_update(item=clash, data={"barcode": first.barcode}, actor=None)  # two SKUs, one barcode
    entitle(mapped, first)
    entitle(mapped, clash)
    run_sync(mapped)
    sync.catalog_uploads_poll(older_than_seconds=0)
    rejected = StoreItem.objects.get(item=clash)
    assert rejected.sync_state == SyncState.REJECTED
    assert (
        rejected.rejection_reason == f"barcode {first.barcode} already belongs to SKU {first.sku}"
    )

    item_update(item=clash, data={"barcode": upc(987654)}, actor=None)
    resync = run_sync(mapped, kind=SyncRunKind.REJECTED)
    assert resync.items_sent == 1
    sync.catalog_uploads_poll(older_than_seconds=0)
    rejected.refresh_from_db()
    assert (rejected.sync_state, rejected.rejection_reason) == (SyncState.ACCEPTED, "")


@pytest.mark.django_db(transaction=False)  # the enqueue waits for a commit that never comes
def test_pressing_sync_twice_joins_the_running_sync(django_capture_on_commit_callbacks):
    mapped = JwoStoreMappingFactory().store
    entitle(mapped, ItemFactory())
    with django_capture_on_commit_callbacks(execute=False):
        first, created = sync.catalog_sync_run_request(store=mapped)
        again, created_again = sync.catalog_sync_run_request(store=mapped)
    assert created and not created_again and again.pk == first.pk
    assert CatalogSyncRun.objects.count() == 1


def test_an_unmapped_store_cannot_sync(sandbox):
    from jwo_console.exceptions import ApplicationError
    from tests.factories import StoreFactory

    with pytest.raises(ApplicationError, match="not mapped"):
        sync.catalog_sync_run_request(store=StoreFactory())


def test_a_failure_to_reach_amazon_fails_the_run_with_the_reason(mapped):
    from sandbox.models import SandboxFault

    SandboxFault.objects.create(service="catalog", operation="UploadCatalog", kind="503")
    entitle(mapped, ItemFactory())
    run, _ = sync.catalog_sync_run_request(store=mapped)
    run.refresh_from_db()
    assert run.status == SyncRunStatus.FAILED
    assert "HTTP 503" in run.error
    assert StoreItem.objects.get().sync_state == SyncState.NEVER


def test_items_no_longer_sold_anywhere_are_archived_in_every_store(mapped):
    other = JwoStoreMappingFactory(jwo_store_id="jwo-cat-2", store__merchant=mapped.merchant).store
    keep, gone, elsewhere = ItemFactory(), ItemFactory(), ItemFactory()
    for item in (keep, gone, elsewhere):
        entitle(mapped, item)
    entitle(other, elsewhere)
    run_sync(mapped)
    run_sync(other)
    sync.catalog_uploads_poll(older_than_seconds=0)
    entitle(mapped, gone, active=False)
    entitle(mapped, elsewhere, active=False)  # still sold in the other store: not archived
    run = run_sync(mapped)
    archive = CatalogUpload.objects.get(kind="ARCHIVE")
    body = json.loads(SandboxCall.objects.get(operation="ArchiveCatalog").body)
    assert body == {"itemSkus": [gone.sku], "allApplicableStores": ["jwo-cat-1", "jwo-cat-2"]}
    assert archive.run_id == run.pk
    sync.catalog_uploads_poll(older_than_seconds=0)
    assert StoreItem.objects.get(store=mapped, item=gone).sync_state == SyncState.ARCHIVED
    assert StoreItem.objects.get(store=mapped, item=elsewhere).sync_state == SyncState.ACCEPTED
    assert SandboxCatalogItem.objects.get(item_sku=gone.sku, store_id="jwo-cat-1").archived
    run.refresh_from_db()
    assert (run.items_archived, run.status) == (1, SyncRunStatus.COMPLETED)


def _consume_until_applied(expected: int, timeout: float = 10.0) -> int:
    applied, deadline = 0, time.monotonic() + timeout
    while applied < expected and time.monotonic() < deadline:
        applied += sync.catalog_notifications_consume(wait_seconds=1)
    return applied


def test_results_arrive_by_notification(mapped, sqs_server):
    for _ in range(2):
        entitle(mapped, ItemFactory())
    run = run_sync(mapped)
    assert _consume_until_applied(1) == 1
    run.refresh_from_db()
    assert (run.status, run.items_accepted) == (SyncRunStatus.COMPLETED, 2)
    assert CatalogUpload.objects.get().result_source == "notification"
    assert sync.catalog_uploads_poll(older_than_seconds=0) == 0  # nothing left to poll


def test_an_expired_report_link_is_requested_again(mapped, sqs_server, settings):
    settings.SANDBOX_REPORT_LINK_TTL_SECONDS = -1  # the notification's link is already stale
    entitle(mapped, ItemFactory())
    run_sync(mapped)
    settings.SANDBOX_REPORT_LINK_TTL_SECONDS = 3600  # the status call hands out a fresh one
    assert _consume_until_applied(1) == 1
    assert StoreItem.objects.get().sync_state == SyncState.ACCEPTED
    reports = SandboxCall.objects.filter(operation="GetCatalogUploadStatus")
    assert reports.count() == 1  # the fresh link came from one status call


def test_the_schedule_starts_an_incremental_sync_when_due(mapped):
    entitle(mapped, ItemFactory())
    schedule = sync.catalog_sync_schedule_set(store=mapped, enabled=True, every_minutes=30)
    assert sync.catalog_sync_schedules_run() == 0  # not due yet
    CatalogSyncSchedule.objects.filter(pk=schedule.pk).update(
        next_run_at=timezone.now() - timedelta(seconds=1)
    )
    assert sync.catalog_sync_schedules_run() == 1
    run = CatalogSyncRun.objects.get()
    assert (run.trigger, run.items_sent) == ("SCHEDULE", 1)
    schedule.refresh_from_db()
    assert schedule.next_run_at > timezone.now() + timedelta(minutes=29)


class TestRateLimit:
    def test_the_sandbox_answers_429_above_ten_a_second_and_the_client_waits(self, mapped):
        from integrations.amazon.catalog import CatalogClient, CatalogItem
        from integrations.amazon.ratelimit import RateLimiter

        class Unlimited(RateLimiter):
            def acquire(self) -> float:
                return 0.0

        client = CatalogClient(limiter=Unlimited(storage_url="memory://"))

        def send(n: int) -> None:
            client.upload_catalog(
                [
                    CatalogItem(
                        item_sku=f"U{n}",
                        external_product_id=upc(n),
                        item_name="Water 1L",
                        store_id="jwo-cat-1",
                    )
                ]
            )

        # Six senders at once: more than ten arrive within a second even on a busy machine.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(send, range(20)))
        calls = SandboxCall.objects.filter(operation="UploadCatalog")
        assert calls.filter(status=429).exists()
        assert calls.filter(status=201).count() == 20

    def test_two_workers_together_stay_under_ten_a_second(self, mapped, settings):
        import redis

        from integrations.amazon.catalog import CatalogClient, CatalogItem
        from integrations.amazon.ratelimit import RateLimiter

        url = settings.REDIS_URL or "redis://127.0.0.1:6379/15"
        try:
            redis.Redis.from_url(url).ping()
        except redis.exceptions.ConnectionError:
            pytest.skip("no Redis to share the limiter through")
        redis.Redis.from_url(url).delete(*redis.Redis.from_url(url).keys("LIMITS:*") or ["none"])

        def worker(name: str) -> None:
            client = CatalogClient(limiter=RateLimiter(storage_url=url, key="test-shared"))
            try:
                _uploads(client, name)
            finally:
                connection.close()

        def _uploads(client, name: str) -> None:
            for n in range(12):
                client.get_catalog_upload_status_or_none = None
                client.upload_catalog(
                    [
                        CatalogItem(
                            item_sku=f"{name}{n}",
                            external_product_id=upc(hash(name) % 1000 + n * 1000),
                            item_name="Water 1L",
                            store_id="jwo-cat-1",
                        )
                    ]
                )

        threads = [threading.Thread(target=worker, args=(w,)) for w in ("A", "B")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        calls = SandboxCall.objects.filter(operation="UploadCatalog")
        assert calls.count() == 24
        assert not calls.filter(status=429).exists()
        times = sorted(calls.values_list("received_at", flat=True))
        for i in range(len(times) - 10):
            assert times[i + 10] - times[i] >= timedelta(seconds=0.9)


def test_the_run_log_reads_line_by_line(mapped):
    entitle(mapped, ItemFactory())
    run = run_sync(mapped)
    lines = run.log.strip().splitlines()
    assert lines[0].endswith("1 items to send in 1 upload(s); 0 not eligible; 0 to archive")
    assert "upload 1: 1 items, ingestion " in lines[1]
