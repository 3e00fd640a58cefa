"""Trips and orders. ``OrderFactory`` replaces the old ``make_order`` helper: a priced order of
a mapped store (a new mapping unless ``mapping=`` is given), ``total`` spread over ``lines``
lines of water, ``age`` old (for the 48-hour rules), the trip id through ``trip__trip_id=``."""

import uuid
from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from orders.choices import NextAction, OrderStatus, PromotionKind

from .stores import JwoStoreMappingFactory, MerchantFactory, StoreFactory


def trip_id(*tokens: str) -> str:
    """A sandbox steering id: ``test-decline-preauth2000-<random>``."""
    return "-".join(["test", *tokens, uuid.uuid4().hex[:8]])


class ShoppingTripFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.ShoppingTrip"

    class Params:
        mapping = factory.SubFactory(JwoStoreMappingFactory)
        at = factory.LazyFunction(timezone.now)
        lines = 1

    store = factory.SelfAttribute("mapping.store")
    jwo_store_id = factory.SelfAttribute("mapping.jwo_store_id")
    trip_id = factory.LazyFunction(lambda: trip_id("ok"))
    started_at = factory.LazyAttribute(lambda o: o.at - timedelta(minutes=3))
    ended_at = factory.SelfAttribute("at")
    shopper = None
    entry_method = factory.LazyAttribute(lambda o: "APP" if o.shopper else "CARD")
    auth_events = factory.LazyFunction(list)
    cart_items = factory.LazyAttribute(
        lambda o: [{"id": "WATER", "quantity": {"value": "1.0", "unit": "each"}}] * o.lines
    )
    amazon_shopper_id = factory.LazyAttribute(lambda o: "" if o.shopper else "amzn-card-7")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.Order"
        skip_postgeneration_save = True

    class Params:
        mapping = factory.SubFactory(JwoStoreMappingFactory)
        lines = 1
        shopper = None
        age = timedelta(0)
        at = factory.LazyAttribute(lambda o: timezone.now() - o.age)
        priced = factory.LazyAttribute(lambda o: o.status == OrderStatus.PRICED)

    trip = factory.SubFactory(
        ShoppingTripFactory,
        mapping=factory.SelfAttribute("..mapping"),
        shopper=factory.SelfAttribute("..shopper"),
        at=factory.SelfAttribute("..at"),
        lines=factory.SelfAttribute("..lines"),
    )
    store = factory.SelfAttribute("mapping.store")
    delegation_mode = "ORDER"
    currency = "USD"
    status = OrderStatus.PRICED
    sub_total = factory.LazyAttribute(lambda o: Decimal(o.total))
    total = Decimal("10.00")  # a string is taken too (total="5.00")
    priced_at = factory.SelfAttribute("at")
    next_action = factory.LazyAttribute(lambda o: NextAction.PAY if o.priced else "")
    next_action_at = factory.LazyAttribute(lambda o: o.at if o.priced else None)

    @factory.post_generation
    def order_lines(obj, create, extracted, **kwargs):
        """Backdate the order, give it its purchase id and its lines, as pricing would have."""
        if not create:
            return
        from orders.models import Order, OrderLine
        from orders.services import purchase_id_for

        at, count = obj.trip.ended_at, len(obj.trip.cart_items)
        Order.objects.filter(pk=obj.pk).update(created_at=at, purchase_id=purchase_id_for(obj.trip))
        per_line = Decimal(obj.total) / count if count else Decimal("0")
        OrderLine.objects.bulk_create(
            OrderLine(
                order=obj, line_no=n, sku="WATER", name="Water", quantity=Decimal("1"),
                unit="each", unit_price=per_line, price=per_line, total=per_line,
            )
            for n in range(1, count + 1)
        )  # fmt: skip
        obj.refresh_from_db()


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.OrderLine"

    order = factory.SubFactory(OrderFactory, lines=0)
    line_no = factory.Sequence(lambda n: n + 1)
    sku = "WATER"
    name = "Water"
    quantity = Decimal("1")
    unit = "each"
    unit_price = Decimal("1.99")
    price = Decimal("1.99")
    total = Decimal("1.99")


class OrderEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.OrderEvent"

    order = factory.SubFactory(OrderFactory)
    type = "NOTE"


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.TaxRate"

    store = factory.SubFactory(StoreFactory)
    tax_code = ""
    rate = Decimal("0.07")


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.Promotion"

    merchant = factory.SubFactory(MerchantFactory)
    name = factory.Sequence(lambda n: f"Promotion {n}")
    kind = PromotionKind.PERCENT_OFF
    percent = Decimal("10.00")
