"""What the sandbox, playing Amazon, remembers. Nothing here is imported by the console:
the two talk over HTTP only, exactly as the console and Amazon do."""

from decimal import Decimal

from django.db import models


class SandboxStore(models.Model):
    """A store as Amazon knows it: its id, its retailer and the gate's pre-auth amount."""

    store_id = models.CharField(max_length=255, unique=True)
    retailer = models.CharField(max_length=100, default="default")
    preauth_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("25.00"))
    currency = models.CharField(max_length=3, default="USD")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store_id"]

    def __str__(self) -> str:
        return self.store_id


class CardProfile(models.TextChoices):
    OK = "OK", "Approves"
    NSF = "NSF", "Insufficient funds above a limit"
    DECLINE = "DECLINE", "Always declines"
    PENDING_ONCE = "PENDING_ONCE", "Pending once, then approves"


class SandboxTrip(models.Model):
    """A shopping trip with its gate pre-auth and everything the payment service did to it."""

    store_id = models.CharField(max_length=255, db_index=True)
    trip_id = models.CharField(max_length=255, unique=True)
    entry = models.CharField(max_length=20, default="CARD")  # CARD or APP
    card_profile = models.CharField(max_length=20, choices=CardProfile.choices, default="OK")
    nsf_limit = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    preauth_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("25.00"))
    authorized_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    adjusted_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    last_adjust_status = models.CharField(max_length=20, blank=True)
    pending_served = models.BooleanField(default=False)
    captured_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    capture_replays = models.PositiveIntegerField(default=0)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    cancelled = models.BooleanField(default=False)
    # the gate stayed closed: no trip happened, so Amazon's reports never show it
    gate_refused = models.BooleanField(default=False)
    shopper_id = models.CharField(max_length=255, blank=True)
    shopper_email = models.CharField(max_length=128, blank=True)
    card_brand = models.CharField(max_length=20, default="VISA")
    card_tail = models.CharField(max_length=4, default="4242")
    cart = models.JSONField(default=list, blank=True)  # [{"id": sku, "quantity": "1.0"}]
    outstanding_amount = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0")
    )  # what the retailer reported as unpaid (feedback API)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.trip_id

    @property
    def capturable_amount(self) -> Decimal:
        """Approved adjust: what it authorized. Otherwise the gate's pre-auth still stands."""
        if self.last_adjust_status == "APPROVED":
            return self.authorized_amount
        return self.preauth_amount


class SandboxRefund(models.Model):
    trip = models.ForeignKey(SandboxTrip, on_delete=models.CASCADE, related_name="refunds")
    refund_request_id = models.CharField(max_length=36, unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason_code = models.CharField(max_length=20)
    reconciliation_id = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"refund {self.refund_request_id} {self.amount}"


class SandboxCheckoutOrder(models.Model):
    trip_id = models.CharField(max_length=255, unique=True)
    store_id = models.CharField(max_length=255)
    order_id = models.CharField(max_length=64, unique=True)
    payload_hash = models.CharField(max_length=64)
    price_total = models.DecimalField(max_digits=12, decimal_places=2)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.order_id


class SandboxPaymentReport(models.Model):
    trip = models.ForeignKey(SandboxTrip, on_delete=models.CASCADE, related_name="reports")
    total_amount = models.DecimalField(max_digits=12, decimal_places=2)
    settled_amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    payment_status_time = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.trip} settled {self.settled_amount}/{self.total_amount}"


class SandboxCatalogItem(models.Model):
    """An item Amazon accepted for a store (what the gate simulator builds carts from)."""

    store_id = models.CharField(max_length=255)
    item_sku = models.CharField(max_length=255)
    item_name = models.CharField(max_length=255)
    external_product_id = models.CharField(max_length=255)
    standard_price = models.CharField(max_length=20, blank=True)
    archived = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["store_id", "item_sku"]
        constraints = [
            models.UniqueConstraint(fields=["store_id", "item_sku"], name="sandbox_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.store_id}/{self.item_sku}"


class SandboxCatalogUpload(models.Model):
    KIND_CHOICES = [("UPLOAD", "Upload"), ("ARCHIVE", "Archive")]

    ingestion_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10, choices=KIND_CHOICES)
    item_count = models.PositiveIntegerField()
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    report = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.ingestion_id}"


class SandboxCall(models.Model):
    """Every request the sandbox received, stored before it is answered."""

    service = models.CharField(max_length=20)
    operation = models.CharField(max_length=50)
    path = models.CharField(max_length=300)
    headers = models.JSONField(default=dict)
    body = models.TextField(blank=True)
    signature_ok = models.BooleanField(default=False)
    status = models.PositiveSmallIntegerField(null=True)
    response = models.TextField(blank=True)
    fault = models.CharField(max_length=20, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.operation} {self.status}"


class FaultKind(models.TextChoices):
    LATENCY = "LATENCY", "Added latency"
    THROTTLE = "429", "429 with Retry-After"
    ERROR_500 = "500", "500 Internal Server Error"
    ERROR_503 = "503", "503 Service Unavailable"
    TIMEOUT = "TIMEOUT", "No answer (hangs; the call never arrives)"
    ANSWER_LOST = "LOST", "Done, answer lost (the call is carried out, then hangs)"
    READ_BLIND = "BLIND", "Read knows nothing (200 with an empty body)"


class SandboxFault(models.Model):
    """A fault to inject into matching calls: ``remaining`` times (null = until removed)."""

    service = models.CharField(max_length=20, default="*")
    operation = models.CharField(max_length=50, default="*")
    kind = models.CharField(max_length=10, choices=FaultKind.choices)
    remaining = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    retry_after = models.PositiveIntegerField(default=1)
    # only calls about this shopping trip (its shoppingTripId in the body); blank: any call
    trip_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        left = "∞" if self.remaining is None else self.remaining
        trip = f" for trip {self.trip_id}" if self.trip_id else ""
        return f"{self.get_kind_display()} on {self.service}/{self.operation}{trip} ({left} left)"


class SandboxPaymentSession(models.Model):
    """The card processor's hosted payment session (the portal's payoff), as the sandbox keeps
    it. Only the brand and the last four digits of the card typed on its page are kept."""

    session_id = models.CharField(max_length=40, unique=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    reference = models.CharField(max_length=200)
    description = models.CharField(max_length=200, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    return_url = models.CharField(max_length=500)
    cancel_url = models.CharField(max_length=500)
    status = models.CharField(max_length=10, default="OPEN")  # OPEN, PAID, EXPIRED
    payment_id = models.CharField(max_length=40, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    declines = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.session_id} {self.amount} {self.currency} {self.status}"


class SandboxEmail(models.Model):
    """An e-mail the console sent while the sandbox is on (``sandbox.mail.OutboxBackend``), so a
    developer reads sign-in links, receipts and refund news on the Outbox page."""

    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)
    from_email = models.CharField(max_length=254, blank=True)
    to = models.CharField(max_length=1000)
    subject = models.CharField(max_length=500, blank=True)
    body = models.TextField(blank=True)
    html = models.TextField(blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"

    @property
    def links(self) -> list[str]:
        """The links in the text (a sign-in link first of all)."""
        import re

        return list(dict.fromkeys(re.findall(r"https?://[^\s<>\"']+", self.body)))
