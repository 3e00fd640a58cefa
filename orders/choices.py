from django.db import models


class OrderStatus(models.TextChoices):
    PENDING = "PENDING", "Pending (pricing)"
    PRICED = "PRICED", "Priced (awaiting payment)"
    ERROR = "ERROR", "Error"
    PAID = "PAID", "Paid"
    COMPLETED = "COMPLETED", "Completed"


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
    },
    OrderStatus.PRICED: {OrderStatus.PAID, OrderStatus.ERROR, OrderStatus.COMPLETED},
    OrderStatus.PAID: {OrderStatus.COMPLETED},
    OrderStatus.COMPLETED: set(),
}
