from django.db import models


class MovementKind(models.TextChoices):
    JWO_SALE = "JWO_SALE", "JWO sale"
    UNPAID_RESTORE = "UNPAID_RESTORE", "Put back: order never charged"
    REFUND_RETURN = "REFUND_RETURN", "Refund return"
    COUNT = "COUNT", "Count"
    ADJUSTMENT = "ADJUSTMENT", "Adjustment"
    RECEIPT = "RECEIPT", "Receipt of goods"
    IMPORT = "IMPORT", "CSV import (count)"
    REORDER_POINT = "REORDER_POINT", "Reorder point changed"  # quantity 0: the audit trail


# Movements that make "sold": a sale, less what came back from it.
SALES_KINDS = (MovementKind.JWO_SALE, MovementKind.UNPAID_RESTORE, MovementKind.REFUND_RETURN)
