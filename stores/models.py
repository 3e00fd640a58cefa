import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q

from jwo_console.models import BaseModel

from .choices import (
    FA_RISK_FIELDS,
    DelegationMode,
    FaRiskAction,
    FraudAbuseStrategy,
    LoyaltyProvider,
    MappingChangeAction,
    PaymentMode,
    TripPolicy,
)

# Amazon's rule for a JWO store id: at most 255 characters of letters, digits, "_" and "-".
JWO_STORE_ID_MAX_LENGTH = 255
jwo_store_id_validator = RegexValidator(
    r"^[0-9a-zA-Z_-]+$",
    "Use only letters, digits, hyphens and underscores (Amazon's rule for a JWO store id).",
    code="invalid_jwo_store_id",
)
currency_validator = RegexValidator(
    r"^[A-Z]{3}$", "Use a 3-letter ISO 4217 code such as USD.", code="invalid_currency"
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError("%(value)s is not a known time zone.", params={"value": value})


def validate_email_list(value: str) -> None:
    """A comma-separated list of e-mail addresses (blank allowed)."""
    from django.core.validators import validate_email

    bad = []
    for address in (a.strip() for a in value.split(",")):
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError(
            "Not an e-mail address: %(bad)s. Separate addresses with commas.",
            params={"bad": ", ".join(bad)},
            code="invalid_email_list",
        )


def email_list(value: str) -> list[str]:
    return [a.strip() for a in value.split(",") if a.strip()]


def time_zone_choices() -> list[tuple[str, str]]:
    return sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz or tz == "UTC")


