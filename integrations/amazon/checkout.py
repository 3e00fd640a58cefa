"""Checkout Service: CheckoutCart.

Amounts are two-decimal strings. The request is safe to repeat with the identical payload
(``idempotentShoppingTripId``). Success is 201 in the tests and 200 in the validation plan:
any 2xx with an ``orderId`` is accepted.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .money import CheckoutMoney, two_places
from .transport import AmazonTransport, require


@dataclass(frozen=True)
class Promotion:
    amount: Decimal  # positive: the discount
    description: str


@dataclass(frozen=True)
class DepositOrFee:
    amount: Decimal
    description: str
    sales_tax: Decimal


@dataclass(frozen=True)
class CheckoutLine:
    product_id: str
    quantity: Decimal
    unit: str
    price: Decimal  # shelf price before tax, fees and promotions
    sales_tax: Decimal
    total_price: Decimal  # price - promotions + sales tax (+ fees and their tax)
    promotions: Sequence[Promotion] = field(default_factory=tuple)
    deposits_and_fees: Sequence[DepositOrFee] = field(default_factory=tuple)
    type: str = "SKU"


@dataclass(frozen=True)
class OrderTotals:
    price_total: Decimal
    sub_total: Decimal
    promotions_total: Decimal
    sales_tax_total: Decimal


@dataclass(frozen=True)
class CheckoutCartRequest:
    idempotent_shopping_trip_id: str
    store_id: str
    currency: str
    lines: Sequence[CheckoutLine]
    totals: OrderTotals

    def to_wire(self) -> dict:
        def m(amount: Decimal) -> dict[str, str]:
            return CheckoutMoney(amount, self.currency).to_wire()

        items = []
        for line in self.lines:
            unit_price: dict = {
                "totalPrice": m(line.total_price),
                "price": m(line.price),
                "salesTax": m(line.sales_tax),
                "promotions": [
                    {"promotionAmount": m(p.amount), "promotionDescription": p.description}
                    for p in line.promotions
                ],
            }
            if line.deposits_and_fees:
                unit_price["depositsAndFees"] = [
                    {
                        "depositAndFeeAmount": m(f.amount),
                        "depositAndFeeDescription": f.description,
                        "salesTax": m(f.sales_tax),
                    }
                    for f in line.deposits_and_fees
                ]
            items.append(
                {
                    "productId": line.product_id,
                    "type": line.type,
                    "quantity": {"value": f"{line.quantity:f}", "unit": line.unit},
                    "unitPrice": unit_price,
                }
            )
        return {
            "idempotentShoppingTripId": self.idempotent_shopping_trip_id,
            "storeId": self.store_id,
            "lineItems": items,
            "orderTotals": {
                "priceTotal": m(self.totals.price_total),
                "subTotal": m(self.totals.sub_total),
                "promotionsTotal": m(self.totals.promotions_total),
                "salesTaxTotal": m(self.totals.sales_tax_total),
            },
        }


def checkout_cart_problems(request: CheckoutCartRequest) -> list[str]:
    """The rules the Checkout Service applies to a priced cart, checked before
    anything is sent: a cart that fails them would only come back as a 400.

    Two-decimal amounts, a non-empty cart, positive quantities, per-line ``totalPrice = price -
    promotions + salesTax (+ fees and their tax)`` and order totals that are the sums of the
    lines with ``priceTotal = subTotal - promotionsTotal + salesTaxTotal (+ fees)``."""
    problems: list[str] = []
    if not request.lines:
        return ["the cart is empty (an empty cart is cancelled, never sent)"]

    def exact(label: str, amount: Decimal) -> None:
        if amount != two_places(amount):
            problems.append(f"{label} {amount} is not rounded to two decimals")

    sub_total = promotions_total = tax_total = fees_total = Decimal("0")
    for n, line in enumerate(request.lines):
        where = f"line {n + 1} ({line.product_id})"
        if line.quantity <= 0:
            problems.append(f"{where}: quantity must be above zero")
        for label, amount in (
            ("price", line.price),
            ("salesTax", line.sales_tax),
            ("totalPrice", line.total_price),
            *((f"promotion {p.description!r}", p.amount) for p in line.promotions),
        ):
            exact(f"{where}: {label}", amount)
        promotions = sum((p.amount for p in line.promotions), Decimal("0"))
        if any(p.amount < 0 for p in line.promotions):
            problems.append(f"{where}: a promotion must be a positive discount")
        fees = sum((f.amount + f.sales_tax for f in line.deposits_and_fees), Decimal("0"))
        if line.total_price != line.price - promotions + line.sales_tax + fees:
            problems.append(
                f"{where}: totalPrice {line.total_price} != price {line.price} - promotions "
                f"{promotions} + salesTax {line.sales_tax}" + (f" + fees {fees}" if fees else "")
            )
        sub_total += line.price
        promotions_total += promotions
        tax_total += line.sales_tax
        fees_total += fees
    totals = request.totals
    for label, given, expected in (
        ("subTotal", totals.sub_total, sub_total),
        ("promotionsTotal", totals.promotions_total, promotions_total),
        ("salesTaxTotal", totals.sales_tax_total, tax_total),
    ):
        exact(label, given)
        if given != expected:
            problems.append(f"orderTotals.{label} {given} != the lines' sum {expected}")
    exact("priceTotal", totals.price_total)
    expected_total = totals.sub_total - totals.promotions_total + totals.sales_tax_total
    if totals.price_total != expected_total + fees_total:
        problems.append(
            f"orderTotals.priceTotal {totals.price_total} != subTotal - promotionsTotal + "
            f"salesTaxTotal ({expected_total + fees_total})"
        )
    return problems


@dataclass(frozen=True)
class CheckoutResult:
    order_id: str


class CheckoutClient:
    def __init__(self, transport: AmazonTransport | None = None) -> None:
        self.transport = transport or AmazonTransport("checkout")

    def checkout_cart(self, request: CheckoutCartRequest) -> CheckoutResult:
        if not request.lines:
            raise ValueError("an empty cart is never sent to the Checkout Service; cancel it")
        response = self.transport.post(
            operation="CheckoutCart",
            path="/v1/checkout/carts",
            payload=request.to_wire(),
            retry_safe=True,
            store_id=request.store_id,
            trip_id=request.idempotent_shopping_trip_id,
        )
        return CheckoutResult(order_id=str(require(response.data, "orderId", "CheckoutCart")))


def client() -> CheckoutClient:
    return CheckoutClient()
