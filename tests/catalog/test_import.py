import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.choices import ImportStatus
from catalog.models import Item, StoreItem
from catalog.services import CSV_COLUMNS, catalog_export_rows, catalog_import_request
from tests.factories import MerchantFactory, StoreFactory, upc

pytestmark = pytest.mark.django_db(transaction=True)  # the import runs after commit


def csv_file(rows: list[dict], columns=CSV_COLUMNS) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile("catalog.csv", out.getvalue().encode(), content_type="text/csv")


def row(**kw) -> dict:
    base = {
        "sku": "SKU-1",
        "name": "Acme Water 12oz",
        "barcode": "012345678905",
        "barcode_type": "UPC",
        "store": "north",
        "price": "1.99",
        "active": "yes",
    }
    base.update(kw)
    return base


@pytest.fixture
def merchant():
    merchant = MerchantFactory()
    StoreFactory(merchant=merchant, code="north")
    StoreFactory(merchant=merchant, code="south")
    return merchant


def test_good_rows_are_imported_and_bad_rows_reported_one_by_one(merchant):
    rows = [
        row(),
        row(
            sku="SKU-2",
            barcode=upc(2),
            store="south",
            price="2.50",
            extra_barcodes="4006381333931:EAN",
        ),
        row(sku="SKU-3", price="abc"),
        row(sku="SKU-4", store="elsewhere"),
        row(sku="", name=""),
        row(sku="SKU-5", barcode_type="QR"),
        row(sku="SKU-6", barcode="012345678901"),  # imported, but flagged: wrong check digit
    ]
    job = catalog_import_request(merchant=merchant, upload=csv_file(rows), actor=None)
    job.refresh_from_db()
    assert (job.status, job.rows_read, job.rows_imported, job.rows_failed) == (
        ImportStatus.COMPLETED,
        7,
        3,
        4,
    )
    errors = {e["row"]: e for e in job.row_errors}
    assert errors[4]["errors"] == ["price 'abc' is not a number"]
    assert errors[5]["errors"] == ["store 'elsewhere' is not a store of this merchant"]
    assert errors[6]["errors"] == ["name is required", "sku is required"]
    assert "barcode_type must be one of" in errors[7]["errors"][0]
    assert set(Item.objects.values_list("sku", flat=True)) == {"SKU-1", "SKU-2", "SKU-6"}
    two = Item.objects.get(sku="SKU-2")
    assert two.extra_barcodes == [{"id": "4006381333931", "type": "EAN"}]
    assert StoreItem.objects.get(item=two).price == Decimal("2.50")
    assert "wrong check digit" in Item.objects.get(sku="SKU-6").eligibility_error
    assert Item.objects.get(sku="SKU-1").barcode == "012345678905"  # leading zero kept
    assert all(len(h) == 40 for h in StoreItem.objects.values_list("content_hash", flat=True))


def test_import_upserts_by_sku_and_one_item_may_be_sold_in_several_stores(merchant):
    catalog_import_request(
        merchant=merchant, upload=csv_file([row(), row(store="south")]), actor=None
    )
    first_hash = StoreItem.objects.get(store__code="north").content_hash
    lime = "Acme Water Lime 12oz"
    again = [row(name=lime, price="2.09"), row(name=lime, store="south", active="no")]
    job = catalog_import_request(merchant=merchant, upload=csv_file(again), actor=None)
    job.refresh_from_db()
    assert job.rows_imported == 2 and Item.objects.count() == 1
    north = StoreItem.objects.get(store__code="north")
    assert (north.price, north.item.name) == (Decimal("2.09"), "Acme Water Lime 12oz")
    assert north.content_hash != first_hash
    assert StoreItem.objects.get(store__code="south").is_active is False


def test_a_file_without_the_required_columns_fails_with_a_clear_message(merchant):
    job = catalog_import_request(
        merchant=merchant, upload=csv_file([{"sku": "x"}], columns=["sku"]), actor=None
    )
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.error.startswith(
        "The file lacks the column(s) barcode, barcode_type, name, price, store"
    )


def test_export_round_trips_through_import(merchant):
    rows = [
        row(),
        row(sku="SKU-2", barcode=upc(2), extra_barcodes="4006381333931:EAN", store="south"),
    ]
    catalog_import_request(merchant=merchant, upload=csv_file(rows), actor=None)
    exported = "".join(catalog_export_rows(merchant=merchant))
    parsed = list(csv.DictReader(io.StringIO(exported)))
    assert [r["sku"] for r in parsed] == ["SKU-1", "SKU-2"]
    assert parsed[1]["extra_barcodes"] == "4006381333931:EAN"
    assert parsed[0]["barcode"] == "012345678905" and parsed[0]["price"] == "1.99"
    job = catalog_import_request(
        merchant=merchant, upload=SimpleUploadedFile("again.csv", exported.encode()), actor=None
    )
    job.refresh_from_db()
    assert (job.rows_imported, job.rows_failed, Item.objects.count()) == (2, 0, 2)
