"""Pricing a cart: pure functions over plain data, no database (orders/services.py holds the
rules and reads the catalog; this is the arithmetic they use).

Rules, in order, for each line:
1. ``price`` = unit price times quantity (a weight item has a decimal quantity), rounded half-up.
2. Item promotions (delegation mode *Full* only): percent or amount off an item or a category,
   or buy X get Y. **Stacking rule: one item promotion per line, the best for the shopper.**
3. Basket-threshold promotions (Full): when the cart's net after item promotions reaches the
   threshold, the amount (or percent) off is spread over the lines in proportion to their net,
   the rounding remainder on the largest line. The best qualifying one applies.
4. Loyalty (Full, for an identified loyalty member): a percent off each line's net.
5. Tax per line at its tax code's rate, on the price *after* all discounts, rounded half-up.

Totals satisfy the Checkout Service's arithmetic by construction: line ``total = price -
promotions + tax``; ``total = sub_total - promotions_total + tax_total``. Delegation mode
*Order* prices at the catalog price plus tax only.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from jwo_console.money import ZERO, quantize
from stores.choices import DelegationMode


@dataclass(frozen=True)
class CartLine:
    sku: str
    quantity: Decimal
    unit_price: Decimal
    category: str = ""
    tax_code: str = ""
    name: str = ""


@dataclass(frozen=True)
class Promo:
    name: str
    kind: str  # PERCENT_OFF, AMOUNT_OFF, BUY_X_GET_Y, BASKET_THRESHOLD
    sku: str = ""
    category: str = ""
    percent: Decimal = ZERO  # 10 means 10 %
    amount: Decimal = ZERO
    buy_qty: int = 0
    get_qty: int = 0
    threshold: Decimal = ZERO

    def applies_to(self, line: CartLine) -> bool:
        if self.sku:
            return line.sku == self.sku
        if self.category:
            return line.category.lower() == self.category.lower()
        return False


@dataclass
class PricedLine:
    line: CartLine
    price: Decimal
    promotions: list[tuple[str, Decimal]] = field(default_factory=list)
    tax_rate: Decimal = ZERO
    tax: Decimal = ZERO

    @property
    def discount(self) -> Decimal:
        return sum((amount for _, amount in self.promotions), ZERO)

    @property
    def net(self) -> Decimal:
        return self.price - self.discount

    @property
    def total(self) -> Decimal:
        return self.price - self.discount + self.tax


@dataclass
class PricedCart:
    lines: list[PricedLine]

    @property
    def sub_total(self) -> Decimal:
        return sum((p.price for p in self.lines), ZERO)

    @property
    def promotions_total(self) -> Decimal:
        return sum((p.discount for p in self.lines), ZERO)

    @property
    def tax_total(self) -> Decimal:
        return sum((p.tax for p in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.sub_total - self.promotions_total + self.tax_total


def item_discount(promo: Promo, line: CartLine, price: Decimal) -> Decimal:
    if not promo.applies_to(line):
        return ZERO
    if promo.kind == "PERCENT_OFF":
        return quantize(price * promo.percent / 100)
    if promo.kind == "AMOUNT_OFF":  # per unit
        return min(price, quantize(promo.amount * line.quantity))
    if promo.kind == "BUY_X_GET_Y" and promo.buy_qty > 0 and promo.get_qty > 0:
        group = promo.buy_qty + promo.get_qty
        free_units = int(line.quantity // group) * promo.get_qty
        return min(price, quantize(line.unit_price * free_units))
    return ZERO


def _spread(amount: Decimal, lines: list[PricedLine]) -> list[Decimal]:
    """``amount`` over the lines in proportion to their net; the remainder on the largest."""
    base = sum((p.net for p in lines), ZERO)
    if base <= 0:
        return [ZERO for _ in lines]
    shares = [quantize(amount * p.net / base) for p in lines]
    largest = max(range(len(lines)), key=lambda i: lines[i].net)
    shares[largest] += amount - sum(shares, ZERO)
    return shares


def price_cart(
    lines: Sequence[CartLine],
    *,
    mode: str,
    promotions: Sequence[Promo] = (),
    tax_rates: dict[str, Decimal] | None = None,
    loyalty: tuple[str, Decimal] | None = None,
) -> PricedCart:
    """``tax_rates`` maps a tax code to a rate (0.07 for 7 %); ``""`` is the store's default.
    ``loyalty`` is (program name, percent off) for an identified member."""
    rates = tax_rates or {}
    full = mode == DelegationMode.FULL
    priced = [
        PricedLine(line=line, price=quantize(line.unit_price * line.quantity)) for line in lines
    ]

    if full:
        for p in priced:
            offers = [
                (promo, item_discount(promo, p.line, p.price))
                for promo in promotions
                if promo.kind != "BASKET_THRESHOLD"
            ]
            best = max(offers, key=lambda o: o[1], default=(None, ZERO))
            if best[0] is not None and best[1] > 0:
                p.promotions.append((best[0].name, best[1]))

        net = sum((p.net for p in priced), ZERO)
        baskets = [
            promo
            for promo in promotions
            if promo.kind == "BASKET_THRESHOLD" and net >= promo.threshold
        ]
        if baskets and priced:

            def basket_value(promo: Promo) -> Decimal:
                return min(
                    net, quantize(net * promo.percent / 100) if promo.percent else promo.amount
                )

            best_basket = max(baskets, key=basket_value)
            for p, share in zip(priced, _spread(basket_value(best_basket), priced), strict=True):
                if share > 0:
                    p.promotions.append((best_basket.name, share))

        if loyalty is not None and loyalty[1] > 0:
            name, percent = loyalty
            for p in priced:
                off = quantize(p.net * percent / 100)
                if off > 0:
                    p.promotions.append((name, off))

    for p in priced:
        p.tax_rate = rates.get(p.line.tax_code, rates.get("", ZERO))
        p.tax = quantize(p.net * p.tax_rate)
    return PricedCart(lines=priced)
