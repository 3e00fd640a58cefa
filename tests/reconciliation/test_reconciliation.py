"""Reconciliation of a store's day: every mismatch kind, the store's time zone, neighbouring
days, the kept result, the daily beat run, the page, its drill-down and the CSV export."""

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest

from reconciliation.models import MismatchKind, ReconciliationRun, RunStatus, RunTrigger
from reconciliation.services import reconciliation_daily, reconciliation_run
from tests.factories import JwoStoreMappingFactory, merchant_admin, staff_user
from tests.feeds.helpers import load, our_order, row

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 30)
NOON = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 12:00 in New York
WHEN = "2026-11-30T17:00:30Z"


@pytest.fixture
def store():
    return JwoStoreMappingFactory(jwo_store_id="jwo-a", store__time_zone="America/New_York").store


def run(store):
    return reconciliation_run(store=store, day=DAY, trigger=RunTrigger.MANUAL)


def kinds(result):
    return sorted((i.kind, i.trip_id, i.ours, i.amazons) for i in result.items.all())


def test_matching_books_are_reconciled(store):
    our_order(store, "t1", ended_at=NOON)
    our_order(store, "t2", ended_at=NOON, status="ERROR", captured="0")
    our_order(store, "t3", ended_at=NOON, total="0", captured="0")
    load(
        [row("t1", when=WHEN),
         row("t2", when=WHEN, status="DECLINED", captured="0.00"),
         row("t3", when=WHEN, status="CANCELLED", total="0.00", captured="0.00", sku="", line="")],
        "f1",
    )  # fmt: skip
    result = run(store)
    assert result.status == RunStatus.DONE and (result.ours, result.amazons) == (3, 3)
    assert result.matched == 3 and result.mismatches == 0 and kinds(result) == []


def test_every_mismatch_kind(store):
    our_order(store, "only-ours", ended_at=NOON)
    our_order(store, "total", ended_at=NOON, total="10.00")
    our_order(store, "captured", ended_at=NOON, captured="5.00")
    our_order(store, "refunded", ended_at=NOON, refunded="2.00")
    our_order(store, "status", ended_at=NOON, status="ERROR", captured="0")
    load(
        [row("only-amazon", when=WHEN),
         row("total", when=WHEN, total="11.00", captured="10.00"),
         row("captured", when=WHEN),
         row("refunded", when=WHEN, refunded="0.00"),
         row("status", when=WHEN, status="CAPTURED", captured="0.00", total="9.99")],
        "f1",
    )  # fmt: skip
    result = run(store)
    assert kinds(result) == [
        (MismatchKind.CAPTURED, "captured", "5.00", "9.99"),
        (MismatchKind.MISSING_AT_AMAZON, "only-ours", "9.99", ""),
        (MismatchKind.MISSING_HERE, "only-amazon", "", "9.99"),
        (MismatchKind.REFUNDED, "refunded", "2.00", "0.00"),
        (MismatchKind.STATUS, "status", "ERROR", "CAPTURED"),
        (MismatchKind.TOTAL, "total", "10.00", "11.00"),
    ]
    assert (result.missing_at_amazon, result.missing_here, result.total_mismatch) == (1, 1, 1)
    assert (result.captured_mismatch, result.refunded_mismatch, result.status_mismatch) == (1, 1, 1)
    assert result.matched == 0


