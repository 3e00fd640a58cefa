"""YinzCam and VenueNext, played by the sandbox (the shape integrations/loyalty speaks).

Codes ``LOYALTY`` + 6 digits are members; the last digit sets the tier: 0-2 GOLD (10 % off),
3-5 SILVER (5 %), 6-9 BRONZE (0 %). ``LOYALTYX…`` codes are unknown. The API key must match
``SANDBOX_LOYALTY_API_KEY``.
"""

import json
import re

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

PREFIX = {"yinzcam": "yz", "venuenext": "vn"}
CODE = re.compile(r"^LOYALTY(\d{6})$")
MEMBER = re.compile(r"^(yz|vn)-(\d{6})$")


def _member(provider: str, digits: str) -> dict:
    last = int(digits[-1])
    tier, percent = (
        ("GOLD", "10") if last <= 2 else ("SILVER", "5") if last <= 5 else ("BRONZE", "0")
    )
    return {"memberId": f"{PREFIX[provider]}-{digits}", "tier": tier, "discountPercent": percent}


def _authorized(request: HttpRequest) -> bool:
    return request.headers.get("X-Api-Key") == settings.SANDBOX_LOYALTY_API_KEY


@csrf_exempt
@login_not_required
def resolve(request: HttpRequest, provider: str) -> JsonResponse:
    if provider not in PREFIX or request.method != "POST":
        return JsonResponse({"message": "not found"}, status=404)
    if not _authorized(request):
        return JsonResponse({"message": "bad API key"}, status=401)
    try:
        code = str(json.loads(request.body).get("code", ""))
    except (ValueError, AttributeError):
        return JsonResponse({"message": "body must be {code}"}, status=400)
    match = CODE.match(code)
    if not match:
        return JsonResponse({"message": "unknown code"}, status=404)
    return JsonResponse(_member(provider, match[1]))


@csrf_exempt
@login_not_required
def member(request: HttpRequest, provider: str, member_id: str) -> JsonResponse:
    if provider not in PREFIX:
        return JsonResponse({"message": "not found"}, status=404)
    if not _authorized(request):
        return JsonResponse({"message": "bad API key"}, status=401)
    match = MEMBER.match(member_id)
    if not match or match[1] != PREFIX[provider]:
        return JsonResponse({"message": "unknown member"}, status=404)
    return JsonResponse(_member(provider, match[2]))
