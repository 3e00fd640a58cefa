"""Catalog API played by the sandbox: uploads (≤ 10,000 items), status that moves INQUEUE →
INPROGRESS → DONE over time, ArchiveCatalog with the all-stores rule, per-item validation
reports behind a link that expires after 60 minutes, and an upload-result notification
published to SQS (moto's server in development), as Amazon's SNS topic would.

The report schema is not in Amazon's public pages; this one is JSON with a summary and one
entry per item: ``{"item_sku", "store_id", "status": "ACCEPTED"|"REJECTED", "errors": [...]}``.
"""

import hashlib
import hmac
import json
import logging
import math
import re
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone

from . import validation as v
from .gateway import amazon_api
from .models import SandboxCatalogItem, SandboxCatalogUpload, SandboxStore
from .trips import known_store

logger = logging.getLogger(__name__)
MAX_ITEMS = 10_000
MAX_FIELD = 255
INVALID_BODY = "Invalid request body"
REQUIRED = ("item_sku", "external_product_id", "item_name", "store_id")
STRING_FIELDS = (
    *REQUIRED,
    "external_product_id_type",
    "standard_price",
    "brand_name",
    "product_tax_code",
    "product_category",
    "product_subcategory",
)
BARCODE_LENGTHS = {"UPC": (12, 8), "EAN8": (8,), "EAN": (13,), "ISBN": (10,), "GTIN": (14,)}
PRICE = re.compile(r"^\d+(\.\d{1,2})?$")
SPECIAL = re.compile(r"[®©™]")


def gs1_check_digit_ok(code: str) -> bool:
    """UPC-A, UPC-E (8), EAN-8, EAN-13 and GTIN-14 share the GS1 mod-10 check digit."""
    digits = [int(c) for c in code]
    body, check = digits[:-1], digits[-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def barcode_errors(code: str, kind: str | None) -> list[str]:
    kind = kind or "UPC"
    if kind == "PLU":
        return [] if code.isdigit() and 3 <= len(code) <= 6 else ["PLU must be 3 to 6 digits"]
    if kind not in BARCODE_LENGTHS:
        return [f"unknown barcode type {kind}"]
    if not code.isdigit() or len(code) not in BARCODE_LENGTHS[kind]:
        lengths = " or ".join(str(n) for n in BARCODE_LENGTHS[kind])
        return [f"{kind} must be {lengths} digits"]
    if kind != "ISBN" and not gs1_check_digit_ok(code):
        return [f"{kind} {code} has a wrong check digit"]
    return []


def item_errors(item: dict) -> list[dict[str, str]]:
    errors = []
    name = item["item_name"]
    if not 1 <= len(name) <= 100:
        errors.append({"code": "ITEM_NAME_LENGTH", "message": "item_name must be 1-100 characters"})
    if SPECIAL.search(name):
        errors.append({"code": "ITEM_NAME_CHARACTERS", "message": "item_name has ®, © or ™"})
    for message in barcode_errors(
        item["external_product_id"], item.get("external_product_id_type")
    ):
        errors.append({"code": "INVALID_BARCODE", "message": message})
    extra = item.get("additional_external_product_information") or []
    if not isinstance(extra, list) or len(extra) > 50:
        errors.append({"code": "TOO_MANY_BARCODES", "message": "at most 50 additional barcodes"})
    else:
        for entry in extra:
            if not isinstance(entry, dict) or not isinstance(entry.get("external_product_id"), str):
                errors.append({"code": "INVALID_BARCODE", "message": "bad additional barcode"})
                continue
            for message in barcode_errors(
                entry["external_product_id"], entry.get("external_product_id_type")
            ):
                errors.append({"code": "INVALID_BARCODE", "message": message})
    price = item.get("standard_price")
    if price is not None and not PRICE.match(price):
        errors.append({"code": "INVALID_PRICE", "message": "standard_price must look like 9.99"})
    return errors


def _stores_of_request(store_ids: set[str]) -> list[SandboxStore]:
    stores = [known_store(s) for s in sorted(store_ids)]
    if any(s is None for s in stores):
        if len(store_ids) > 1 and any(s is not None for s in stores):
            raise v.Invalid(
                "List of store ID's present in the request are either incorrect/not associated "
                "with same retailer"
            )
        raise v.Invalid("One or more StoreID's present in the request is incorrect")
    if len({s.retailer for s in stores}) > 1:
        raise v.Invalid(
            "List of store ID's present in the request are either incorrect/not associated with "
            "same retailer"
        )
    return stores


def _notify(upload: SandboxCatalogUpload) -> None:
    """Publish the upload result to SQS, delayed until the upload is DONE (an SNS envelope)."""
    endpoint = settings.SANDBOX_SQS_ENDPOINT_URL
    if not endpoint:
        return
    import boto3

    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=settings.JWO_REGION,
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
    )
    queue_url = sqs.create_queue(QueueName=settings.SANDBOX_SQS_QUEUE_NAME)["QueueUrl"]
    delay = min(900, math.ceil(2 * settings.SANDBOX_CATALOG_STEP_SECONDS))
    message = {
        "ingestionId": upload.ingestion_id,
        "processingStatus": "DONE",
        "reportDownloadLink": report_link(upload.ingestion_id),
    }
    envelope = {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": f"arn:aws:sns:{settings.JWO_REGION}:000000000000:jwo-catalog-upload-results",
        "Subject": "Catalog upload result",
        "Message": json.dumps(message),
        "Timestamp": timezone.now().isoformat(),
    }
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(envelope), DelaySeconds=delay)


