from decimal import Decimal as D

from orders.pricing import CartLine, Promo, price_cart

WATER = CartLine(sku="WATER", quantity=D("3"), unit_price=D("1.99"), category="Drinks")
CHIPS = CartLine(
    sku="CHIPS", quantity=D("1"), unit_price=D("2.49"), category="Snacks", tax_code="FOOD"
)
APPLES = CartLine(
    sku="APPLES", quantity=D("0.452"), unit_price=D("2.99"), category="Fresh"
)  # per lb
RATES = {"": D("0.07"), "FOOD": D("0.02")}


def check_arithmetic(cart) -> None:
    for line in cart.lines:
        assert line.total == line.price - line.discount + line.tax
    assert cart.total == cart.sub_total - cart.promotions_total + cart.tax_total


def test_order_mode_is_catalog_price_and_tax_only():
    promo = Promo(name="10% drinks", kind="PERCENT_OFF", category="Drinks", percent=D("10"))
    cart = price_cart(
        [WATER, CHIPS],
        mode="ORDER",
        promotions=[promo],
        tax_rates=RATES,
        loyalty=("YinzCam", D("5")),
    )
    assert [line.price for line in cart.lines] == [D("5.97"), D("2.49")]
    assert cart.promotions_total == 0
    assert [line.tax for line in cart.lines] == [D("0.42"), D("0.05")]  # 0.4179, 0.0498
    assert (cart.sub_total, cart.tax_total, cart.total) == (D("8.46"), D("0.47"), D("8.93"))
    check_arithmetic(cart)


def test_weight_items_round_half_up_per_line():
    cart = price_cart([APPLES], mode="ORDER", tax_rates={"": D("0")})
    assert cart.lines[0].price == D("1.35")  # 0.452 lb x 2.99 = 1.35148


def test_percent_off_a_category_then_tax_on_the_discounted_price():
    promo = Promo(name="10% drinks", kind="PERCENT_OFF", category="drinks", percent=D("10"))
    cart = price_cart([WATER, CHIPS], mode="FULL", promotions=[promo], tax_rates=RATES)
    water = cart.lines[0]
    assert water.promotions == [("10% drinks", D("0.60"))]  # 0.597
    assert water.tax == D("0.38")  # (5.97 - 0.60) x 7 % = 0.3759
    assert cart.lines[1].promotions == []
    assert (cart.promotions_total, cart.tax_total, cart.total) == (D("0.60"), D("0.43"), D("8.29"))
    check_arithmetic(cart)


def test_amount_off_each_unit_of_an_item():
    promo = Promo(name="25c off water", kind="AMOUNT_OFF", sku="WATER", amount=D("0.25"))
    cart = price_cart([WATER], mode="FULL", promotions=[promo], tax_rates={"": D("0")})
    assert cart.lines[0].discount == D("0.75")


def test_buy_two_get_one_free():
    promo = Promo(name="3 for 2", kind="BUY_X_GET_Y", sku="WATER", buy_qty=2, get_qty=1)
    five = CartLine(sku="WATER", quantity=D("5"), unit_price=D("1.99"))
    cart = price_cart([WATER, five], mode="FULL", promotions=[promo], tax_rates={})
    assert [line.discount for line in cart.lines] == [D("1.99"), D("1.99")]  # 3 -> 1 free, 5 -> 1


def test_stacking_one_item_promotion_per_line_the_best_one():
    small = Promo(name="5% drinks", kind="PERCENT_OFF", category="Drinks", percent=D("5"))
    big = Promo(name="50c off water", kind="AMOUNT_OFF", sku="WATER", amount=D("0.50"))
    cart = price_cart([WATER], mode="FULL", promotions=[small, big], tax_rates={})
    assert cart.lines[0].promotions == [("50c off water", D("1.50"))]


def test_basket_threshold_is_spread_over_the_lines_exactly():
    basket = Promo(name="$1 off $8", kind="BASKET_THRESHOLD", amount=D("1.00"), threshold=D("8.00"))
    cart = price_cart([WATER, CHIPS], mode="FULL", promotions=[basket], tax_rates=RATES)
    shares = [line.discount for line in cart.lines]
    assert sum(shares) == D("1.00") and shares == [D("0.71"), D("0.29")]
    below = price_cart([CHIPS], mode="FULL", promotions=[basket], tax_rates=RATES)
    assert below.promotions_total == 0
    check_arithmetic(cart)


def test_loyalty_comes_after_promotions_and_before_tax():
    promo = Promo(name="10% drinks", kind="PERCENT_OFF", category="Drinks", percent=D("10"))
    cart = price_cart(
        [WATER],
        mode="FULL",
        promotions=[promo],
        tax_rates=RATES,
        loyalty=("VenueNext rewards", D("5")),
    )
    assert cart.lines[0].promotions == [("10% drinks", D("0.60")), ("VenueNext rewards", D("0.27"))]
    assert cart.lines[0].tax == D("0.36")  # (5.97 - 0.87) x 7 % = 0.357
    check_arithmetic(cart)


def test_an_empty_cart_is_zero():
    cart = price_cart([], mode="FULL", tax_rates=RATES)
    assert (cart.sub_total, cart.total) == (0, 0)
