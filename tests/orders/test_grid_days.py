"""The order grid's day filters are days in the store's zone, as its rows and the home page's
links are."""

from datetime import UTC, datetime

import pytest

from orders.filters import OrderFilterSet
from orders.models import Order
from tests.factories import JwoStoreMappingFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_created_from_and_to_are_the_stores_days():
    store = JwoStoreMappingFactory(store__time_zone="America/New_York").store
    late_evening = OrderFactory(mapping=store.jwo_mapping, total="1.00")  # Nov 30, 22:00 EST
    next_morning = OrderFactory(mapping=store.jwo_mapping, total="2.00")  # Dec 1, 09:00 EST
    Order.objects.filter(pk=late_evening.pk).update(created_at=datetime(2026, 12, 1, 3, tzinfo=UTC))
    Order.objects.filter(pk=next_morning.pk).update(
        created_at=datetime(2026, 12, 1, 14, tzinfo=UTC)
    )

    def found(**params):
        data = {"store": store.pk, **params}
        return set(OrderFilterSet(data, queryset=Order.objects.all()).qs)

    assert found(created_from="2026-12-01") == {next_morning}
    assert found(created_to="2026-11-30") == {late_evening}
    assert found(created_from="2026-11-30", created_to="2026-12-01") == {late_evening, next_morning}


def test_across_all_stores_each_order_is_on_its_own_stores_day():
    """No store chosen: a Los Angeles order at 17:59 PST on Dec 1 (01:59 UTC Dec 2) is on
    Dec 1, and a New York order at 19:06 EST on Nov 30 (00:06 UTC Dec 1) on Nov 30."""
    west = JwoStoreMappingFactory(store__time_zone="America/Los_Angeles")
    east = JwoStoreMappingFactory(store__time_zone="America/New_York")
    la_evening = OrderFactory(mapping=west, total="1.00")
    ny_evening = OrderFactory(mapping=east, total="2.00")
    Order.objects.filter(pk=la_evening.pk).update(
        created_at=datetime(2026, 12, 2, 1, 59, tzinfo=UTC)
    )
    Order.objects.filter(pk=ny_evening.pk).update(
        created_at=datetime(2026, 12, 1, 0, 6, tzinfo=UTC)
    )

    def found(**params):
        return set(OrderFilterSet(params, queryset=Order.objects.all()).qs)

    assert found(created_from="2026-12-01", created_to="2026-12-01") == {la_evening}
    assert found(created_from="2026-11-30", created_to="2026-11-30") == {ny_evening}
    assert found(created_from="2026-12-02") == set()
