from django.db import models


class LoyaltyProvider(models.TextChoices):
    YINZCAM = "YINZCAM", "YinzCam"
    VENUENEXT = "VENUENEXT", "VenueNext"


class DelegationMode(models.TextChoices):
    ORDER = "ORDER", "Order"
    FULL = "FULL", "Full"


DELEGATION_MODE_HELP = {
    DelegationMode.ORDER: "Order (default): the console passes order details and totals through to "
    "Amazon JWO as they are.",
    DelegationMode.FULL: "Full: the console applies discounts, loyalty and taxes and computes the "
    "total before handing it to Amazon JWO.",
}


class PaymentMode(models.TextChoices):
    PAYMENT_SERVICE = "PAYMENT_SERVICE", "Payment Service"
    CHECKOUT_SERVICE = "CHECKOUT_SERVICE", "Checkout Service"


class FraudAbuseStrategy(models.TextChoices):
    AMAZON_MANAGED = "AMAZON_MANAGED", "Amazon-managed"
    RETAILER_MANAGED = "RETAILER_MANAGED", "Retailer-managed"


class MappingChangeAction(models.TextChoices):
    CREATED = "CREATED", "Created"
    UPDATED = "UPDATED", "Updated"
    DELETED = "DELETED", "Removed"


class StockSource(models.TextChoices):
    """What depletes a store's stock for a JWO sale: one source, never both (stock/services.py)."""

    ORDER = "ORDER", "The priced order"
    CART_EVENT = "CART_EVENT", "Amazon's CART event (event feed)"
