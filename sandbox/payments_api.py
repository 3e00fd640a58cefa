"""Payment Service, Feedback API and Checkout Service, played by the sandbox.

Behaviour where the contract is silent (marked [derived] there), chosen so that our own bugs
show: a second capture of another amount (the same amount again is a replay that takes
nothing more, counted in ``capture_replays``), a capture above what is authorized, a cancel
after a capture and a refund above captured-minus-refunded are all refused with 400
``BadRequestException`` and a ``message`` saying why.
"""

import hashlib
import uuid
from decimal import Decimal

import simplejson
from django.conf import settings
from django.db import transaction

from . import validation as v
from .gateway import amazon_api, money_wire
from .models import CardProfile, SandboxCheckoutOrder, SandboxPaymentReport, SandboxRefund
from .trips import find_trip, known_store

UNKNOWN_TRIP = "UnknownShoppingTrip"


def _ids(data: dict) -> tuple[str, str]:
    """``storeId`` and ``shoppingTripId``, checked before anything else in the body."""
    return (
        v.string(data, "storeId", pattern=v.STORE_ID),
        v.string(data, "shoppingTripId", pattern=v.TRIP_ID),
    )


def _trip(ids: tuple[str, str], *, for_update: bool = True):
    trip = find_trip(*ids, for_update=for_update)
    if trip is None:
        raise v.Invalid(UNKNOWN_TRIP)
    return trip


@amazon_api("payments", "AdjustCharge")
@transaction.atomic
def adjust_charge(data: dict):
    ids = _ids(data)
    total, code = v.payment_money(data)
    trip = _trip(ids)
    if trip.cancelled or trip.captured_amount > 0:
        raise v.Invalid(v.BAD_REQUEST, "the trip is already captured or cancelled")
    if trip.card_profile == CardProfile.PENDING_ONCE and not trip.pending_served:
        trip.pending_served = True
        trip.last_adjust_status = "PENDING"
        trip.save()
        return 200, {"status": "PENDING", "authorizedAmount": money_wire(total, code)}
    declined = trip.card_profile == CardProfile.DECLINE or (
        trip.card_profile == CardProfile.NSF
        and trip.nsf_limit is not None
        and total > trip.nsf_limit
    )
    trip.adjusted_amount = total
    if declined:
        trip.last_adjust_status = "DECLINED"
        trip.authorized_amount = Decimal("0")
    else:
        trip.last_adjust_status = "APPROVED"
        trip.authorized_amount = total
    trip.save()
    return 200, {
        "status": trip.last_adjust_status,
        "authorizedAmount": money_wire(trip.authorized_amount, code),
    }


@amazon_api("payments", "CancelCharge")
@transaction.atomic
def cancel_charge(data: dict):
    trip = _trip(_ids(data))
    if trip.captured_amount > 0:
        raise v.Invalid(v.BAD_REQUEST, "the trip is captured; refund it instead")
    trip.cancelled = True
    trip.save(update_fields=["cancelled", "updated_at"])
    return 200, None


@amazon_api("payments", "CaptureCharge")
@transaction.atomic
def capture_charge(data: dict):
    ids = _ids(data)
    amount, _ = v.payment_money(data, positive=True)
    trip = _trip(ids)
    if trip.cancelled:
        raise v.Invalid(v.BAD_REQUEST, "the trip is cancelled")
    if trip.captured_amount > 0:
        if amount == trip.captured_amount:
            # The same capture again (a retailer finishing an attempt whose answer it lost):
            # a replay, nothing more is taken (repeat only with the same amount:
            # integrations/amazon/payments.py).
            trip.capture_replays += 1
            trip.save(update_fields=["capture_replays", "updated_at"])
            return 200, None
        raise v.Invalid(v.BAD_REQUEST, f"the trip is already captured ({trip.captured_amount})")
    if amount > trip.capturable_amount:
        raise v.Invalid(
            v.BAD_REQUEST, f"capture {amount} exceeds the authorized {trip.capturable_amount}"
        )
    trip.captured_amount = amount
    trip.save(update_fields=["captured_amount", "updated_at"])
    return 200, None