class Merchant(BaseModel):
    """The retailer that owns stores and a catalog."""

    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Store(BaseModel):
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="stores")
    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=50, unique=True)
    time_zone = models.CharField(
        max_length=64, choices=time_zone_choices, validators=[validate_time_zone]
    )
    currency = models.CharField(max_length=3, default="USD", validators=[currency_validator])
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class WebRegister(BaseModel):
    """A store's web register: the register JWO orders are booked to."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="web_registers")
    name = models.CharField(max_length=100)
    code = models.SlugField(max_length=50)

    class Meta:
        ordering = ["store__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "code"], name="webregister_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.store.name} · {self.name}"


def _fa_action(risk: str) -> models.CharField:
    return models.CharField(
        f"F&A: {risk}",
        max_length=10,
        choices=FaRiskAction.choices,
        default=FaRiskAction.DENY,
        help_text=f"When Amazon reports {'an' if risk[0] in 'aeiou' else 'a'} {risk} risk at "
        "card entry.",
    )


def _fa_preauth(risk: str) -> models.DecimalField:
    return models.DecimalField(
        f"F&A: {risk} pre-auth",
        max_digits=settings.MONEY_MAX_DIGITS,
        decimal_places=settings.MONEY_DECIMAL_PLACES,
        null=True,
        blank=True,
        help_text="The reduced pre-auth when the action is to admit with one.",
    )


class JwoStoreMapping(BaseModel):
    """Links one of our stores (and the web register its JWO orders go to) to an Amazon JWO store.

    One mapping per store; one use of a JWO store id. The web register must belong to the store.
    """

    store = models.OneToOneField(Store, on_delete=models.PROTECT, related_name="jwo_mapping")
    web_register = models.ForeignKey(WebRegister, on_delete=models.PROTECT, related_name="+")
    jwo_store_id = models.CharField(
        "JWO store ID",
        max_length=JWO_STORE_ID_MAX_LENGTH,
        unique=True,
        validators=[jwo_store_id_validator, MaxLengthValidator(JWO_STORE_ID_MAX_LENGTH)],
        error_messages={"unique": "This JWO store ID is already mapped to another store."},
        help_text="The store's ID as Amazon gave it to you.",
    )
    loyalty_provider = models.CharField(max_length=20, choices=LoyaltyProvider.choices)
    delegation_mode = models.CharField(
        max_length=10, choices=DelegationMode.choices, default=DelegationMode.ORDER
    )
    payment_mode = models.CharField(
        max_length=20, choices=PaymentMode.choices, default=PaymentMode.PAYMENT_SERVICE
    )
    fa_strategy = models.CharField(
        "F&A strategy",
        max_length=20,
        choices=FraudAbuseStrategy.choices,
        default=FraudAbuseStrategy.AMAZON_MANAGED,
        help_text="Who decides whether a card-entry shopper with an unpaid trip may enter.",
    )
    preauth_amount = models.DecimalField(
        "pre-auth amount",
        max_digits=settings.MONEY_MAX_DIGITS,
        decimal_places=settings.MONEY_DECIMAL_PLACES,
        default=Decimal("25.00"),
        help_text="The gate's Authorized Amount, as set in Amazon's Merchant Portal (Store Setup). "
        "A late payment retry captures at most this much.",
    )
    refund_auto_approve_limit = models.DecimalField(
        "approve shoppers' refunds up to",
        max_digits=settings.MONEY_MAX_DIGITS,
        decimal_places=settings.MONEY_DECIMAL_PLACES,
        default=Decimal("0.00"),
        help_text="A refund a shopper asks for in the portal up to this amount is approved and "
        "sent at once; above it, staff decide. 0 sends every request to staff.",
    )
    # F&A policy (retailer-managed card entry): per risk Amazon reports, deny, admit, or admit
    # with a reduced pre-auth (the amount next to it).
    fa_invalid_card = _fa_action("invalid card")
    fa_invalid_card_preauth = _fa_preauth("invalid card")
    fa_expired_card = _fa_action("expired card")
    fa_expired_card_preauth = _fa_preauth("expired card")
    fa_customer_fraud = _fa_action("fraud")
    fa_customer_fraud_preauth = _fa_preauth("fraud")
    fa_bad_debt = _fa_action("bad debt")
    fa_bad_debt_preauth = _fa_preauth("bad debt")
    associate_trips = models.CharField(
        "associates' trips",
        max_length=10,
        choices=TripPolicy.choices,
        default=TripPolicy.NO_CHARGE,
        help_text="What happens to a trip of an associate (shown on the order).",
    )
    cash_trips = models.CharField(
        "cash shoppers' trips",
        max_length=10,
        choices=TripPolicy.choices,
        default=TripPolicy.REGISTER,
        help_text="What happens to a trip of a shopper who pays cash (shown on the order).",
    )
    alert_emails = models.CharField(
        "alert e-mails",
        max_length=1000,
        blank=True,
        validators=[validate_email_list],
        help_text="Who is e-mailed when an alert about this store opens (comma-separated). "
        "Blank: the house-wide ALERT_EMAILS.",
    )
    entry_app = models.BooleanField("app entry (QR code)", default=True)
    entry_card = models.BooleanField("card entry (tap)", default=True)
    is_active = models.BooleanField("active", default=True)

    class Meta:
        ordering = ["store__name"]
        verbose_name = "JWO store mapping"
        constraints = [
            models.CheckConstraint(
                condition=Q(entry_app=True) | Q(entry_card=True),
                name="jwostoremapping_has_entry_method",
                violation_error_message="Choose at least one entry method (app or card).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.store.name} → {self.jwo_store_id}"

    def fa_policy(self, risk: str) -> tuple[str, Decimal | None]:
        """(action, reduced pre-auth) for one of Amazon's risks; a risk the policy does not
        name (one admitted by a setting) is approved."""
        field = FA_RISK_FIELDS.get(risk)
        if field is None:
            return FaRiskAction.APPROVE, None
        return getattr(self, field), getattr(self, f"{field}_preauth")

    def trip_policy(self, visitor_type: str) -> str:
        return {"ASSOCIATE": self.associate_trips, "CASH": self.cash_trips}.get(
            visitor_type, TripPolicy.CHARGE
        )

    def clean(self) -> None:
        super().clean()
        errors = {}
        for field in FA_RISK_FIELDS.values():
            amount = getattr(self, f"{field}_preauth")
            if getattr(self, field) == FaRiskAction.ADJUST and amount is None:
                errors[f"{field}_preauth"] = "Give the reduced pre-auth for this risk."
            elif amount is not None and amount <= 0:
                errors[f"{field}_preauth"] = "A pre-auth must be above zero."
            elif amount is not None and self.preauth_amount and amount > self.preauth_amount:
                errors[f"{field}_preauth"] = "A reduced pre-auth must not exceed the pre-auth."
        if errors:
            raise ValidationError(errors)
        if self.store_id and self.web_register_id:
            register_store = (
                WebRegister.objects.filter(pk=self.web_register_id)
                .values_list("store_id", flat=True)
                .first()
            )
            if register_store != self.store_id:
                raise ValidationError(
                    {"web_register": "Choose a web register of the selected store."}
                )

    def _money(self, amount: Decimal | None) -> str:
        return "" if amount is None else f"{amount:.2f} {self.store.currency}"

    def snapshot(self) -> dict[str, str | bool]:
        """What the audit trail records of this mapping: readable labels, not ids."""
        return {
            "store": self.store.name,
            "web_register": self.web_register.name,
            "jwo_store_id": self.jwo_store_id,
            "loyalty_provider": self.get_loyalty_provider_display(),
            "delegation_mode": self.get_delegation_mode_display(),
            "payment_mode": self.get_payment_mode_display(),
            "fa_strategy": self.get_fa_strategy_display(),
            "preauth_amount": f"{self.preauth_amount:.2f} {self.store.currency}",
            "refund_auto_approve_limit": f"{self.refund_auto_approve_limit:.2f} "
            f"{self.store.currency}",
            **{field: getattr(self, f"get_{field}_display")() for field in FA_RISK_FIELDS.values()},
            **{
                f"{field}_preauth": self._money(getattr(self, f"{field}_preauth"))
                for field in FA_RISK_FIELDS.values()
            },
            "associate_trips": self.get_associate_trips_display(),
            "cash_trips": self.get_cash_trips_display(),
            "alert_emails": self.alert_emails,
            "entry_app": self.entry_app,
            "entry_card": self.entry_card,
            "is_active": self.is_active,
        }


class JwoStoreMappingChange(models.Model):
    """Append-only audit trail: who changed which mapping when, before → after."""

    mapping = models.ForeignKey(
        JwoStoreMapping, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes"
    )
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="jwo_mapping_changes")
    action = models.CharField(max_length=10, choices=MappingChangeAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "JWO store mapping change"

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.store} by {self.actor or 'system'}"

    def changed_fields(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field whose value differs."""
        before, after = self.before or {}, self.after or {}
        keys = list(dict.fromkeys([*before.keys(), *after.keys()]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]

    def changed_fields_display(self) -> list[tuple[str, object, object]]:
        """``changed_fields`` for people: field labels, and Yes / No for switches."""

        def show(value: object) -> object:
            return (
                {True: "Yes", False: "No"}.get(value, value) if isinstance(value, bool) else value
            )

        rows = []
        for field, before, after in self.changed_fields():
            label = str(JwoStoreMapping._meta.get_field(field).verbose_name)
            rows.append((label[:1].upper() + label[1:], show(before), show(after)))
        return rows
