import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

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
    for attempt in range(2):
        try:
            with transaction.atomic():
                thresholds = AlertThresholds.objects.select_for_update().filter(
                    store=store
                ).first() or AlertThresholds(store=store)
                for field, value in values.items():
                    setattr(thresholds, field, value)
                thresholds.full_clean(validate_unique=False)  # ValidationError: nothing saved
                thresholds.save()
            break
        except IntegrityError:
            if attempt:  # pragma: no cover (a third save cannot create the row again)
                raise
            # another first save created the row at this very moment: lock it, apply ours
    logger.info(
        "alert thresholds saved",
        extra={"store_id": store.pk, "actor_id": actor and actor.pk, **values},
    )
    return thresholds