@amazon_api("payments", "Refund")
@transaction.atomic
def refund(data: dict):
    ids = _ids(data)
    amount, _ = v.payment_money(data, positive=True)
    request_id = v.string(data, "refundRequestId", pattern=v.REFUND_REQUEST_ID, max_len=36)
    reason = data.get("refundReasonCode")
    if reason not in v.REFUND_REASONS:
        raise v.Invalid(v.BAD_REQUEST, "refundReasonCode is not one of the allowed values")
    trip = _trip(ids)
    existing = SandboxRefund.objects.filter(refund_request_id=request_id).first()
    if existing is not None:
        if existing.trip_id != trip.pk or existing.amount != amount:
            raise v.Invalid(v.BAD_REQUEST, "refundRequestId was used for a different refund")
        return 200, {"reconciliationId": existing.reconciliation_id}  # a replay: no new refund
    if trip.captured_amount <= 0:
        raise v.Invalid(v.BAD_REQUEST, "nothing was captured on this trip")
    if trip.refunded_amount + amount > trip.captured_amount:
        raise v.Invalid(
            v.BAD_REQUEST,
            f"refund {amount} exceeds captured {trip.captured_amount} minus refunded "
            f"{trip.refunded_amount}",
        )
    done = SandboxRefund.objects.create(
        trip=trip,
        refund_request_id=request_id,
        amount=amount,
        reason_code=reason,
        reconciliation_id=f"RCN{uuid.uuid4().hex[:12].upper()}",
    )
    trip.refunded_amount += amount
    trip.save(update_fields=["refunded_amount", "updated_at"])
    return 200, {"reconciliationId": done.reconciliation_id}


@amazon_api("payments", "GetTransactionalData")
def transactional_data(data: dict):
    """The card's record for the trip. The settlement references (``reconciliationId``,
    ``cardStatementTransactionId``) exist only once something was captured: an authorization
    alone has no statement line. The console reads them to learn whether a capture whose answer
    it lost was carried out."""
    trip = _trip(_ids(data), for_update=False)
    record = {
        "brand": trip.card_brand,
        "posEntryMode": "EMV_9F39_07",
        "currency": trip.currency,
        "authorizationResponseCode": "00" if trip.last_adjust_status != "DECLINED" else "51",
        "cryptogramInformationData": "80",
        "tail": trip.card_tail,
        "panSequenceNumber": "01",
        "applicationId": "A0000000031010",
        "expirationDate": {"expirationYear": "2029", "expirationMonth": "12"},
        "cardholderVerificationMethodResult": "420300",
        "terminalId": "JWO00001",
    }
    if trip.captured_amount > 0:
        record["reconciliationId"] = f"REC{trip.pk:09d}"
        record["cardStatementTransactionId"] = (
            "TXN" + hashlib.sha256(trip.trip_id.encode()).hexdigest()[:9].upper()
        )
    return 200, record


@amazon_api("payments", "GetShopperIdentity")
def shopper_identity(data: dict):
    v.string(data, "storeId", pattern=v.STORE_ID)
    shopper = v.obj(data, "shopperId")
    shopper_id = v.string(shopper, "id", pattern=v.SHOPPER_ID)
    if shopper_id == "valid-shopper-id":
        return 200, {"shopperEmail": "shopper@example.com"}
    from .models import SandboxTrip

    trip = SandboxTrip.objects.filter(shopper_id=shopper_id).exclude(shopper_email="").first()
    return 200, ({"shopperEmail": trip.shopper_email} if trip else {})  # unknown: 200, no e-mail


@amazon_api("feedback", "ReportPaymentStatus")
@transaction.atomic
def report_payment_status(data: dict):
    ids = _ids(data)
    total, code = v.payment_money(data, "totalAmount")
    settled, _ = v.payment_money(data, "settledAmount")
    when = data.get("paymentStatusTime")
    if isinstance(when, bool) or not isinstance(when, int) or when < 0:
        raise v.Invalid(v.BAD_REQUEST, "paymentStatusTime must be a whole number")
    if settled > total:
        raise v.Invalid(v.BAD_REQUEST, "settledAmount exceeds totalAmount")
    trip = _trip(ids)
    SandboxPaymentReport.objects.create(
        trip=trip,
        total_amount=total,
        settled_amount=settled,
        currency=code,
        payment_status_time=when,
    )
    trip.outstanding_amount = total - settled  # the latest report is what Amazon tracks
    trip.save(update_fields=["outstanding_amount", "updated_at"])
    return 200, None


# --- Checkout Service ---------------------------------------------------------------------------

INVALID = "InvalidRequest"
CART_CONTENT = "CartContentValidationFailed"
TOTALS = "CartOrderTotalInvalid"


def _line_amounts(
    line: dict, index: int
) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal, str]:
    if not isinstance(line, dict):
        raise v.Invalid(INVALID, f"lineItems[{index}] must be an object")
    v.string(line, "productId", msg=INVALID)
    if line.get("type") != "SKU":
        raise v.Invalid(INVALID, f"lineItems[{index}].type must be SKU")
    quantity = v.obj(line, "quantity", INVALID)
    raw_qty = quantity.get("value")
    try:
        qty = Decimal(raw_qty) if isinstance(raw_qty, str) else None
    except ArithmeticError:
        qty = None
    if qty is None or qty <= 0 or not isinstance(quantity.get("unit"), str):
        raise v.Invalid(
            INVALID, f"lineItems[{index}].quantity needs a positive string value and a unit"
        )
    unit_price = v.obj(line, "unitPrice", INVALID)
    total, code = v.checkout_money(unit_price, "totalPrice")
    price, _ = v.checkout_money(unit_price, "price")
    tax, _ = v.checkout_money(unit_price, "salesTax")
    promotions = Decimal("0")
    for p_index, promo in enumerate(unit_price.get("promotions") or []):
        amount, _ = v.checkout_money(promo, "promotionAmount")
        if amount < 0:
            raise v.Invalid(INVALID, f"promotions[{p_index}] must be a positive discount")
        promotions += amount
    fees = Decimal("0")
    for fee in unit_price.get("depositsAndFees") or []:
        fee_amount, _ = v.checkout_money(fee, "depositAndFeeAmount")
        fee_tax, _ = v.checkout_money(fee, "salesTax")
        fees += fee_amount + fee_tax
    if settings.JWO_CHECKOUT_PRICE_PER == "unit":
        price = price * qty
    return qty, price, promotions, tax, total - fees, code