def _publish_later(upload: SandboxCatalogUpload) -> None:
    def publish() -> None:
        try:
            _notify(upload)
        except Exception:
            logger.exception(
                "sandbox: SQS notification failed", extra={"ingestion": upload.ingestion_id}
            )

    transaction.on_commit(publish)


def _ingested(kind: str, *, received: int, accepted: int, report: list[dict]) -> tuple[int, dict]:
    """Keep the ingestion and its report, notify when done, answer 201 ``{ingestionId}``."""
    upload = SandboxCatalogUpload.objects.create(
        ingestion_id=str(uuid.uuid4()),
        kind=kind,
        item_count=received,
        accepted=accepted,
        rejected=received - accepted,
        report={"items": report},
    )
    _publish_later(upload)
    return 201, {"ingestionId": upload.ingestion_id}


@amazon_api("catalog", "UploadCatalog")
@transaction.atomic
def upload_catalog(data: dict):
    items = data.get("catalogItems") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise v.Invalid(INVALID_BODY)
    if len(items) > MAX_ITEMS:
        raise v.Invalid(f"Too many items: at most {MAX_ITEMS} per request, got {len(items)}")
    for item in items:
        if not isinstance(item, dict) or any(
            not isinstance(item.get(f), str) or not item.get(f) for f in REQUIRED
        ):
            raise v.Invalid(INVALID_BODY)
        for field in STRING_FIELDS:
            value = item.get(field)
            if value is not None and not isinstance(value, str):
                raise v.Invalid(INVALID_BODY)
            if isinstance(value, str) and len(value) > MAX_FIELD:
                raise v.Invalid(f"{field} exceeds {MAX_FIELD} characters")
    _stores_of_request({i["store_id"] for i in items})

    # One SKU maps to one scannable barcode in a store: a barcode another SKU already holds
    # (in Amazon's catalog or earlier in this upload) is refused.
    holders = {
        (row.store_id, row.external_product_id): row.item_sku
        for row in SandboxCatalogItem.objects.filter(
            store_id__in={i["store_id"] for i in items},
            external_product_id__in={i["external_product_id"] for i in items},
            archived=False,
        )
    }
    report_items, accepted = [], []
    for item in items:
        errors = item_errors(item)
        key = (item["store_id"], item["external_product_id"])
        holder = holders.setdefault(key, item["item_sku"])
        if holder != item["item_sku"]:
            errors.append(
                {
                    "code": "DUPLICATE_BARCODE",
                    "message": f"barcode {key[1]} already belongs to SKU {holder}",
                }
            )
        report_items.append(
            {
                "item_sku": item["item_sku"],
                "store_id": item["store_id"],
                "status": "REJECTED" if errors else "ACCEPTED",
                "errors": errors,
            }
        )
        if not errors:
            accepted.append(item)
    existing = {
        (i.store_id, i.item_sku): i
        for i in SandboxCatalogItem.objects.filter(
            store_id__in={i["store_id"] for i in accepted},
            item_sku__in={i["item_sku"] for i in accepted},
        )
    }
    new, changed = [], []
    for item in accepted:
        row = existing.get((item["store_id"], item["item_sku"]))
        fields = {
            "item_name": item["item_name"],
            "external_product_id": item["external_product_id"],
            "standard_price": item.get("standard_price") or "",
            "archived": False,
        }
        if row is None:
            new.append(
                SandboxCatalogItem(store_id=item["store_id"], item_sku=item["item_sku"], **fields)
            )
        else:
            for key, value in fields.items():
                setattr(row, key, value)
            changed.append(row)
    SandboxCatalogItem.objects.bulk_create(new, batch_size=2000)
    SandboxCatalogItem.objects.bulk_update(changed, list(fields), batch_size=2000)
    return _ingested("UPLOAD", received=len(items), accepted=len(accepted), report=report_items)


