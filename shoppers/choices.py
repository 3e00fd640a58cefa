from django.db import models


class VisitorType(models.TextChoices):
    SHOPPER = "SHOPPER", "Shopper"
    ASSOCIATE = "ASSOCIATE", "Associate"


class EntryMethod(models.TextChoices):
    APP = "APP", "App (Scan Key Code)"
    CARD = "CARD", "Card"


class GateReason(models.TextChoices):
    ADMITTED = "ADMITTED", "Admitted"
    MALFORMED_KEY = "MALFORMED_KEY", "Key is not a Scan Key Code"
    WRONG_PREFIX = "WRONG_PREFIX", "Key has another retailer's prefix"
    UNKNOWN_KEY = "UNKNOWN_KEY", "Key was never issued"
    EXPIRED_KEY = "EXPIRED_KEY", "Key is too old (or from the future)"
    FLAGGED = "FLAGGED", "Shopper is flagged"
    OUTSTANDING_DEBT = "OUTSTANDING_DEBT", "Shopper owes money"
    RISK_DENIED = "RISK_DENIED", "Amazon reports a risk the store denies"
    RISK_ADJUSTED = "RISK_ADJUSTED", "Admitted with a reduced pre-auth (risk)"


class LedgerKind(models.TextChoices):
    DEBT = "DEBT", "Unpaid trip"
    PAYMENT = "PAYMENT", "Payment"
    PAYOFF = "PAYOFF", "Paid off in the portal"
    CREDIT = "CREDIT", "Store credit"
