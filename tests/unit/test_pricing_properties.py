"""Invariants of pricing (orders/pricing.py) over generated carts (hypothesis), and its edges.

The worked examples live in tests/orders/test_pricing.py; these say what holds for every cart."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jwo_console.money import quantize as q
from orders.pricing import CartLine, Promo, item_discount, price_cart

CENT = Decimal("0.01")

money = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("500.00"), places=2)
quantities = st.one_of(
    st.integers(min_value=0, max_value=20).map(Decimal),
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal("15"), places=3),  # by weight
)
rates = st.sampled_from([Decimal("0"), Decimal("0.07"), Decimal("0.0825"), Decimal("0.2")])
skus = st.sampled_from(["WATER", "CHIPS", "APPLES", "BREAD"])
categories = st.sampled_from(["Drinks", "Snacks", "Produce", ""])

lines = st.builds(
    CartLine,
    sku=skus,
    quantity=quantities,
    unit_price=money,
    category=categories,
    tax_code=st.sampled_from(["", "FOOD"]),
)
item_promos = st.one_of(
    st.builds(
        Promo, name=st.just("pct"), kind=st.just("PERCENT_OFF"), sku=skus,
        percent=st.decimals(min_value=0, max_value=100, places=0),
    ),
    st.builds(
        Promo, name=st.just("amt"), kind=st.just("AMOUNT_OFF"), category=categories, amount=money,
    ),
    st.builds(
        Promo, name=st.just("bxgy"), kind=st.just("BUY_X_GET_Y"), sku=skus,
        buy_qty=st.integers(0, 3), get_qty=st.integers(0, 2),
    ),
)  # fmt: skip
basket_promos = st.builds(
    Promo,
    name=st.just("basket"),
    kind=st.just("BASKET_THRESHOLD"),
    threshold=money,
    percent=st.sampled_from([Decimal("0"), Decimal("5"), Decimal("15")]),
    amount=money,
)


def cents(value: Decimal) -> bool:
    return value == value.quantize(CENT)


@settings(max_examples=150, deadline=None)
@given(
    cart=st.lists(lines, max_size=6),
    promos=st.lists(st.one_of(item_promos, basket_promos), max_size=4),
    default_rate=rates,
    food_rate=rates,
    loyalty=st.one_of(st.none(), st.tuples(st.just("Club"), st.sampled_from([0, 5, 10]))),
    mode=st.sampled_from(["FULL", "ORDER"]),
)
def test_every_priced_cart_satisfies_the_checkout_arithmetic(
    cart, promos, default_rate, food_rate, loyalty, mode
):
    loyalty = None if loyalty is None else (loyalty[0], Decimal(loyalty[1]))
    priced = price_cart(
        cart, mode=mode, promotions=promos,
        tax_rates={"": default_rate, "FOOD": food_rate}, loyalty=loyalty,
    )  # fmt: skip
    assert len(priced.lines) == len(cart)
    for p in priced.lines:
        # Every amount is whole cents, a line never goes below zero, tax is on the net.
        assert all(cents(v) for v in (p.price, p.discount, p.tax, p.total))
        assert p.price == q(p.line.unit_price * p.line.quantity)
        assert Decimal(0) <= p.discount <= p.price
        assert p.net >= 0 and p.tax == q(p.net * p.tax_rate)
        assert p.total == p.price - p.discount + p.tax
        if mode != "FULL":
            assert p.promotions == []
        # One item promotion per line at most (baskets and loyalty come on top).
        item_names = {"pct", "amt", "bxgy"}
        assert sum(1 for name, _ in p.promotions if name in item_names) <= 1
    assert priced.total == priced.sub_total - priced.promotions_total + priced.tax_total
    assert priced.total == sum((p.total for p in priced.lines), Decimal(0))


@settings(max_examples=150, deadline=None)
@given(cart=st.lists(lines, min_size=1, max_size=6), promo=basket_promos)
def test_a_basket_discount_is_spread_to_the_cent(cart, promo):
    """The whole basket discount lands on the lines, no cent lost or made by rounding."""
    before = price_cart(cart, mode="FULL")
    net = sum((p.net for p in before.lines), Decimal(0))
    after = price_cart(cart, mode="FULL", promotions=[promo])
    given_off = sum(
        (amount for p in after.lines for name, amount in p.promotions if name == "basket"),
        Decimal(0),
    )
    if net >= promo.threshold and net > 0:
        expected = min(net, q(net * promo.percent / 100) if promo.percent else promo.amount)
        assert given_off == expected
    else:
        assert given_off == 0


@settings(max_examples=100, deadline=None)
@given(line=lines, promos=st.lists(item_promos, min_size=1, max_size=4))
def test_the_best_item_promotion_for_the_shopper_wins(line, promos):
    priced = price_cart([line], mode="FULL", promotions=promos).lines[0]
    best = max(item_discount(p, line, priced.price) for p in promos)
    assert priced.discount == best


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("0.005", "0.01"), ("0.004", "0.00"), ("2.345", "2.35"), ("-0.005", "-0.01")],
)
def test_q_rounds_half_up_to_the_cent(amount, expected):
    assert q(Decimal(amount)) == Decimal(expected)


def test_a_promotion_naming_neither_sku_nor_category_applies_to_nothing():
    line = CartLine(sku="WATER", quantity=Decimal(2), unit_price=Decimal("1.00"))
    anything = Promo(name="all", kind="PERCENT_OFF", percent=Decimal(50))
    assert item_discount(anything, line, Decimal("2.00")) == 0


def test_category_matching_ignores_case_and_unknown_kinds_give_nothing():
    line = CartLine(sku="A", quantity=Decimal(1), unit_price=Decimal("4.00"), category="Drinks")
    drinks = Promo(name="d", kind="PERCENT_OFF", category="drinks", percent=Decimal(25))
    assert item_discount(drinks, line, Decimal("4.00")) == Decimal("1.00")
    odd = Promo(name="x", kind="FREE_HUGS", category="drinks")
    assert item_discount(odd, line, Decimal("4.00")) == 0


def test_amount_off_never_exceeds_the_line_and_bxgy_needs_both_quantities():
    line = CartLine(sku="A", quantity=Decimal(3), unit_price=Decimal("1.00"))
    big = Promo(name="big", kind="AMOUNT_OFF", sku="A", amount=Decimal("5.00"))
    assert item_discount(big, line, Decimal("3.00")) == Decimal("3.00")
    no_get = Promo(name="b", kind="BUY_X_GET_Y", sku="A", buy_qty=2, get_qty=0)
    assert item_discount(no_get, line, Decimal("3.00")) == 0


def test_a_basket_on_a_zero_cart_gives_nothing():
    free = CartLine(sku="A", quantity=Decimal(1), unit_price=Decimal("0.00"))
    basket = Promo(name="basket", kind="BASKET_THRESHOLD", threshold=Decimal(0), amount=Decimal(5))
    priced = price_cart([free], mode="FULL", promotions=[basket])
    assert priced.total == 0 and priced.lines[0].promotions == []
