"""The shopper portal's pages (mobile first). Thin: parse, call a service, render. Every order
is fetched through ``selectors.orders_for`` (scoped to the signed-in shopper), so another
shopper's id in a URL or a form finds nothing and answers 404."""

import functools
from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from jwo_console.exceptions import ApplicationError
from jwo_console.paginator import CappedPaginator
from payments import payoffs
from payments import services as payments
from payments.choices import PayoffStatus, RefundStatus
from payments.models import Payoff
from shoppers import ledger

from . import access, selectors, services
from .forms import CardLookupForm, EmailForm, ReceiptFilterForm, RefundForm
from .pdf import receipt_pdf

PAGE_SIZE = 20


class TripsPaginator(CappedPaginator):
    cap = 1_000  # 50 pages; past them a shopper searches by date or id


BALANCE_ROWS = 50  # the balance page lists this many unpaid trips, then says how many more


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def portal_view(view: Callable) -> Callable:
    """Open to shoppers (no staff login), never cached."""
    return login_not_required(never_cache(view))


def shopper_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.portal = access.current(request)
        if not request.portal.signed_in:
            if getattr(request, "portal_expired", False):
                messages.info(request, "Your session ended. Sign in again to carry on.")
            return redirect("portal:start")
        return view(request, *args, **kwargs)

    return portal_view(wrapper)


def _order_or_404(request: HttpRequest, purchase_id: str):
    order = selectors.order_for(request.portal, purchase_id)
    if order is None:
        raise Http404("No such receipt.")
    return order


# --- signing in -----------------------------------------------------------------------------------


@portal_view
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    if access.current(request).signed_in and request.method == "GET":
        return redirect("portal:receipts")
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.signin_link_request(email=form.cleaned_data["email"], ip=_ip(request))
        except services.TooManyRequests as exc:
            form.add_error(None, exc.message)
        else:
            request.session["portal_link_sent_to"] = form.cleaned_data["email"]
            return redirect("portal:link-sent")
    return render(
        request,
        "portal/start.html",
        {"form": form, "link_minutes": settings.PORTAL_LINK_TTL_MINUTES},
        status=400 if form.errors else 200,
    )


@portal_view
def link_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request, "portal/link_sent.html", {"email": request.session.get("portal_link_sent_to", "")}
    )


