from django.conf import settings
from django.db import models

from jwo_console.models import BaseModel
from shoppers.models import Shopper
from stores.choices import DelegationMode
from stores.models import Merchant, Store

from .choices import ErrorStage, NextAction, OrderStatus, PromotionKind

MONEY = {"max_digits": settings.MONEY_MAX_DIGITS, "decimal_places": settings.MONEY_DECIMAL_PLACES}


class ShoppingTrip(BaseModel):
    """One trip as Amazon reported it at exit: the raw cart is kept as it came."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="trips")
    jwo_store_id = models.CharField(max_length=255)
    trip_id = models.CharField(max_length=255, db_index=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    entry_method = models.CharField(max_length=10)  # APP or CARD
    shopper = models.ForeignKey(Shopper, null=True, blank=True, on_delete=models.SET_NULL)
    loyalty_ids = models.JSONField(default=list, blank=True)
    auth_events = models.JSONField(default=list)
    cart_items = models.JSONField(default=list)
    amazon_shopper_id = models.CharField(max_length=255, blank=True, db_index=True)
    payment_source_id = models.CharField(max_length=255, blank=True)
    # Who the trip was (the first auth event's scanResult.type: SHOPPER, ASSOCIATE, CASH) and
    # what the store's policy says happens to it (stores.choices.TripPolicy), as at the trip.
    visitor_type = models.CharField(max_length=20, default="SHOPPER", db_default="SHOPPER")
    trip_policy = models.CharField(max_length=10, default="CHARGE", db_default="CHARGE")
    # The pre-auth the console answered at the gate (F&A) for this trip's card, for payments.
    authorized_amount = models.DecimalField(**MONEY, null=True, blank=True)
    authorized_amount_source = models.CharField(
        max_length=20,
        blank=True,
        db_default="",
        help_text='"fa_approve" or "fa_adjust" (a reduced pre-auth)',
    )

    class Meta:
        ordering = ["-ended_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["jwo_store_id", "trip_id"], name="trip_unique_per_store"
            )
        ]
        indexes = [
            # A shopper's newest trips first (the portal's trips page).
            models.Index(fields=["shopper", "-ended_at"], name="trip_shopper_recent_idx")
        ]

    def __str__(self) -> str:
        return self.trip_id

    def get_trip_policy_display(self) -> str:
        from stores.choices import TripPolicy

        try:
            return TripPolicy(self.trip_policy).label
        except ValueError:
            return self.trip_policy


class Order(BaseModel):
    """One trip's order: its totals, its status and its next action.

    ``retries`` counts the payment attempts after the first, automatic (the sweep's schedule)
    and staff (Retry) alike: payments/engine.py sets it to the new attempt's ``attempt_no``
    (0 for the first) each time an attempt is opened. Resuming an unfinished attempt is not a
    retry, and neither is pricing the cart again (no payment attempt is made); the order page
    shows the figure with that wording."""

    trip = models.OneToOneField(ShoppingTrip, on_delete=models.PROTECT, related_name="order")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders")
    purchase_id = models.CharField(max_length=40, unique=True, null=True)
    source = models.CharField(max_length=10, default="JWO", db_index=True)
    status = models.CharField(
        max_length=12, choices=OrderStatus.choices, default=OrderStatus.PENDING, db_index=True
    )
    error_stage = models.CharField(max_length=10, choices=ErrorStage.choices, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    delegation_mode = models.CharField(max_length=10, choices=DelegationMode.choices)
    currency = models.CharField(max_length=3)
    sub_total = models.DecimalField(**MONEY, default=0)
    promotions_total = models.DecimalField(**MONEY, default=0)
    tax_total = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY, default=0)
    priced_at = models.DateTimeField(null=True, blank=True)
    # The payment, as payments/ last recorded it (payments writes these through its services).
    captured_amount = models.DecimalField(**MONEY, default=0)
    refunded_amount = models.DecimalField(**MONEY, default=0)
    retries = models.PositiveSmallIntegerField(
        default=0, help_text="Retries made after the first payment attempt."
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_action = models.CharField(
        max_length=10, choices=NextAction.choices, blank=True, default="", db_default=""
    )
    next_action_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sweep takes the order's next action."
    )
    store_credit_amount = models.DecimalField(
        **MONEY,
        default=0,
        db_default=0,
        help_text="Collected short: what exceeded the authorized amount, owed as store credit.",
    )
    checkout_order_id = models.CharField(max_length=255, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["source", "status", "created_at", "id"], name="order_grid_idx"),
            models.Index(fields=["created_at", "id"], name="order_newest_idx"),
            # The sweep's claim: every order whose next action is due (payments/sweep.py).
            models.Index(
                fields=["next_action_at"],
                name="order_next_action_idx",
                condition=models.Q(next_action_at__isnull=False),
            ),
            models.Index(
                fields=["created_at", "id"],
                name="order_collected_short_idx",
                condition=models.Q(store_credit_amount__gt=0),
            ),
        ]
        permissions = [("retry_payment", "Can retry an order's payment")]

    def __str__(self) -> str:
        return self.purchase_id or f"order {self.pk}"

    @property
    def retry_by(self):
        """The end of the retry window (creation + JWO_RETRY_WINDOW_HOURS, 48 h by default)."""
        from datetime import timedelta

        return self.created_at + timedelta(hours=settings.JWO_RETRY_WINDOW_HOURS)

    @property
    def amount_due(self):
        return self.total - self.captured_amount


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_no = models.PositiveIntegerField()
    line_item_id = models.CharField(
        "line item id",
        max_length=255,
        blank=True,
        db_default="",
        help_text="Amazon's cartItems[].lineItemId",
    )
    sku = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=4)
    unit = models.CharField(max_length=20, blank=True)
    unit_price = models.DecimalField(**MONEY)
    price = models.DecimalField(**MONEY)
    promotions = models.JSONField(default=list, blank=True)  # [{"name", "amount"}]
    discount = models.DecimalField(**MONEY, default=0)
    tax_rate = models.DecimalField(max_digits=7, decimal_places=5, default=0)
    tax = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["order", "line_no"]

    def __str__(self) -> str:
        return f"{self.sku} x {self.quantity}"


class OrderEvent(models.Model):
    """Append-only history: every status change or action, with who (or what) did it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    parameters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.type} on {self.order}"

    @property
    def label(self) -> str:
        return self.type.replace("_", " ").capitalize()


class TaxRate(BaseModel):
    """A store's sales tax per tax code (an empty code is the store's default rate)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="tax_rates")
    tax_code = models.CharField(max_length=255, blank=True)
    rate = models.DecimalField(max_digits=7, decimal_places=5, help_text="0.07 for 7 %")

    class Meta:
        ordering = ["store", "tax_code"]
        constraints = [models.UniqueConstraint(fields=["store", "tax_code"], name="taxrate_unique")]

    def __str__(self) -> str:
        return f"{self.store}: {self.tax_code or 'default'} {self.rate}"


class Promotion(BaseModel):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="promotions")
    name = models.CharField(max_length=100, help_text="Shown on the receipt.")
    kind = models.CharField(max_length=20, choices=PromotionKind.choices)
    sku = models.CharField("SKU", max_length=255, blank=True)
    category = models.CharField(max_length=255, blank=True)
    percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    amount = models.DecimalField(**MONEY, default=0)
    buy_qty = models.PositiveIntegerField(default=0)
    get_qty = models.PositiveIntegerField(default=0)
    threshold = models.DecimalField(**MONEY, default=0)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
