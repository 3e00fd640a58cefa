from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from .health import check_broker, check_database, check_worker


@csrf_exempt  # a probe or a scraper has no CSRF token: a POST gets 405, not 403
@login_not_required
@never_cache
@require_safe
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


@csrf_exempt  # a probe or a scraper has no CSRF token: a POST gets 405, not 403
@login_not_required
@never_cache
@require_safe
def livez(request: HttpRequest) -> JsonResponse:
    """Liveness for a load balancer: the process answers; no database or broker is touched."""
    return JsonResponse({"status": "alive"})


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403 inside the layout the user was in: the console's (with its navigation) or the
    portal's. Machine endpoints (Amazon's paths, the sandbox's APIs) get JSON."""
    path = request.path
    if path.startswith(("/v1/", "/shoppers/app/")) or "/v1/" in path:
        return JsonResponse({"message": "Forbidden"}, status=403)
    template = "portal/403.html" if path.startswith("/portal/") else "403.html"
    return render(request, template, status=403)
