"""Every write to stores and their JWO mappings, with the audit trail."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from jwo_console.exceptions import ConflictError

from .choices import (
    DelegationMode,
    FraudAbuseStrategy,
    MappingChangeAction,
    PaymentMode,
)
from .models import JwoStoreMapping, JwoStoreMappingChange, Store, WebRegister

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MappingInput:
    """One row of the mapping page (the + row), as the service receives it."""

    store: Store
    web_register: WebRegister
    jwo_store_id: str
    loyalty_provider: str
    delegation_mode: str = DelegationMode.ORDER
    payment_mode: str = PaymentMode.PAYMENT_SERVICE
    fa_strategy: str = FraudAbuseStrategy.AMAZON_MANAGED
    entry_app: bool = True
    entry_card: bool = True
    is_active: bool = True


class MappingRowsInvalid(ValidationError):
    """Some rows failed validation. ``row_errors`` maps the row's index to its ValidationError."""

    def __init__(self, row_errors: dict[int, ValidationError]) -> None:
        super().__init__("Some rows are not valid; nothing was saved.")
        self.row_errors = row_errors


_MUTABLE_FIELDS = (
    "web_register",
    "jwo_store_id",
    "loyalty_provider",
    "delegation_mode",
    "payment_mode",
    "fa_strategy",
    "preauth_amount",
    "refund_auto_approve_limit",
    "fa_invalid_card",
    "fa_invalid_card_preauth",
    "fa_expired_card",
    "fa_expired_card_preauth",
    "fa_customer_fraud",
    "fa_customer_fraud_preauth",
    "fa_bad_debt",
    "fa_bad_debt_preauth",
    "associate_trips",
    "cash_trips",
    "alert_emails",
    "stock_source",
    "stock_restore_unpaid",
    "stock_return_refunds",
    "entry_app",
    "entry_card",
    "is_active",
)


def _record_change(
    *,
    mapping: JwoStoreMapping | None,
    store: Store,
    action: str,
    actor: AbstractBaseUser | None,
    before: dict | None,
    after: dict | None,
) -> JwoStoreMappingChange:
    return JwoStoreMappingChange.objects.create(
        mapping=mapping, store=store, action=action, actor=actor, before=before, after=after
    )


def _conflict_from_integrity(exc: IntegrityError) -> ConflictError:
    return ConflictError(
        "Another change got there first: that store or JWO store ID is already mapped. "
        "Reload the page and try again.",
        extra={"db_error": exc.__class__.__name__},
    )


def jwo_store_mappings_create(
    *, rows: Sequence[MappingInput], actor: AbstractBaseUser | None
) -> list[JwoStoreMapping]:
    """Create all ``rows`` in one transaction, or none of them.

    Every row is validated (field rules, the web register belongs to the store, a store and a
    JWO store id used once, also across the rows themselves) before anything is written. Invalid
    rows raise ``MappingRowsInvalid`` with each row's errors; a concurrent insert that beats us
    to a unique value raises ``ConflictError``.
    """
    mappings = [JwoStoreMapping(**row.__dict__) for row in rows]
    errors: dict[int, ValidationError] = {}
    seen_stores: dict[int, int] = {}
    seen_ids: dict[str, int] = {}
    for index, mapping in enumerate(mappings):
        row_errors: dict[str, list[str]] = {}
        try:
            mapping.full_clean()
        except ValidationError as exc:
            row_errors.update(exc.message_dict)
        if mapping.store_id in seen_stores:
            row_errors.setdefault("store", []).append(
                f"This store is already chosen in row {seen_stores[mapping.store_id] + 1}."
            )
        if mapping.jwo_store_id and mapping.jwo_store_id in seen_ids:
            row_errors.setdefault("jwo_store_id", []).append(
                f"This JWO store ID is already used in row {seen_ids[mapping.jwo_store_id] + 1}."
            )
        seen_stores.setdefault(mapping.store_id, index)
        if mapping.jwo_store_id:
            seen_ids.setdefault(mapping.jwo_store_id, index)
        if row_errors:
            errors[index] = ValidationError(row_errors)
    if errors:
        raise MappingRowsInvalid(errors)

    try:
        with transaction.atomic():
            for mapping in mappings:
                mapping.save()
                _record_change(
                    mapping=mapping,
                    store=mapping.store,
                    action=MappingChangeAction.CREATED,
                    actor=actor,
                    before=None,
                    after=mapping.snapshot(),
                )
    except IntegrityError as exc:
        raise _conflict_from_integrity(exc) from exc
    for mapping in mappings:
        logger.info(
            "jwo mapping created",
            extra={"store_id": mapping.store_id, "jwo_store_id": mapping.jwo_store_id},
        )
    return mappings


def jwo_store_mapping_update(
    *, mapping: JwoStoreMapping, data: dict, actor: AbstractBaseUser | None
) -> JwoStoreMapping:
    """Change a mapping's fields (not its store) and record before → after.

    Saving with no actual change writes nothing and records nothing.
    """
    unknown = set(data) - set(_MUTABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    try:
        with transaction.atomic():
            locked = JwoStoreMapping.objects.select_for_update().get(pk=mapping.pk)
            before = locked.snapshot()
            for field, value in data.items():
                setattr(locked, field, value)
            locked.full_clean()
            after = locked.snapshot()
            if before == after:
                return locked
            locked.save(update_fields=[*data.keys(), "updated_at"])
            _record_change(
                mapping=locked,
                store=locked.store,
                action=MappingChangeAction.UPDATED,
                actor=actor,
                before=before,
                after=after,
            )
    except IntegrityError as exc:
        raise _conflict_from_integrity(exc) from exc
    logger.info(
        "jwo mapping updated",
        extra={"store_id": locked.store_id, "jwo_store_id": locked.jwo_store_id},
    )
    return locked


@transaction.atomic
def jwo_store_mapping_delete(*, mapping: JwoStoreMapping, actor: AbstractBaseUser | None) -> None:
    """Remove a mapping; the audit trail keeps what it was."""
    locked = (
        JwoStoreMapping.objects.select_for_update(of=("self",))
        .select_related("store")
        .get(pk=mapping.pk)
    )
    _record_change(
        mapping=None,
        store=locked.store,
        action=MappingChangeAction.DELETED,
        actor=actor,
        before=locked.snapshot(),
        after=None,
    )
    store_id, jwo_store_id = locked.store_id, locked.jwo_store_id
    locked.delete()
    logger.info("jwo mapping removed", extra={"store_id": store_id, "jwo_store_id": jwo_store_id})