def test_the_day_is_the_stores_day_and_neighbouring_days_are_compared(store):
    # 03:30 UTC on Dec 1 is 22:30 on Nov 30 in New York: Nov 30's order.
    our_order(store, "late-evening", ended_at=datetime(2026, 12, 1, 3, 30, tzinfo=UTC))
    # Amazon dated this one a minute after midnight (Dec 1): compared, not missing.
    our_order(store, "midnight", ended_at=datetime(2026, 12, 1, 4, 59, 30, tzinfo=UTC))
    our_order(store, "next-day", ended_at=datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    load(
        [row("late-evening", when="2026-12-01T03:30:10Z"),
         row("midnight", when="2026-12-01T05:00:30Z"),
         row("next-day", when="2026-12-01T06:00:10Z")],
        "f1",
    )  # fmt: skip
    result = run(store)
    assert result.ours == 2 and result.matched == 2 and result.mismatches == 0


def test_results_are_kept_and_the_latest_run_is_the_days_state(store, client):
    our_order(store, "t1", ended_at=NOON)
    first = run(store)
    assert first.missing_at_amazon == 1
    load([row("t1", when=WHEN)], "f1")
    second = run(store)
    assert second.mismatches == 0
    assert ReconciliationRun.objects.filter(store=store, day=DAY).count() == 2

    client.force_login(staff_user(username="staff-rec"))
    page = client.get("/financial/reconciliation/", {"from": "2026-11-29", "to": "2026-11-30"})
    assert page.status_code == 200
    assert b"Reconciled" in page.content and b"Not reconciled" in page.content  # Nov 29
    assert client.post("/financial/reconciliation/run/", {"store": store.pk}).status_code == 403


def test_a_mismatch_raises_an_alert_per_store_and_day_resolved_by_a_clean_run(
    store, django_capture_on_commit_callbacks
):
    from alerts.models import Alert

    our_order(store, "t1", ended_at=NOON)
    with django_capture_on_commit_callbacks(execute=True):
        run(store)
        run(store)  # the same day again: the open alert is bumped, not doubled
    alert = Alert.objects.get()
    assert alert.kind == "RECONCILIATION_MISMATCH" and alert.store == store
    assert alert.key == f"reconciliation:{store.pk}:2026-11-30" and alert.status == "OPEN"
    assert "missing at amazon 1" in alert.detail
    load([row("t1", when=WHEN)], "f1")
    run(store)
    alert.refresh_from_db()
    assert alert.status == "RESOLVED" and Alert.objects.count() == 1


def test_the_daily_run_reconciles_yesterday_once_an_hour_after_it_closed(store):
    our_order(store, "t1", ended_at=NOON)
    too_early = datetime(2026, 12, 1, 5, 30, tzinfo=UTC)  # 00:30 in New York
    assert reconciliation_daily(now=too_early) == 0
    later = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert reconciliation_daily(now=later) == 1
    result = ReconciliationRun.objects.get()
    assert result.day == DAY and result.trigger == RunTrigger.SCHEDULE and result.day_closed
    assert reconciliation_daily(now=later) == 0  # kept: not run twice


def test_merchant_runs_a_day_on_demand_and_drills_down(store, client):
    order = our_order(store, "t1", ended_at=NOON, total="10.00")
    load([row("t1", when=WHEN, total="11.00", captured="10.00", sku="A")], "f1")
    client.force_login(merchant_admin(username="merchant-rec"))
    response = client.post(
        "/financial/reconciliation/run/", {"store": store.pk, "day": "2026-11-30"}
    )
    assert response.status_code == 302
    result = ReconciliationRun.objects.get()
    assert result.requested_by.username == "merchant-rec" and result.total_mismatch == 1
    page = client.get(f"/financial/reconciliation/runs/{result.pk}/", {"kind": "TOTAL"})
    assert page.status_code == 200 and b"t1" in page.content
    assert f"/financial/orders/{order.pk}/".encode() in page.content
    item = result.items.get()
    drill = client.get(f"/financial/reconciliation/items/{item.pk}/", follow=True)
    assert drill.status_code == 200
    assert b"f1" in drill.content and b"Every file row naming this trip" in drill.content
    bad = client.post("/financial/reconciliation/run/", {"store": store.pk, "day": "30/11"})
    assert bad.status_code == 400 and ReconciliationRun.objects.count() == 1
    assert "day: use a date such as 2026-12-01." in bad.content.decode()
    for store_value in ("abc", "", "99999"):
        response = client.post(
            "/financial/reconciliation/run/", {"store": store_value, "day": "2026-11-30"}
        )
        assert response.status_code == 400
        assert "store: choose a" in response.content.decode()
    assert ReconciliationRun.objects.count() == 1


def test_csv_export_is_utf8_and_neutralises_formulas(store, client):
    our_order(store, "=HYPERLINK(1)", ended_at=NOON)
    our_order(store, "café-trip", ended_at=NOON)
    result = run(store)
    client.force_login(staff_user(username="staff-csv"))
    response = client.get(f"/financial/reconciliation/runs/{result.pk}/export.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Store", "Day", "Mismatch", "Trip id"]
    trips = {r[3] for r in rows[1:]}
    assert trips == {"'=HYPERLINK(1)", "café-trip"}


def test_a_day_that_has_not_started_in_the_stores_zone_is_refused_by_the_service(store):
    from reconciliation.services import DayNotStarted, reconciliation_day_check

    evening = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 23:00 on Nov 30 in New York
    reconciliation_day_check(store=store, day=DAY, now=evening)  # today there: accepted
    with pytest.raises(DayNotStarted, match="2026-12-01 has not started yet"):
        reconciliation_day_check(store=store, day=date(2026, 12, 1), now=evening)
    with pytest.raises(DayNotStarted):
        reconciliation_run(store=store, day=date(2099, 1, 1), trigger=RunTrigger.MANUAL)
    assert not ReconciliationRun.objects.exists()


def test_days_to_come_are_neither_listed_nor_accepted(client):
    from datetime import timedelta

    from reconciliation.services import store_today

    # 25 hours apart: the eastern store's today is always a day the western one has not begun.
    east = JwoStoreMappingFactory(jwo_store_id="jwo-east", store__time_zone="Pacific/Kiritimati")
    west = JwoStoreMappingFactory(jwo_store_id="jwo-west", store__time_zone="Pacific/Pago_Pago")
    east_today, west_today = store_today(store=east.store), store_today(store=west.store)
    assert east_today > west_today
    client.force_login(merchant_admin(username="merchant-future"))

    page = client.get("/financial/reconciliation/", {"from": "2099-01-01", "to": "2099-12-31"})
    html = page.content.decode()
    listed = {(m[0], date.fromisoformat(m[1])) for m in re.findall(
        r'<tr data-store="([^"]+)" data-day="([^"]+)"', html)}  # fmt: skip
    assert (east.store.code, east_today) in listed
    assert (west.store.code, west_today) in listed
    assert all(day <= (east_today if code == east.store.code else west_today)
               for code, day in listed)  # fmt: skip
    assert f'max="{east_today.isoformat()}"' in html

    for day in (west_today + timedelta(days=1), date(2099, 1, 1)):
        refused = client.post(
            "/financial/reconciliation/run/", {"store": west.store.pk, "day": day.isoformat()}
        )
        assert refused.status_code == 400
        assert f"{day.isoformat()} has not started yet at {west.store.name}" in (
            refused.content.decode()
        )
    assert not ReconciliationRun.objects.exists()
    accepted = client.post(
        "/financial/reconciliation/run/",
        {"store": east.store.pk, "day": east_today.isoformat()},
    )
    assert accepted.status_code == 302
    assert ReconciliationRun.objects.get().day == east_today
