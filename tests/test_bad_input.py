"""Hostile input on console forms and exports: formula cells, non-finite money, open redirects."""

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Item
from catalog.services import catalog_export_rows, catalog_import_request, catalog_import_run
from jwo_console.csvsafe import csv_cell, csv_cell_restore
from jwo_console.forms import parse_money
from orders.models import Order, ShoppingTrip
from tests.factories import ItemFactory, JwoStoreMappingFactory, OrderFactory, StoreFactory, entitle

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example","click")'


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize("cell", [EVIL, "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_a_spreadsheet_would_run_is_written_as_text_and_reads_back(cell):
    assert csv_cell(cell) == "'" + cell
    assert csv_cell_restore(csv_cell(cell)) == cell
    assert csv_cell("Plain name") == "Plain name"
    assert csv_cell_restore("'quoted on purpose") == "'quoted on purpose"


def test_the_orders_export_neutralises_formulas_and_says_utf8(staff_client):
    mapping = JwoStoreMappingFactory(store__name="Arena — Pittsburgh")
    order = OrderFactory(mapping=mapping, total="4.00")
    ShoppingTrip.objects.filter(pk=order.trip_id).update(amazon_shopper_id=EVIL)
    response = staff_client.get(reverse("payments:orders-export"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, row = _csv(response)
    assert row[header.index("Shopper")] == "'" + EVIL
    assert row[header.index("Store")] == "Arena — Pittsburgh"  # the em dash survives
    assert row[header.index("Total")] == "4.00"


def test_the_catalog_export_neutralises_formulas_and_imports_back_unchanged(merchant_client):
    store = StoreFactory(code="north")
    item = ItemFactory(sku="EVIL-1", name="=1+2 Cola", brand="@brand")
    entitle(store, item, price="2.50")
    response = merchant_client.get(reverse("catalog:export"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, row = _csv(response)
    assert row[header.index("name")] == "'=1+2 Cola"
    assert row[header.index("brand")] == "'@brand"
    # the export, imported again, changes nothing
    text = "".join(catalog_export_rows(merchant=store.merchant)).encode()
    Item.objects.filter(pk=item.pk).update(name="changed", brand="changed")
    upload = SimpleUploadedFile("catalog.csv", text, content_type="text/csv")
    job = catalog_import_request(merchant=store.merchant, upload=upload, actor=None)
    job = catalog_import_run(job=job)
    assert job.rows_failed == 0, job.row_errors
    item.refresh_from_db()
    assert (item.name, item.brand) == ("=1+2 Cola", "@brand")


@pytest.mark.parametrize(
    "typed", ["NaN", "nan", "Infinity", "-Infinity", "sNaN", "1e999", "1E2", "0x10", "4,99", ""]
)
def test_money_inputs_refuse_non_finite_values_and_exponents(typed):
    with pytest.raises(ValidationError):
        parse_money(typed)


@pytest.mark.parametrize("typed,value", [("4.99", "4.99"), (" 12 ", "12"), (".5", "0.5")])
def test_money_inputs_take_plain_digits(typed, value):
    assert parse_money(typed) == Decimal(value)


@pytest.mark.parametrize("typed", ["NaN", "Infinity", "sNaN", "1e999", "-0e5"])
def test_the_refund_form_answers_a_form_error_for_non_finite_amounts(merchant_client, typed):
    order = OrderFactory(mapping=JwoStoreMappingFactory(), total="5.00", status="COMPLETED")
    Order.objects.filter(pk=order.pk).update(captured_amount=Decimal("5.00"))
    response = merchant_client.post(
        reverse("payments:order-refund", args=[order.pk]),
        {"amount": typed, "reason_code": "OTHER"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Enter the amount to refund in digits, e.g. 4.99." in response.content.decode()
    assert not order.refunds.exists()


def test_promotion_and_mapping_amounts_refuse_nan(merchant_client):
    response = merchant_client.post(
        reverse("orders:promotion-new"),
        {
            "name": "x",
            "kind": "AMOUNT_OFF",
            "sku": "A",
            "amount": "NaN",
            "buy_qty": "",
            "get_qty": "",
        },
    )
    assert response.status_code == 200
    assert "Enter an amount in digits, e.g. 4.99." in response.context["form"].errors["amount"]
    mapping = JwoStoreMappingFactory()
    edit = reverse("stores:jwo-mapping-edit", args=[mapping.pk])
    form = merchant_client.get(edit).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({"web_register": mapping.web_register_id, "preauth_amount": "Infinity"})
    response = merchant_client.post(edit, data)
    assert response.status_code in (200, 400)
    assert "Enter an amount in digits" in str(response.context["form"].errors["preauth_amount"])


@pytest.mark.parametrize(
    "evil", ["https://evil.example/", "//evil.example/", "http:\\\\evil.example", "javascript:x"]
)
def test_next_never_leaves_the_console(merchant_client, evil):
    store = StoreFactory()  # not mapped: the sync is refused and the user sent back
    response = merchant_client.post(
        reverse("catalog:sync-request"), {"store": store.pk, "next": evil}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:items")
    order = OrderFactory(mapping=JwoStoreMappingFactory(), total="5.00", status="COMPLETED")
    response = merchant_client.post(
        reverse("payments:order-retry", args=[order.pk]), {"next": evil}
    )
    assert response["Location"] == reverse("payments:order", args=[order.pk])


def test_next_within_the_console_is_followed(merchant_client):
    store = StoreFactory()
    back = reverse("catalog:items") + "?store=1"
    response = merchant_client.post(
        reverse("catalog:sync-request"), {"store": store.pk, "next": back}
    )
    assert response["Location"] == back
