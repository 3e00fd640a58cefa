"""The home page answers "what needs me?": each tile's number, and the grid it links to shows
the same orders."""

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from orders.models import Order
from payments.models import Refund
from reconciliation.models import RunTrigger
from reconciliation.services import reconciliation_run
from tests.factories import JwoStoreMappingFactory, UserFactory, staff_user
from tests.feeds.helpers import our_order

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store():
    return JwoStoreMappingFactory(jwo_store_id="jwo-a", store__time_zone="UTC").store


def _link(html: str, tile: str, text: str) -> str:
    section = re.search(rf'id="tile-{tile}".*?</section>', html, re.S).group(0)
    match = re.search(rf'href="([^"]+)"[^>]*>(?:<span class="n">)?{re.escape(text)}\b', section)
    assert match, section
    return match.group(1).replace("&amp;", "&")


def _grid_count(client, url: str) -> int:
    page = client.get(url)
    assert page.status_code == 200
    return len(page.context["page"].object_list)


def test_every_number_links_to_the_grid_behind_it(client, store):
    now = timezone.now()
    for n in range(3):
        our_order(store, f"paid-{n}", ended_at=now)
    for n in range(2):
        order = our_order(store, f"err-{n}", ended_at=now, status="ERROR", captured="0")
        # created 44 h ago: the 48 h retry window closes within 6 h
        Order.objects.filter(pk=order.pk).update(created_at=now - timedelta(hours=44))
    recovered = our_order(store, "recovered", ended_at=now)
    Order.objects.filter(pk=recovered.pk).update(retries=4)
    Refund.objects.create(
        order=recovered, refund_request_id="r" * 36, amount=Decimal("1.00"), currency="USD",
        reason_code="OTHER",
    )  # fmt: skip
    client.force_login(staff_user(username="staff-home"))
    html = client.get("/").content.decode()
    assert "What needs you" in html
    assert _grid_count(client, _link(html, "statuses", "4")) == 4  # COMPLETED today
    assert _grid_count(client, _link(html, "closing", "2")) == 2
    assert "retry_closes_within=6" in _link(html, "closing", "2")
    assert _grid_count(client, _link(html, "sales", "39.96 USD")) == 4
    assert 'aria-label="retry 4: 1 order"' in html
    bar = re.search(r'<a href="([^"]+)" aria-label="retry 4: 1 order"', html).group(1)
    assert _grid_count(client, bar.replace("&amp;", "&")) == 1
    assert '<a href="/financial/refunds/">1</a>' in html
    for slot in ("payment_review", "collected_short", "low_stock"):  # filled on merge
        assert pytest.importorskip("pathlib").Path(f"templates/home/_{slot}_tile.html").exists()


def test_periods_and_the_reconciliation_tile(client, store):
    old = our_order(store, "old", ended_at=timezone.now())
    Order.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=5))
    yesterday = timezone.now().date() - timedelta(days=1)
    y1 = our_order(store, "y1", ended_at=timezone.now() - timedelta(days=1))
    Order.objects.filter(pk=y1.pk).update(created_at=timezone.now() - timedelta(days=1))
    reconciliation_run(store=store, day=yesterday, trigger=RunTrigger.SCHEDULE)
    client.force_login(staff_user(username="staff-home2"))
    today = client.get("/").content.decode()
    week = client.get("/?period=7d").content.decode()
    assert "No paid JWO order yet" in today
    assert "19.98 USD" in week
    assert "1 mismatch" in today and "/financial/reconciliation/runs/" in today


def test_a_user_without_a_role_sees_where_to_ask(client, store):
    client.force_login(UserFactory(username="nobody"))
    page = client.get("/")
    assert page.status_code == 200 and b"no console role" in page.content


