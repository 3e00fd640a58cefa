from django.db.models import Case, IntegerField, QuerySet, Value, When

from .choices import AlertStatus
from .models import Alert


def alert_list(*, status: str = "", kind: str = "", store_id: int | None = None) -> QuerySet[Alert]:
    """Open first, then acknowledged, then resolved; newest activity first within each."""
    qs = Alert.objects.select_related("store", "acknowledged_by").annotate(
        status_rank=Case(
            When(status=AlertStatus.OPEN, then=Value(0)),
            When(status=AlertStatus.ACKNOWLEDGED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    )
    if status == "unresolved":
        qs = qs.exclude(status=AlertStatus.RESOLVED)
    elif status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if store_id is not None:
        qs = qs.filter(store_id=store_id)
    return qs.order_by("status_rank", "-last_seen_at", "-pk")


def alert_kinds_seen() -> list[str]:
    return list(Alert.objects.order_by().values_list("kind", flat=True).distinct())


def alert_open_count() -> int:
    return Alert.objects.filter(status=AlertStatus.OPEN).count()