def processing_status(upload: SandboxCatalogUpload) -> str:
    elapsed = (timezone.now() - upload.created_at).total_seconds()
    step = settings.SANDBOX_CATALOG_STEP_SECONDS
    if elapsed < step:
        return "INQUEUE"
    if elapsed < 2 * step:
        return "INPROGRESS"
    return "DONE"


def _sign(ingestion_id: str, expires: int) -> str:
    key = settings.JWO_SANDBOX_SECRET_ACCESS_KEY.encode()
    return hmac.new(key, f"{ingestion_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def report_link(ingestion_id: str) -> str:
    """A presigned-style link, valid for SANDBOX_REPORT_LINK_TTL_SECONDS (60 minutes)."""
    expires = int(timezone.now().timestamp()) + settings.SANDBOX_REPORT_LINK_TTL_SECONDS
    query = urlencode({"expires": expires, "signature": _sign(ingestion_id, expires)})
    path = reverse("sandbox:catalog-report", args=[ingestion_id])
    base = settings.JWO_SANDBOX_URL.rsplit("/sandbox", 1)[0]
    return f"{base}{path}?{query}"


@amazon_api("catalog", "GetCatalogUploadStatus")
def get_catalog_upload_status(data: dict):
    ingestion_id = v.string(data, "ingestionId", msg="InvalidRequestException")
    upload = SandboxCatalogUpload.objects.filter(ingestion_id=ingestion_id).first()
    if upload is None:
        raise v.Invalid("InvalidRequestException", "unknown ingestionId")
    status = processing_status(upload)
    return 200, {
        "processingStatus": status,
        "reportDownloadLink": report_link(upload.ingestion_id) if status == "DONE" else "",
    }


@amazon_api("catalog", "ArchiveCatalog")
@transaction.atomic
def archive_catalog(data: dict):
    skus = data.get("itemSkus") if isinstance(data, dict) else None
    stores = data.get("allApplicableStores") if isinstance(data, dict) else None
    if not isinstance(skus, list) or not skus or not all(isinstance(s, str) and s for s in skus):
        raise v.Invalid(INVALID_BODY, "itemSkus must list 1 to 10000 SKUs")
    if len(skus) > MAX_ITEMS:
        raise v.Invalid(f"Too many SKUs: at most {MAX_ITEMS} per request")
    if not isinstance(stores, list) or not stores or not all(isinstance(s, str) for s in stores):
        raise v.Invalid(INVALID_BODY, "allApplicableStores must list the retailer's stores")
    known = _stores_of_request(set(stores))
    retailer = known[0].retailer
    every = sorted(
        SandboxStore.objects.filter(retailer=retailer).values_list("store_id", flat=True)
    )
    if sorted(set(stores)) != every:
        raise v.Invalid(
            "allApplicableStores must list every store of the retailer",
            availableStores=every,
        )
    active = set(
        SandboxCatalogItem.objects.filter(
            store_id__in=every, item_sku__in=skus, archived=False
        ).values_list("item_sku", flat=True)
    )
    report = []
    for sku in skus:
        if sku in active:
            report.append({"item_sku": sku, "status": "ARCHIVED", "errors": []})
        else:
            report.append(
                {
                    "item_sku": sku,
                    "status": "REJECTED",
                    "errors": [
                        {
                            "code": "NOT_ACTIVE",
                            "message": "not an active SKU (unknown or already archived)",
                        }
                    ],
                }
            )
    SandboxCatalogItem.objects.filter(store_id__in=every, item_sku__in=active).update(archived=True)
    return _ingested("ARCHIVE", received=len(skus), accepted=len(active), report=report)


@login_not_required
def catalog_report(request: HttpRequest, ingestion_id: str) -> HttpResponse:
    """The S3 presigned URL's stand-in: 403 once expired or tampered with."""
    try:
        expires = int(request.GET.get("expires", "0"))
    except ValueError:
        expires = 0
    signature = request.GET.get("signature", "")
    if not hmac.compare_digest(_sign(ingestion_id, expires), signature):
        return _s3_error("SignatureDoesNotMatch", "The request signature does not match.")
    if timezone.now().timestamp() > expires:
        return _s3_error("AccessDenied", "Request has expired")
    upload = SandboxCatalogUpload.objects.filter(ingestion_id=ingestion_id).first()
    if upload is None:
        return _s3_error("NoSuchKey", "The specified key does not exist.", status=404)
    return JsonResponse(
        {
            "ingestionId": upload.ingestion_id,
            "kind": upload.kind,
            "summary": {
                "received": upload.item_count,
                "accepted": upload.accepted,
                "rejected": upload.rejected,
            },
            "items": upload.report["items"],
        }
    )


def _s3_error(code: str, message: str, status: int = 403) -> HttpResponse:
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n'
    body = f"{xml}<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return HttpResponse(body, status=status, content_type="application/xml")
