import json
import zlib
from datetime import timedelta
from decimal import Decimal

import boto3
import pytest
import requests
from django.utils import timezone

from integrations.amazon.catalog import Barcode, CatalogItem
from integrations.amazon.errors import AmazonRejectedError
from sandbox.models import SandboxCall, SandboxCatalogItem, SandboxCatalogUpload, SandboxStore
from tests.factories import upc

STORE = "jwo-store-1"


def item(sku: str, barcode: str | None = None, **kw) -> CatalogItem:
    fields = {
        "item_sku": sku,
        "external_product_id": barcode or upc(zlib.crc32(sku.encode())),
        "external_product_id_type": "UPC",
        "item_name": f"Acme Sparkling Water {sku} 12oz",
        "store_id": STORE,
        "standard_price": Decimal("1.99"),
    }
    fields.update(kw)
    return CatalogItem(**fields)


def _age(ingestion_id: str, seconds: float) -> None:
    SandboxCatalogUpload.objects.filter(ingestion_id=ingestion_id).update(
        created_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_upload_status_moves_to_done_and_the_report_names_rejected_items(clients, settings):
    settings.SANDBOX_CATALOG_STEP_SECONDS = 30
    result = clients.catalog.upload_catalog(
        [
            item("SKU-1", additional_barcodes=[Barcode("4006381333931", "EAN")]),
            item("SKU-2", barcode="012345678901"),  # wrong check digit
            item("SKU-3", item_name="Acme® Water"),
        ]
    )
    assert len(result.ingestion_id) == 36
    status = clients.catalog.get_catalog_upload_status(result.ingestion_id)
    assert (status.processing_status, status.report_download_link, status.is_terminal) == (
        "INQUEUE",
        None,
        False,
    )
    _age(result.ingestion_id, 31)
    assert clients.catalog.get_catalog_upload_status(result.ingestion_id).processing_status == (
        "INPROGRESS"
    )
    _age(result.ingestion_id, 61)
    done = clients.catalog.get_catalog_upload_status(result.ingestion_id)
    assert done.processing_status == "DONE" and done.is_terminal

    report = requests.get(done.report_download_link, timeout=5).json()
    assert report["summary"] == {"received": 3, "accepted": 1, "rejected": 2}
    by_sku = {i["item_sku"]: i for i in report["items"]}
    assert by_sku["SKU-1"]["status"] == "ACCEPTED"
    assert by_sku["SKU-2"]["errors"] == [
        {"code": "INVALID_BARCODE", "message": "UPC 012345678901 has a wrong check digit"}
    ]
    assert by_sku["SKU-3"]["errors"][0]["code"] == "ITEM_NAME_CHARACTERS"
    assert list(SandboxCatalogItem.objects.values_list("item_sku", flat=True)) == ["SKU-1"]
    sent = json.loads(SandboxCall.objects.filter(operation="UploadCatalog").get().body)
    assert sent["catalogItems"][0]["standard_price"] == "1.99"
    assert sent["catalogItems"][0]["external_product_id"] == upc(zlib.crc32(b"SKU-1"))
    assert len(sent["catalogItems"][0]["external_product_id"]) == 12  # leading zeros kept


def test_the_report_link_expires_after_its_validity(clients, settings):
    settings.SANDBOX_CATALOG_STEP_SECONDS = 0
    result = clients.catalog.upload_catalog([item("SKU-9")])
    link = clients.catalog.get_catalog_upload_status(result.ingestion_id).report_download_link
    assert requests.get(link, timeout=5).status_code == 200
    settings.SANDBOX_REPORT_LINK_TTL_SECONDS = -1  # a link issued now is already stale
    stale = clients.catalog.get_catalog_upload_status(result.ingestion_id).report_download_link
    expired = requests.get(stale, timeout=5)
    assert expired.status_code == 403 and "Request has expired" in expired.text
    settings.SANDBOX_REPORT_LINK_TTL_SECONDS = 3600  # asking again gives a fresh, valid link
    fresh = clients.catalog.get_catalog_upload_status(result.ingestion_id).report_download_link
    assert requests.get(fresh, timeout=5).status_code == 200
    tampered = fresh.replace("signature=", "signature=0")
    assert requests.get(tampered, timeout=5).status_code == 403


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"invalidField": []}, "Invalid request body"),
        ({"catalogItems": []}, "Invalid request body"),
        ({"catalogItems": [{"item_sku": "only-a-sku"}]}, "Invalid request body"),
        (
            {"catalogItems": [item("S").to_wire() | {"brand_name": "b" * 256}]},
            "brand_name exceeds 255 characters",
        ),
        (
            {"catalogItems": [item(f"S{i}").to_wire() for i in range(10_001)]},
            "Too many items: at most 10000 per request, got 10001",
        ),
    ],
)
def test_upload_contract_errors(clients, payload, message):
    with pytest.raises(AmazonRejectedError) as exc:
        clients.raw("catalog").post(
            operation="UploadCatalog", path="/v1/catalog/upload", payload=payload, retry_safe=True
        )
    assert (exc.value.http_status, exc.value.error_msg) == (400, message)


