from django.db import models


class OrderStatus(models.TextChoices):
    PENDING = "PENDING", "Pending (pricing)"
    PRICED = "PRICED", "Priced (awaiting payment)"
    ERROR = "ERROR", "Error"
    PAID = "PAID", "Paid"
    COMPLETED = "COMPLETED", "Completed"
    REVIEW = "REVIEW", "Payment outcome unknown — needs review"


class NextAction(models.TextChoices):
    """What the back office does next with an order that is not final, and (with the order's
    ``next_action_at``) when. The beat sweep takes every order whose time has come, so a lost
    task, a dead worker or a broker outage only delays the work (payments/sweep.py)."""

    NONE = "", "Nothing (final, or waiting for a person)"
    PRICE = "PRICE", "Price the cart"
    PAY = "PAY", "Take the payment (first attempt or the next retry)"
    RESUME = "RESUME", "Resume the unfinished payment attempt at its step"
    RESOLVE = "RESOLVE", "Ask Amazon whether the capture whose answer was lost happened"
    RECEIPT = "RECEIPT", "Fetch the receipt data"


class ErrorStage(models.TextChoices):
    PRICING = "PRICING", "Creating the order (pricing)"
    CHECKOUT = "CHECKOUT", "Submitting to the Checkout Service"
    PAYMENT = "PAYMENT", "Taking the payment"


class PromotionKind(models.TextChoices):
    PERCENT_OFF = "PERCENT_OFF", "Percent off an item or category"
    AMOUNT_OFF = "AMOUNT_OFF", "Amount off each unit of an item or category"
    BUY_X_GET_Y = "BUY_X_GET_Y", "Buy X get Y free"
    BASKET_THRESHOLD = "BASKET_THRESHOLD", "Off the basket above a threshold"


ORDER_TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.PENDING: {OrderStatus.PRICED, OrderStatus.ERROR},
    OrderStatus.ERROR: {
        OrderStatus.PRICED,
        OrderStatus.ERROR,
        OrderStatus.PAID,
        OrderStatus.COMPLETED,
        OrderStatus.REVIEW,
    },
    OrderStatus.PRICED: {
        OrderStatus.PAID,
        OrderStatus.ERROR,
        OrderStatus.COMPLETED,
        OrderStatus.REVIEW,
    },
    OrderStatus.REVIEW: {OrderStatus.PAID, OrderStatus.ERROR, OrderStatus.COMPLETED},
    OrderStatus.PAID: {OrderStatus.COMPLETED},
    OrderStatus.COMPLETED: set(),
}
