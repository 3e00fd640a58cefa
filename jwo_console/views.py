from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import check_broker, check_database, check_worker


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 otherwise; the worker is informational."""
    database, broker, worker = check_database(), check_broker(), check_worker()
    ok = database.ok and broker.ok
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": {
            "database": {"ok": database.ok, "detail": database.detail},
            "broker": {"ok": broker.ok, "detail": broker.detail},
            "worker": {"ok": worker.ok, "detail": worker.detail},
        },
    }
    return JsonResponse(body, status=200 if ok else 503)


@login_not_required
@never_cache
def livez(request: HttpRequest) -> JsonResponse:
    """Liveness for a load balancer: the process answers; no database or broker is touched."""
    return JsonResponse({"status": "alive"})
