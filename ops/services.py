import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from stores.models import Store

from .models import AlertThresholds

logger = logging.getLogger(__name__)

THRESHOLD_FIELDS = (
    "orders_in_error_max",
    "payment_pending_minutes",
    "preauth_warn_hours",
    "catalog_rejected_max",
    "connector_5xx_max",
    "connector_window_minutes",
)


def alert_thresholds_update(
    *, store: Store, data: dict, actor: AbstractBaseUser | None
) -> AlertThresholds:
    """Save a store's thresholds (creating its row on the first save)."""
    values = {field: data[field] for field in THRESHOLD_FIELDS if field in data}
    with transaction.atomic():
        thresholds = AlertThresholds.objects.select_for_update().filter(
            store=store
        ).first() or AlertThresholds(store=store)
        for field, value in values.items():
            setattr(thresholds, field, value)
        thresholds.full_clean()  # ValidationError: nothing saved
        thresholds.save()
    logger.info(
        "alert thresholds saved",
        extra={"store_id": store.pk, "actor_id": actor and actor.pk, **values},
    )
    return thresholds
