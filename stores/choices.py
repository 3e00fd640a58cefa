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


class FaRiskAction(models.TextChoices):
    """What the store's F&A policy does when Amazon reports a risk at card entry."""

    DENY = "DENY", "Deny entry"
    ADJUST = "ADJUST", "Admit with a reduced pre-auth"
    APPROVE = "APPROVE", "Admit"


# Amazon's ShopperRisk values (connector/enums.py) → the mapping's field holding its action; the
# pre-auth for ADJUST is in the field of the same name with ``_preauth``.
FA_RISK_FIELDS = {
    "InvalidCard": "fa_invalid_card",
    "ExpiredCard": "fa_expired_card",
    "CustomerFraud": "fa_customer_fraud",
    "BadDebt": "fa_bad_debt",
}


class TripPolicy(models.TextChoices):
    """What happens to an associate's or a cash shopper's trip (per store)."""

    CHARGE = "CHARGE", "Charge as usual"
    NO_CHARGE = "NO_CHARGE", "Don't charge"
    REGISTER = "REGISTER", "Hand to a register"


class MappingChangeAction(models.TextChoices):
    CREATED = "CREATED", "Created"
    UPDATED = "UPDATED", "Updated"
    DELETED = "DELETED", "Removed"