def test_ten_thousand_items_are_accepted_in_one_upload(clients):
    items = [item(f"BULK-{i:05d}") for i in range(10_000)]
    result = clients.catalog.upload_catalog(items)
    assert SandboxCatalogUpload.objects.get(ingestion_id=result.ingestion_id).accepted == 10_000
    with pytest.raises(ValueError, match=r"1\.\.10000"):
        clients.catalog.upload_catalog([*items, item("ONE-TOO-MANY")])


def test_unknown_and_mixed_store_ids_reject_the_whole_request(clients, settings):
    settings.SANDBOX_AUTO_REGISTER_STORES = False
    SandboxStore.objects.create(store_id=STORE, retailer="acme")
    SandboxStore.objects.create(store_id="other-retailer-store", retailer="globex")
    with pytest.raises(AmazonRejectedError) as exc:
        clients.catalog.upload_catalog([item("A", store_id="no-such-store")])
    assert exc.value.error_msg == "One or more StoreID's present in the request is incorrect"
    for other in ("no-such-store", "other-retailer-store"):
        with pytest.raises(AmazonRejectedError) as exc:
            clients.catalog.upload_catalog([item("A"), item("B", store_id=other)])
        assert exc.value.error_msg.startswith("List of store ID's present in the request are")
    assert not SandboxCatalogItem.objects.exists()


def test_archive_needs_every_store_of_the_retailer(clients, settings):
    settings.SANDBOX_AUTO_REGISTER_STORES = False
    settings.SANDBOX_CATALOG_STEP_SECONDS = 0
    for store_id in (STORE, "jwo-store-2"):
        SandboxStore.objects.create(store_id=store_id, retailer="acme")
    clients.catalog.upload_catalog([item("KEEP"), item("GONE")])
    with pytest.raises(AmazonRejectedError) as exc:
        clients.catalog.archive_catalog(item_skus=["GONE"], all_applicable_stores=[STORE])
    assert exc.value.body["availableStores"] == [STORE, "jwo-store-2"]

    result = clients.catalog.archive_catalog(
        item_skus=["GONE", "NEVER-UPLOADED"], all_applicable_stores=[STORE, "jwo-store-2"]
    )
    link = clients.catalog.get_catalog_upload_status(result.ingestion_id).report_download_link
    report = {i["item_sku"]: i["status"] for i in requests.get(link, timeout=5).json()["items"]}
    assert report == {"GONE": "ARCHIVED", "NEVER-UPLOADED": "REJECTED"}
    assert SandboxCatalogItem.objects.get(item_sku="GONE").archived is True
    assert SandboxCatalogItem.objects.get(item_sku="KEEP").archived is False


def test_status_of_an_unknown_ingestion(clients):
    with pytest.raises(AmazonRejectedError) as exc:
        clients.catalog.get_catalog_upload_status("no-such-ingestion")
    assert exc.value.error_msg == "InvalidRequestException"


def test_more_than_ten_requests_a_second_get_429_and_the_client_waits(sandbox):
    import time

    from integrations.amazon.catalog import CatalogClient
    from integrations.amazon.transport import AmazonTransport

    waits: list[float] = []

    def really_sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    client = CatalogClient(AmazonTransport("catalog", sleep=really_sleep))
    results = [client.upload_catalog([item(f"R{i}")]) for i in range(14)]
    assert len({r.ingestion_id for r in results}) == 14
    calls = SandboxCall.objects.filter(operation="UploadCatalog")
    assert calls.filter(status=201).count() == 14
    # The sandbox never let more than 10 through in any one second ...
    accepted = sorted(calls.filter(status=201).values_list("received_at", flat=True))
    for i in range(len(accepted) - 10):
        assert accepted[i + 10] - accepted[i] >= timedelta(seconds=1)
    # ... and the client waited as told when it was throttled (14 calls on this machine take
    # well under a second, so at least one was).
    if calls.filter(status=429).exists():
        assert 1.0 in waits


def test_upload_result_is_published_to_sqs_when_done(clients, settings, sqs_server):
    settings.SANDBOX_CATALOG_STEP_SECONDS = 0.5  # DONE after 1 s; the message is delayed as long
    result = clients.catalog.upload_catalog([item("SQS-1"), item("SQS-2", barcode="1")])
    sqs = boto3.client(
        "sqs",
        endpoint_url=sqs_server,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    queue_url = sqs.get_queue_url(QueueName=settings.SANDBOX_SQS_QUEUE_NAME)["QueueUrl"]
    assert sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages", []) == []
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5).get("Messages", [])
    assert len(messages) == 1
    envelope = json.loads(messages[0]["Body"])
    assert envelope["Type"] == "Notification"
    message = json.loads(envelope["Message"])  # SNS: the message is a JSON string inside
    assert message["ingestionId"] == result.ingestion_id
    assert message["processingStatus"] == "DONE"
    report = requests.get(message["reportDownloadLink"], timeout=5).json()
    assert report["summary"]["rejected"] == 1