def test_the_rollup_gives_the_same_figures_as_counting_live(store):
    from datetime import UTC, datetime

    from dashboard.models import OrderStatsWatermark
    from dashboard.stats import HISTORY_DAYS, order_figures, order_stats_refresh

    now = datetime(2026, 12, 1, 15, 20, tzinfo=UTC)
    ages = [timedelta(minutes=5), timedelta(hours=3), timedelta(hours=30), timedelta(days=6)]
    for n, age in enumerate(ages * 3):
        status, captured = ("COMPLETED", None) if n % 3 else ("ERROR", "0")
        order = our_order(store, f"o-{n}", ended_at=now - age, status=status, captured=captured)
        Order.objects.filter(pk=order.pk).update(created_at=now - age, retries=n % 4)
    start = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
    live = order_figures(start=start, now=now).groups
    assert order_stats_refresh(hours=HISTORY_DAYS * 24, now=now) > 0
    assert OrderStatsWatermark.objects.get().until == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert order_figures(start=start, now=now).groups == live
    # Orders paid after the refresh: the recent ones at the next minute's refresh, the older
    # ones (here 6 days old) at the next hourly one.
    Order.objects.filter(status="ERROR").update(status="COMPLETED", captured_amount=Decimal("9.99"))
    order_stats_refresh(now=now + timedelta(minutes=1))

    def errors() -> int:
        groups = order_figures(start=start, now=now).groups
        return sum(b.orders for key, b in groups.items() if key[0] == "ERROR")

    assert errors() == 1
    order_stats_refresh(hours=HISTORY_DAYS * 24, now=now + timedelta(minutes=1))
    assert errors() == 0


def test_reviews_and_short_collections_are_counted_and_link_to_their_grid(client, store):
    now = timezone.now()
    review = our_order(store, "review-1", ended_at=now, status="ERROR", captured="0")
    Order.objects.filter(pk=review.pk).update(status="REVIEW")
    short = our_order(store, "short-1", ended_at=now)
    Order.objects.filter(pk=short.pk).update(store_credit_amount=Decimal("4.50"))
    our_order(store, "paid-whole", ended_at=now)
    client.force_login(staff_user(username="home-staff"))
    html = client.get("/").content.decode()
    assert _grid_count(client, _link(html, "review", "1")) == 1
    url = _link(html, "short", "4.50")
    assert [o.pk for o in client.get(url).context["page"].object_list] == [short.pk]


def test_the_day_starts_at_midnight_in_the_stores_zone(client):
    store = JwoStoreMappingFactory(jwo_store_id="jwo-ny", store__time_zone="America/New_York").store
    client.force_login(staff_user())
    html = client.get(f"/?store={store.pk}").content.decode()
    assert re.search(r"Since \w{3} \d{4}-\d{2}-\d{2} 00:00 \(America/New_York\)", html), html[:3000]


def test_across_stores_in_two_zones_each_number_counts_what_its_grid_shows(client):
    """All stores, one in New York and one in Tokyo: a store's "today" is its own day, as the
    grid's day filter reads it, so the number and the grid behind it agree whatever the hour."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dashboard.selectors import scope_for

    ny = JwoStoreMappingFactory(jwo_store_id="jwo-ny2", store__time_zone="America/New_York").store
    tokyo = JwoStoreMappingFactory(jwo_store_id="jwo-tk", store__time_zone="Asia/Tokyo").store
    scope = scope_for(period="today")
    now = timezone.now()
    # Orders at every hour of the last two days: some inside each store's day, some before.
    for store in (ny, tokyo):
        for hours in range(0, 48, 3):
            order = our_order(store, f"{store.pk}-{hours}", ended_at=now)
            Order.objects.filter(pk=order.pk).update(created_at=now - timedelta(hours=hours))
    client.force_login(staff_user(username="staff-zones"))
    html = client.get("/").content.decode()
    assert "in each store's own time zone" in html
    expected = sum(
        Order.objects.filter(
            store=store,
            status="COMPLETED",
            created_at__gte=datetime.combine(
                scope.first_day, datetime.min.time(), tzinfo=ZoneInfo(store.time_zone)
            ),
        ).count()
        for store in (ny, tokyo)
    )
    if expected:
        url = _link(html, "statuses", str(expected))
        assert _grid_count(client, url) == expected
