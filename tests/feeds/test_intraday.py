"""Intra-day files: every idempotency case of the issue, bad rows, unknown columns, mapping."""

from decimal import Decimal

import pytest

from feeds.intraday import intraday_file_load, s3_objects_of
from feeds.models import AmazonOrder, AmazonOrderLine, FileStatus, IntradayColumn, IntradayFile
from tests.factories import JwoStoreMappingFactory

from .helpers import csv_text, load, row

pytestmark = pytest.mark.django_db


@pytest.fixture
def mapping():
    return JwoStoreMappingFactory(jwo_store_id="jwo-a")


def test_a_file_loads_one_row_per_order_and_line(mapping):
    file = load([row("t1", line="1", sku="A"), row("t1", line="2", sku="B"), row("t2")], "f1")
    assert file.status == FileStatus.LOADED and (file.rows_total, file.rows_bad) == (3, 0)
    t1 = AmazonOrder.objects.get(trip_id="t1")
    assert t1.store == mapping.store and t1.total == Decimal("9.99") and t1.status == "CAPTURED"
    assert sorted(t1.lines.values_list("sku", flat=True)) == ["A", "B"]
    # the column the mapping does not know is kept on the row, and listed on the file
    assert t1.lines.get(sku="A").extra == {"settlement_batch": "B1"}
    assert file.unknown_columns == ["settlement_batch"]


def test_the_same_file_twice_changes_nothing(mapping):
    rows = [row("t1", sku="A"), row("t1", line="2", sku="B")]
    first = load(rows, "f1", etag="e1")
    intraday_file_load(file=first)  # loaded again
    load(rows, "f1-again", etag="e1", minutes=1)  # the same content under another key
    assert AmazonOrder.objects.count() == 1 and AmazonOrderLine.objects.count() == 2


def test_one_order_in_several_files_the_latest_file_wins(mapping):
    load([row("t1", status="AUTHORIZED", captured="0.00")], "f1", minutes=0)
    load([row("t1", status="CAPTURED", captured="9.99")], "f2", minutes=15)
    order = AmazonOrder.objects.get(trip_id="t1")
    assert (order.status, order.captured) == ("CAPTURED", Decimal("9.99"))
    # an older file arriving late does not overwrite the newer one
    load([row("t1", status="AUTHORIZED", captured="0.00")], "f0-late", minutes=-15)
    order.refresh_from_db()
    assert (order.status, order.captured) == ("CAPTURED", Decimal("9.99"))
    assert AmazonOrder.objects.count() == 1 and AmazonOrderLine.objects.count() == 1


def test_an_orders_lines_split_across_files_end_in_one_order(mapping):
    load([row("t1", line="1", sku="A")], "f1", minutes=0)
    load([row("t1", line="2", sku="B", amount="2.00")], "f2", minutes=15)
    order = AmazonOrder.objects.get(trip_id="t1")
    assert sorted(order.lines.values_list("line_key", "sku")) == [("1", "A"), ("2", "B")]


def test_a_header_only_row_then_its_line_in_the_next_file(mapping):
    load([row("t1", line="", sku="", qty="", amount="")], "f1", minutes=0)
    load([row("t1", line="1", sku="A")], "f2", minutes=15)
    order = AmazonOrder.objects.get(trip_id="t1")
    assert list(order.lines.values_list("sku", flat=True)) == ["A"]


def test_a_late_order_from_an_earlier_day_keeps_its_own_day(mapping):
    load([row("t-old", when="2026-11-28T10:00:00Z"), row("t-new")], "f1")
    old = AmazonOrder.objects.get(trip_id="t-old")
    assert old.ordered_at.date().isoformat() == "2026-11-28"


def test_bad_rows_are_reported_by_file_and_row_and_the_rest_load(mapping):
    rows = [
        row("t1"),
        row("t2", total="12,3x"),
        row("", when=""),
        row("t4", store="jwo-unknown"),
        row("t5", when="yesterday"),
        row("t6", currency="DOLLARS"),
    ]
    file = load(rows, "f1")
    assert file.status == FileStatus.LOADED_WITH_ERRORS
    assert (file.rows_total, file.rows_loaded, file.rows_bad) == (6, 1, 5)
    errors = {e.row_no: e.message for e in file.row_errors.all()}
    assert "order_total" in errors[3]
    assert "trip_id" in errors[4] and "ordered_at" in errors[4]
    assert "not mapped" in errors[5]
    assert "not a time" in errors[6]
    assert "currency" in errors[7]
    assert list(AmazonOrder.objects.values_list("trip_id", flat=True)) == ["t1"]


def test_a_row_with_too_many_cells_is_a_bad_row(mapping):
    content = (
        csv_text([row("t1")])
        + "t2,jwo-a,2026-11-30T15:00:00Z,CAPTURED,USD,1,1,0,1,A,1,1,0,B,EXTRA\n"
    )
    file = load([], "f1", content=content)
    assert file.rows_bad == 1 and "cells" in file.row_errors.get().message


def test_the_column_mapping_from_the_admin(mapping):
    headers = ["Trip", "Store", "When", "Total", "Sku"]
    content = "Trip,Store,When,Total,Sku\nt1,jwo-a,1764514800000,5.00,A\n"
    file = load([], "f1", content=content)
    assert file.status == FileStatus.FAILED and "trip_id" in file.error
    for header, field in zip(
        headers, ["trip_id", "store_id", "ordered_at", "order_total", "sku"], strict=True
    ):
        IntradayColumn.objects.create(header=header, field=field)
    intraday_file_load(file=IntradayFile.objects.get(pk=file.pk))
    order = AmazonOrder.objects.get(trip_id="t1")
    assert order.total == Decimal("5.00") and order.ordered_at.year == 2025


def test_s3_event_records_are_read_url_decoded_and_only_object_created():
    message = {
        "Records": [
            {"eventName": "ObjectCreated:CompleteMultipartUpload",
             "s3": {"bucket": {"name": "b"}, "object": {"key": "intraday/a+b%3D1.csv"}}},
            {"eventName": "ObjectRemoved:Delete",
             "s3": {"bucket": {"name": "b"}, "object": {"key": "gone.csv"}}},
            "junk",
        ]
    }  # fmt: skip
    assert s3_objects_of(message) == [("b", "intraday/a b=1.csv")]
    assert s3_objects_of({"Event": "s3:TestEvent"}) == []
