"""Every model of the project has a factory, and each factory saves a valid row."""

import pytest
from django.apps import apps
from factory.django import DjangoModelFactory

from tests import factories

PROJECT_MODELS = [
    model for model in apps.get_models() if not model.__module__.startswith("django.")
]


def _factories() -> dict:
    found = {}
    for value in vars(factories).values():
        is_factory = isinstance(value, type) and issubclass(value, DjangoModelFactory)
        if is_factory and value._meta.model is not None:
            found[value._meta.get_model_class()] = value
    return found


def test_every_model_has_a_factory():
    missing = sorted(m._meta.label for m in PROJECT_MODELS if m not in _factories())
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "factory_class",
    sorted(_factories().values(), key=lambda f: f.__name__),
    ids=lambda f: f.__name__,
)
def test_factory_saves_rows_the_database_accepts(factory_class):
    # Twice: sequences keep unique columns apart (get-or-create factories give the same row).
    first, second = factory_class(), factory_class()
    model = factory_class._meta.get_model_class()
    pks = {first.pk, second.pk}
    assert model.objects.filter(pk__in=pks).count() == len(pks)
    if not factory_class._meta.django_get_or_create:
        assert len(pks) == 2


@pytest.mark.django_db
def test_order_factory_makes_a_priced_order_like_pricing_would():
    from datetime import timedelta
    from decimal import Decimal

    from orders.choices import NextAction, OrderStatus

    mapping = factories.JwoStoreMappingFactory()
    order = factories.OrderFactory(mapping=mapping, total="9.00", lines=3, age=timedelta(hours=2))
    assert order.status == OrderStatus.PRICED and order.next_action == NextAction.PAY
    assert order.store == mapping.store and order.trip.jwo_store_id == mapping.jwo_store_id
    assert [line.total for line in order.lines.order_by("line_no")] == [Decimal("3.00")] * 3
    assert order.purchase_id == f"JWO{order.trip.pk:010d}"
    from django.utils import timezone

    assert timedelta(hours=2) <= timezone.now() - order.created_at < timedelta(hours=2, minutes=1)
    done = factories.OrderFactory(status=OrderStatus.COMPLETED)
    assert done.next_action == "" and done.next_action_at is None
