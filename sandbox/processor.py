"""The retailer's card processor, played by the sandbox: a hosted payment page for portal
payoffs (integrations/processor/client.py describes the flow and the wire shape).

API (``Authorization: Bearer SANDBOX_PROCESSOR_API_KEY``):
``POST v1/sessions`` (``Idempotency-Key`` replays the same session), ``GET v1/sessions/<id>``,
``POST v1/sessions/<id>/expire``. The page ``pay/<id>`` takes a card; test cards:
``4242 4242 4242 4242`` pays, ``4000 0000 0000 0002`` is declined (the page says so and the
session stays open). Any other number that passes the Luhn check pays.
"""

import secrets
from decimal import Decimal, InvalidOperation

import simplejson
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .models import SandboxPaymentSession

DECLINED_CARD = "4000000000000002"


def _json(status: int, payload: dict) -> HttpResponse:
    return HttpResponse(
        simplejson.dumps(payload, use_decimal=True), status=status, content_type="application/json"
    )


def _wire(session: SandboxPaymentSession, request: HttpRequest) -> dict:
    return {
        "id": session.session_id,
        "url": _page_url(request, session),
        "status": session.status,
        "amount": f"{session.amount:.2f}",
        "currency": session.currency,
        "reference": session.reference,
        "paymentId": session.payment_id or None,
        "cardBrand": session.card_brand or None,
        "cardLast4": session.card_last4 or None,
    }


def _page_url(request: HttpRequest, session: SandboxPaymentSession) -> str:
    from django.urls import reverse

    return request.build_absolute_uri(reverse("sandbox:processor-page", args=[session.session_id]))


def _authorized(request: HttpRequest) -> bool:
    expected = f"Bearer {settings.SANDBOX_PROCESSOR_API_KEY}"
    return secrets.compare_digest(request.headers.get("Authorization", ""), expected)


@csrf_exempt
@login_not_required
@require_http_methods(["POST"])
def create_session(request: HttpRequest) -> HttpResponse:
    if not _authorized(request):
        return _json(401, {"message": "missing or wrong API key"})
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        return _json(400, {"message": "Idempotency-Key header is required"})
    try:
        data = simplejson.loads(request.body or b"{}", use_decimal=True)
        amount = Decimal(str(data["amount"]))
        currency = str(data["currency"])
        return_url, cancel_url = str(data["returnUrl"]), str(data["cancelUrl"])
    except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
        return _json(400, {"message": f"bad request: {exc}"})
    if amount <= 0 or len(currency) != 3:
        return _json(400, {"message": "amount must be positive and currency 3 letters"})
    existing = SandboxPaymentSession.objects.filter(idempotency_key=key).first()
    if existing is None:
        try:
            with transaction.atomic():
                existing = SandboxPaymentSession.objects.create(
                    session_id=f"cs_{secrets.token_hex(12)}",
                    idempotency_key=key,
                    reference=str(data.get("reference", ""))[:200],
                    description=str(data.get("description", ""))[:200],
                    amount=amount,
                    currency=currency,
                    return_url=return_url[:500],
                    cancel_url=cancel_url[:500],
                )
        except IntegrityError:
            existing = SandboxPaymentSession.objects.get(idempotency_key=key)
    elif existing.amount != amount or existing.currency != currency:
        return _json(409, {"message": "Idempotency-Key reused with another amount"})
    return _json(200, _wire(existing, request))


@csrf_exempt
@login_not_required
@require_http_methods(["GET"])
def get_session(request: HttpRequest, session_id: str) -> HttpResponse:
    if not _authorized(request):
        return _json(401, {"message": "missing or wrong API key"})
    session = SandboxPaymentSession.objects.filter(session_id=session_id).first()
    if session is None:
        return _json(404, {"message": "no such session"})
    return _json(200, _wire(session, request))


@csrf_exempt
@login_not_required
@require_http_methods(["POST"])
def expire_session(request: HttpRequest, session_id: str) -> HttpResponse:
    if not _authorized(request):
        return _json(401, {"message": "missing or wrong API key"})
    with transaction.atomic():
        session = (
            SandboxPaymentSession.objects.select_for_update().filter(session_id=session_id).first()
        )
        if session is None:
            return _json(404, {"message": "no such session"})
        if session.status == "OPEN":
            session.status = "EXPIRED"
            session.save(update_fields=["status"])
    return _json(200, _wire(session, request))


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return total % 10 == 0


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "VISA"
    if number[:2] in {"51", "52", "53", "54", "55"} or number[:2] == "22":
        return "MASTERCARD"
    if number[:2] in {"34", "37"}:
        return "AMEX"
    return "DISCOVER" if number.startswith("6") else "CARD"


class CardForm(forms.Form):
    number = forms.CharField(label="Card number", max_length=23)
    expiry = forms.RegexField(
        label="Expiry (MM/YY)", regex=r"^(0[1-9]|1[0-2])\s*/\s*\d{2}$", max_length=7
    )
    cvc = forms.RegexField(label="Security code", regex=r"^\d{3,4}$", max_length=4)
    name = forms.CharField(label="Name on card", max_length=100)

    def clean_number(self) -> str:
        number = "".join(self.cleaned_data["number"].split())
        if not number.isdigit() or not 12 <= len(number) <= 19 or not luhn_ok(number):
            raise forms.ValidationError("Enter a valid card number.")
        return number


@login_not_required
@require_http_methods(["GET", "POST"])
def payment_page(request: HttpRequest, session_id: str) -> HttpResponse:
    """The processor's own page (another origin in real life): the card is typed here."""
    session = get_object_or_404(SandboxPaymentSession, session_id=session_id)
    form = CardForm(request.POST or None)
    error = ""
    if session.status == "PAID":
        return HttpResponseRedirect(_with_session(session.return_url, session))
    if session.status != "OPEN":
        error = "This payment page has expired. Go back and start again."
    elif request.method == "POST" and form.is_valid():
        number = form.cleaned_data["number"]
        with transaction.atomic():
            locked = SandboxPaymentSession.objects.select_for_update().get(pk=session.pk)
            if locked.status == "OPEN" and number == DECLINED_CARD:
                locked.declines += 1
                locked.save(update_fields=["declines"])
                error = "Your card was declined. Try another card."
            elif locked.status == "OPEN":
                locked.status = "PAID"
                locked.payment_id = f"pay_{secrets.token_hex(10)}"
                locked.card_brand = brand_of(number)
                locked.card_last4 = number[-4:]
                locked.paid_at = timezone.now()
                locked.save()
        if not error:
            return HttpResponseRedirect(_with_session(session.return_url, session))
    return render(
        request,
        "sandbox/processor_page.html",
        {"session": session, "form": form, "error": error},
    )


def _with_session(url: str, session: SandboxPaymentSession) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}session_id={session.session_id}"
