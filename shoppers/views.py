from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jwo_console.exceptions import ApplicationError
from stores.models import JwoStoreMapping

from .choices import GateReason
from .models import GateDecision
from .services import scan_key_issue, shopper_by_app_token


@csrf_exempt
@login_not_required
@require_POST
def app_scan_key(request: HttpRequest) -> JsonResponse:
    """The retailer's app asks for a fresh Scan Key Code (``Authorization: Bearer <token>``)."""
    header = request.headers.get("Authorization", "")
    token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    shopper = shopper_by_app_token(token)
    if shopper is None:
        return JsonResponse({"message": "Sign in to the app again."}, status=401)
    try:
        issued = scan_key_issue(shopper=shopper)
    except ApplicationError as exc:
        return JsonResponse({"message": exc.message}, status=403)
    return JsonResponse(
        {
            "code": issued.code,
            "issuedAt": issued.issued_at.isoformat(),
            "expiresAt": issued.expires_at.isoformat(),
        },
        status=201,
    )


@permission_required("shoppers.view_gatedecision", raise_exception=True)
def gate_activity(request: HttpRequest) -> HttpResponse:
    decisions = GateDecision.objects.select_related("shopper")
    store, outcome, reason = (request.GET.get(k, "") for k in ("store", "outcome", "reason"))
    if store:
        decisions = decisions.filter(jwo_store_id=store)
    if outcome in ("admitted", "refused"):
        decisions = decisions.filter(admitted=outcome == "admitted")
    if reason:
        decisions = decisions.filter(reason=reason)
    page = Paginator(decisions, 50).get_page(request.GET.get("page"))
    mapped = {
        jwo_id: (name, zone)
        for jwo_id, name, zone in JwoStoreMapping.objects.values_list(
            "jwo_store_id", "store__name", "store__time_zone"
        )
    }
    zones = {jwo_id: zone for jwo_id, (_, zone) in mapped.items()}
    for decision in page.object_list:
        decision.zone = zones.get(decision.jwo_store_id, "UTC")
        decision.store_name = mapped.get(decision.jwo_store_id, ("", ""))[0]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "shoppers/gate_activity.html",
        {
            "page": page,
            "stores": sorted(
                ((jwo_id, name) for jwo_id, (name, _) in mapped.items()), key=lambda s: s[1]
            ),
            "reasons": GateReason.choices,
            "store": store,
            "outcome": outcome,
            "reason": reason,
            "query": query.urlencode(),
        },
    )