@portal_view
@require_http_methods(["GET", "POST"])
def signin(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button; POST uses the link. Mail scanners that open links (a GET) so do not
    spend the shopper's one use."""
    try:
        if request.method == "POST":
            email = services.signin_link_consume(token=token)
            access.grant_email(request, email)
            return redirect("portal:receipts")
        link = services.signin_link_check(token=token)
    except services.LinkInvalid as exc:
        return render(
            request,
            "portal/link_invalid.html",
            {"message": exc.message, "form": EmailForm()},
            status=410,
        )
    return render(request, "portal/signin.html", {"email": link.email})


@portal_view
@require_http_methods(["GET", "POST"])
def find_trip(request: HttpRequest) -> HttpResponse:
    form = CardLookupForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.card_lookup(
                lookup=services.CardLookup(
                    last4=data.get("last4") or "",
                    day=data.get("day"),
                    amount=data.get("amount"),
                    statement_id=data.get("statement_id") or "",
                ),
                ip=_ip(request),
            )
        except services.TooManyRequests as exc:
            form.add_error(None, exc.message)
            status = 429
        except services.LookupAmbiguous as exc:
            form.add_error("statement_id", exc.message)
            status = 409
        else:
            if order is not None:
                access.grant_order(request, order.pk)
                return redirect("portal:receipt", purchase_id=order.purchase_id)
            form.add_error(
                None,
                "We could not find one trip with these details. Check them against your card "
                "statement, or use the transaction id printed on it.",
            )
            status = 404
    elif form.errors:
        status = 400
    return render(request, "portal/find_trip.html", {"form": form}, status=status)


@portal_view
@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    access.end(request)
    messages.info(request, "You are signed out.")
    return redirect("portal:start")


# --- receipts -------------------------------------------------------------------------------------


@shopper_required
def receipts(request: HttpRequest) -> HttpResponse:
    form = ReceiptFilterForm(request.GET or None, cards=selectors.cards_for(request.portal))
    filters = form.cleaned_data if form.is_valid() else {}
    orders = selectors.search_orders(
        request.portal,
        q=filters.get("q") or "",
        card=filters.get("card") or "",
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    if filters.get("date_from") or filters.get("date_to"):
        orders = selectors.in_store_days(
            orders[:2000], date_from=filters.get("date_from"), date_to=filters.get("date_to")
        )
    page = TripsPaginator(orders, PAGE_SIZE).get_page(request.GET.get("page"))
    balance = ledger.balance_summary(party=selectors.party_for(request.portal))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/receipts.html",
        {
            "form": form,
            "page": page,
            "filtered": any(filters.values()),
            "balance": balance,
            "query": query.urlencode(),
            "portal_nav": "receipts",
        },
    )


def _savings(lines) -> list[tuple[str, str]]:
    """Promotions and loyalty discounts, by name, summed over the lines."""
    totals: dict[str, Decimal] = {}
    for line in lines:
        for promo in line.promotions or []:
            name = promo.get("name") or "Discount"
            totals[name] = totals.get(name, Decimal("0")) + Decimal(str(promo.get("amount", "0")))
    return list(totals.items())


def _receipt_context(order) -> dict:
    """What the receipt shows (the page, the refund form and the PDF)."""
    lines = list(order.lines.all())
    return {
        "portal_nav": "receipts",
        "order": order,
        "lines": lines,
        "savings": _savings(lines),
        "receipt": getattr(order, "receipt", None),
        "ended": order.trip.ended_at.astimezone(order.store.zone),
    }


def _refund_context(order) -> dict:
    """What the page and the refund form add: the refunds so far, what is left, until when."""
    return {
        "refunds": list(order.refunds.all()),
        "can_refund": payments.refunds_possible(order=order),
        "refundable": max(payments.refundable_amount(order=order), 0),
        "refund_deadline": payments.refund_deadline(order=order).astimezone(order.store.zone),
    }


@shopper_required
def receipt(request: HttpRequest, purchase_id: str) -> HttpResponse:
    order = _order_or_404(request, purchase_id)
    context = {**_receipt_context(order), **_refund_context(order)}
    return render(request, "portal/receipt.html", context)


@shopper_required
def receipt_download(request: HttpRequest, purchase_id: str) -> HttpResponse:
    order = _order_or_404(request, purchase_id)
    context = {**_receipt_context(order), "owed": selectors.trip_owed(order)}
    response = HttpResponse(receipt_pdf(context), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{order.purchase_id}.pdf"'
    return response


@shopper_required
@require_http_methods(["GET", "POST"])
def refund(request: HttpRequest, purchase_id: str) -> HttpResponse:
    order = _order_or_404(request, purchase_id)
    taken = payments.refunded_line_numbers(order=order)
    choices = [
        (line.line_no, f"{line.name or line.sku} — {line.total} {order.currency}")
        for line in order.lines.all()
        if line.line_no not in taken
    ]
    form = RefundForm(request.POST or None, lines=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = payments.refund_request_by_shopper(
                order=order,
                reason_code=data["reason_code"],
                line_numbers=data["lines"] if data["scope"] == RefundForm.LINES else None,
                note=data["note"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            made.refresh_from_db()
            if made.status == RefundStatus.REFUNDED:
                messages.success(request, f"Refunded {made.amount} {made.currency} to your card.")
            elif made.status == RefundStatus.APPROVED:
                messages.success(
                    request,
                    f"Your refund of {made.amount} {made.currency} is approved and on its way.",
                )
            else:
                messages.success(
                    request,
                    f"We received your request for {made.amount} {made.currency}. "
                    "We will e-mail you when it is decided.",
                )
            return redirect("portal:receipt", purchase_id=order.purchase_id)
    context = {**_receipt_context(order), **_refund_context(order), "form": form}
    return render(request, "portal/refund.html", context, status=400 if form.errors else 200)


# --- balance and payoff ---------------------------------------------------------------------------


@shopper_required
def balance(request: HttpRequest) -> HttpResponse:
    owed = payoffs.balance_for(party=selectors.party_for(request.portal))
    shown = owed.trips[:BALANCE_ROWS]
    return render(
        request,
        "portal/balance.html",
        {
            "balance": owed,
            "shown": shown,
            "more": len(owed.trips) - len(shown),
            "portal_nav": "balance",
        },
    )


@shopper_required
@require_POST
def pay(request: HttpRequest) -> HttpResponse:
    party = selectors.party_for(request.portal)
    try:
        payoff = payoffs.payoff_start(
            party=party,
            email=request.portal.email,
            return_url=request.build_absolute_uri(reverse("portal:payoff-return")),
            cancel_url=request.build_absolute_uri(reverse("portal:payoff-cancel")),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("portal:balance")
    request.session["portal_payoff"] = str(payoff.public_id)
    if payoff.status == PayoffStatus.PAID:
        return redirect("portal:payoff", public_id=payoff.public_id)
    return redirect(payoff.processor_url)


def _session_payoff(request: HttpRequest) -> Payoff | None:
    """The payoff this browser started (the processor's redirect carries only its session id,
    which must match it: a shopper cannot confirm someone else's payoff)."""
    public_id = request.session.get("portal_payoff")
    party = selectors.party_for(request.portal).key
    return Payoff.objects.filter(public_id=public_id, party=party).first() if public_id else None


@shopper_required
def payoff_return(request: HttpRequest) -> HttpResponse:
    payoff = _session_payoff(request)
    if payoff is None or payoff.processor_session_id != request.GET.get("session_id"):
        raise Http404("No such payment.")
    payoffs.payoff_confirm(payoff_id=payoff.pk)
    return redirect("portal:payoff", public_id=payoff.public_id)


@shopper_required
def payoff_cancel(request: HttpRequest) -> HttpResponse:
    payoff = _session_payoff(request)
    if payoff is not None:
        payoffs.payoff_cancel(payoff=payoff)
    messages.info(request, "The payment was cancelled. Nothing was charged.")
    return redirect("portal:balance")


@shopper_required
def payoff_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    party = selectors.party_for(request.portal).key
    payoff = Payoff.objects.filter(public_id=public_id, party=party).first()
    if payoff is None:
        raise Http404("No such payment.")
    remaining = ledger.balance_summary(party=selectors.party_for(request.portal))
    return render(
        request,
        "portal/payoff.html",
        {
            "payoff": payoff,
            "balance": remaining,
            "portal_nav": "balance",
            **selectors.payoff_view(payoff),
        },
    )
