from django.db.models import QuerySet

from stores.models import Store

from .models import ConnectivityRun

HISTORY_SHOWN = 10


def connectivity_runs_of_store(*, store: Store) -> QuerySet[ConnectivityRun]:
    return ConnectivityRun.objects.filter(store=store).select_related("requested_by", "store")
