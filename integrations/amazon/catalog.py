"""Catalog API: UploadCatalog, GetCatalogUploadStatus, ArchiveCatalog. All
three are safe to repeat: an upload is an upsert by
``item_sku``, an archive sets a state, the status is a read."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .money import two_places
from .ratelimit import RateLimiter, catalog_limiter
from .transport import AmazonResponse, AmazonTransport, require

MAX_ITEMS_PER_REQUEST = 10_000
PROCESSING_STATUSES = ("INQUEUE", "INPROGRESS", "DONE", "CANCELLED", "FATAL")
TERMINAL_STATUSES = frozenset({"DONE", "CANCELLED", "FATAL"})


@dataclass(frozen=True)
class Barcode:
    external_product_id: str
    external_product_id_type: str

    def to_wire(self) -> dict[str, str]:
        return {
            "external_product_id": self.external_product_id,
            "external_product_id_type": self.external_product_id_type,
        }


@dataclass(frozen=True)
class CatalogItem:
    item_sku: str
    external_product_id: str
    item_name: str
    store_id: str
    external_product_id_type: str | None = None
    additional_barcodes: Sequence[Barcode] = field(default_factory=tuple)
    standard_price: Decimal | None = None
    brand_name: str | None = None
    product_tax_code: str | None = None
    product_category: str | None = None
    product_subcategory: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """Attributes are strings on the wire (a price is ``"9.99"``); unset ones are omitted."""
        wire: dict[str, Any] = {
            "item_sku": self.item_sku,
            "external_product_id": self.external_product_id,
            "item_name": self.item_name,
            "store_id": self.store_id,
        }
        optional = {
            "external_product_id_type": self.external_product_id_type,
            "brand_name": self.brand_name,
            "product_tax_code": self.product_tax_code,
            "product_category": self.product_category,
            "product_subcategory": self.product_subcategory,
        }
        wire.update({k: v for k, v in optional.items() if v})
        if self.standard_price is not None:
            wire["standard_price"] = f"{two_places(self.standard_price):.2f}"
        if self.additional_barcodes:
            wire["additional_external_product_information"] = [
                b.to_wire() for b in self.additional_barcodes
            ]
        return wire


@dataclass(frozen=True)
class UploadCatalogResult:
    ingestion_id: str


@dataclass(frozen=True)
class CatalogUploadStatus:
    processing_status: str
    report_download_link: str | None

    @property
    def is_terminal(self) -> bool:
        return self.processing_status in TERMINAL_STATUSES


class CatalogClient:
    """Every call first takes a token from the shared 10-per-second limiter."""

    def __init__(
        self, transport: AmazonTransport | None = None, limiter: RateLimiter | None = None
    ) -> None:
        self.transport = transport or AmazonTransport("catalog")
        self.limiter = limiter or catalog_limiter()

    def _post(self, **kwargs) -> AmazonResponse:
        self.limiter.acquire()
        return self.transport.post(**kwargs)

    def upload_catalog(self, items: Sequence[CatalogItem]) -> UploadCatalogResult:
        if not 1 <= len(items) <= MAX_ITEMS_PER_REQUEST:
            raise ValueError(f"an upload holds 1..{MAX_ITEMS_PER_REQUEST} items, not {len(items)}")
        store_ids = sorted({i.store_id for i in items})
        response = self._post(
            operation="UploadCatalog",
            path="/v1/catalog/upload",
            payload={"catalogItems": [i.to_wire() for i in items]},
            retry_safe=True,
            store_id=",".join(store_ids)[:255],
        )
        return UploadCatalogResult(require(response.data, "ingestionId", "UploadCatalog"))

    def get_catalog_upload_status(self, ingestion_id: str) -> CatalogUploadStatus:
        response = self._post(
            operation="GetCatalogUploadStatus",
            path="/v1/catalog/getCatalogUploadStatus",
            payload={"ingestionId": ingestion_id},
            retry_safe=True,
        )
        status = require(response.data, "processingStatus", "GetCatalogUploadStatus")
        return CatalogUploadStatus(
            processing_status=str(status),
            report_download_link=response.data.get("reportDownloadLink") or None,
        )

    def archive_catalog(
        self, *, item_skus: Sequence[str], all_applicable_stores: Sequence[str]
    ) -> UploadCatalogResult:
        """Archive SKUs in *every* store of the retailer: ``all_applicable_stores`` must list
        all of them; Amazon refuses a partial list."""
        if not 1 <= len(item_skus) <= MAX_ITEMS_PER_REQUEST:
            raise ValueError(f"an archive holds 1..{MAX_ITEMS_PER_REQUEST} SKUs")
        response = self._post(
            operation="ArchiveCatalog",
            path="/v1/catalog/archive",
            payload={
                "itemSkus": list(item_skus),
                "allApplicableStores": list(all_applicable_stores),
            },
            retry_safe=True,
        )
        return UploadCatalogResult(require(response.data, "ingestionId", "ArchiveCatalog"))


def client() -> CatalogClient:
    return CatalogClient()