@amazon_api("checkout", "CheckoutCart")
@transaction.atomic
def checkout_cart(data: dict):
    """Validates the priced cart as the contract's rules say: shape, two-decimal strings,
    non-empty, lines matching the cart Amazon sent, per-line and order arithmetic.

    ``unitPrice.price`` is read as the line's shelf amount (``JWO_CHECKOUT_PRICE_PER=line``,
    the default) or as a per-unit price multiplied by the quantity (``unit``): the public page
    does not say which.
    """
    trip_id = v.string(data, "idempotentShoppingTripId", pattern=v.TRIP_ID, msg=INVALID)
    store_id = v.string(data, "storeId", pattern=v.STORE_ID, msg=INVALID)
    lines = data.get("lineItems")
    totals = v.obj(data, "orderTotals", INVALID)
    if not isinstance(lines, list):
        raise v.Invalid(INVALID, "lineItems is required")
    if not lines:
        raise v.Invalid(CART_CONTENT, "the cart is empty")
    trip = find_trip(store_id, trip_id, for_update=True)
    if trip is None or known_store(store_id) is None:
        raise v.Invalid("UnknownShoppingTripException")

    payload_hash = hashlib.sha256(
        simplejson.dumps(data, use_decimal=True, sort_keys=True).encode()
    ).hexdigest()
    existing = SandboxCheckoutOrder.objects.filter(trip_id=trip_id).first()
    if existing is not None:
        if existing.payload_hash != payload_hash:
            raise v.Invalid(INVALID, "this trip was checked out with a different cart")
        return 201, {"orderId": existing.order_id}

    sub_total = promotions_total = tax_total = Decimal("0")
    currencies = set()
    for index, line in enumerate(lines):
        _qty, price, promotions, tax, total, code = _line_amounts(line, index)
        currencies.add(code)
        if total != price - promotions + tax:
            raise v.Invalid(
                TOTALS,
                f"lineItems[{index}].totalPrice {total} != price {price} - promotions "
                f"{promotions} + salesTax {tax}",
            )
        sub_total += price
        promotions_total += promotions
        tax_total += tax
    price_total, code = v.checkout_money(totals, "priceTotal")
    for key, expected in (
        ("subTotal", sub_total),
        ("promotionsTotal", promotions_total),
        ("salesTaxTotal", tax_total),
    ):
        given, _ = v.checkout_money(totals, key)
        if given != expected:
            raise v.Invalid(TOTALS, f"orderTotals.{key} {given} != sum of the lines {expected}")
    fees_total = sum(
        (
            Decimal(f["depositAndFeeAmount"]["amount"]) + Decimal(f["salesTax"]["amount"])
            for line in lines
            for f in (line["unitPrice"].get("depositsAndFees") or [])
        ),
        Decimal("0"),
    )
    if price_total != sub_total - promotions_total + tax_total + fees_total:
        raise v.Invalid(
            TOTALS, "orderTotals.priceTotal != subTotal - promotionsTotal + salesTaxTotal"
        )
    currencies.add(code)
    if len(currencies) != 1:
        raise v.Invalid(INVALID, "every amount must be in one currency")
    if trip.cart:
        sent = sorted((i["id"], Decimal(i["quantity"])) for i in trip.cart)
        got = sorted((line["productId"], Decimal(line["quantity"]["value"])) for line in lines)
        if sent != got:
            raise v.Invalid(
                CART_CONTENT, "the lines do not match the cart Amazon sent for this trip"
            )

    order = SandboxCheckoutOrder.objects.create(
        trip_id=trip_id,
        store_id=store_id,
        order_id=f"AMZ-{uuid.uuid4().hex[:16]}",
        payload_hash=payload_hash,
        price_total=price_total,
        payload=simplejson.loads(simplejson.dumps(data, use_decimal=True)),
    )
    trip.captured_amount = price_total  # Amazon charges the card itself in this model
    trip.save(update_fields=["captured_amount", "updated_at"])
    return 201, {"orderId": order.order_id}
