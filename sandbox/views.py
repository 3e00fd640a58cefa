"""The sandbox's pages: what "Amazon" saw, fault injection, and the store gates."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import user_passes_test
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from .catalog_api import processing_status, report_link
from .forms import FaultForm, GateForm
from .models import (
    SandboxCall,
    SandboxCatalogItem,
    SandboxCatalogUpload,
    SandboxCheckoutOrder,
    SandboxEmail,
    SandboxFault,
    SandboxPaymentReport,
    SandboxPaymentSession,
    SandboxRefund,
    SandboxStore,
    SandboxTrip,
)
from .simulator import GateSimulator, SimulationConfig, app_key_source

SHOWN = 50


def _console_user(user) -> bool:
    return user.is_active and (user.is_staff or user.groups.exists())


console_users_only = user_passes_test(_console_user)


@console_users_only
def overview(request: HttpRequest) -> HttpResponse:
    service = request.GET.get("service", "")
    calls = SandboxCall.objects.all()
    if service:
        calls = calls.filter(service=service)
    uploads = list(SandboxCatalogUpload.objects.all()[:SHOWN])
    for upload in uploads:
        upload.status = processing_status(upload)
        upload.link = report_link(upload.ingestion_id) if upload.status == "DONE" else ""
    context = {
        "service": service,
        "services": ["payments", "checkout", "feedback", "catalog"],
        "calls": calls[:SHOWN],
        "call_count": calls.count(),
        "trips": SandboxTrip.objects.all()[:SHOWN],
        "trip_count": SandboxTrip.objects.count(),
        "orders": SandboxCheckoutOrder.objects.order_by("-created_at")[:SHOWN],
        "refunds": SandboxRefund.objects.select_related("trip").order_by("-created_at")[:SHOWN],
        "reports": SandboxPaymentReport.objects.select_related("trip").order_by("-created_at")[
            :SHOWN
        ],
        "uploads": uploads,
        "sessions": SandboxPaymentSession.objects.all()[:SHOWN],
        "stores": SandboxStore.objects.all(),
        "faults": SandboxFault.objects.exclude(remaining=0),
    }
    return render(request, "sandbox/overview.html", context)


@console_users_only
@require_http_methods(["GET", "POST"])
def faults(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if "remove" in request.POST:
            SandboxFault.objects.filter(pk=request.POST["remove"]).delete()
            messages.success(request, "Fault removed.")
            return redirect("sandbox:faults")
        if "clear" in request.POST:
            SandboxFault.objects.all().delete()
            messages.success(request, "All faults cleared.")
            return redirect("sandbox:faults")
        form = FaultForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            fault = SandboxFault.objects.create(
                service=data["service"],
                operation=data["operation"],
                kind=data["kind"],
                remaining=data["count"],
                latency_ms=data["latency_ms"],
                retry_after=data["retry_after"],
                trip_id=data["trip_id"].strip(),
            )
            messages.success(request, f"Injecting: {fault}.")
            return redirect("sandbox:faults")
    else:
        form = FaultForm()
    active = SandboxFault.objects.exclude(remaining=0)
    return render(request, "sandbox/faults.html", {"form": form, "faults": active})


def gate_fa(jwo_store_id: str) -> tuple[bool, str]:
    """Whether this store's card entries go through the retailer's F&A, and the page's words
    for it. Amazon knows a store's F&A strategy from onboarding; the sandbox has no onboarding,
    so it reads the store's mapping (its ``fa_strategy``) the way Amazon would hold it."""
    from stores.choices import FraudAbuseStrategy
    from stores.selectors import mapping_for_jwo_store

    mapping = mapping_for_jwo_store(jwo_store_id) if jwo_store_id else None
    if mapping is None:
        return False, "Amazon-managed (no store in the console is mapped to this JWO store id)"
    retailer = mapping.fa_strategy == FraudAbuseStrategy.RETAILER_MANAGED
    return retailer, mapping.get_fa_strategy_display()


@console_users_only
@require_http_methods(["GET", "POST"])
def gates(request: HttpRequest) -> HttpResponse:
    """Pick a store and a shopper, add items, walk out, and watch every call the gate made."""
    store_id = request.POST.get("store") or request.GET.get("store") or ""
    catalog = SandboxCatalogItem.objects.filter(store_id=store_id, archived=False)[:200]
    form = GateForm(
        request.POST or None, catalog=catalog, initial={"store": store_id, "entry": "CARD"}
    )
    retailer_fa, fa_label = gate_fa(store_id)
    outcome = None
    if request.method == "POST" and form.is_valid():
        cart = [
            {
                "id": item.item_sku,
                "type": "SKU",
                "quantity": {"value": f"{qty:.1f}", "unit": "unit"},
                "externalIdentifiers": [{"id": item.external_product_id, "type": "UPC"}],
            }
            for item, qty in form.quantities()
        ]
        unknown = request.POST.get("unknown_sku", "").strip()
        if unknown:
            cart.append(
                {"id": unknown, "type": "SKU", "quantity": {"value": "1.0", "unit": "unit"}}
            )
        data = form.cleaned_data
        simulator = GateSimulator(
            SimulationConfig(
                connector_url=settings.JWO_SANDBOX_CONNECTOR_URL,
                connector_secret=settings.JWO_CONNECTOR_SECRET,
                store_id=data["store"].store_id,
                retailer_fa=retailer_fa,
                group_rate=0,
                loyalty_rate=0,
            )
        )
        if data["entry"] == "APP" and data.get("app_token"):
            simulator.config.identity_key = app_key_source(
                settings.JWO_SANDBOX_CONNECTOR_URL, [data["app_token"]]
            )
        outcome = simulator.run_trip(
            data["shopper_no"], entry=data["entry"], card_profile=data["card_profile"], cart=cart
        )
    from stores.models import JwoStoreMapping  # the names a merchant knows, as gate_fa reads

    ids = [s.store_id for s in form.fields["store"].queryset]
    names = dict(
        JwoStoreMapping.objects.filter(jwo_store_id__in=ids).values_list(
            "jwo_store_id", "store__name"
        )
    )
    context = {
        "form": form,
        "store_choices": [(i, f"{names[i]} ({i})" if i in names else i) for i in ids],
        "store_id": store_id,
        "outcome": outcome,
        "retailer_fa": retailer_fa,
        "fa_label": fa_label,
        "connector_url": settings.JWO_SANDBOX_CONNECTOR_URL,
    }
    refused = request.method == "POST" and not form.is_valid()
    return render(request, "sandbox/gates.html", context, status=400 if refused else 200)


@console_users_only
def outbox(request: HttpRequest) -> HttpResponse:
    """Every e-mail the console sent (sign-in links, receipts, refunds, payoffs), newest first,
    with a search by address or subject."""
    q = request.GET.get("q", "").strip()
    emails = SandboxEmail.objects.all()
    if q:
        emails = emails.filter(to__icontains=q) | emails.filter(subject__icontains=q)
    page = Paginator(emails.order_by("-sent_at", "-pk"), SHOWN).get_page(request.GET.get("page"))
    return render(
        request,
        "sandbox/outbox.html",
        {"page": page, "q": q, "delegate": getattr(settings, "SANDBOX_EMAIL_DELEGATE_BACKEND", "")},
    )


@console_users_only
def outbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request, "sandbox/outbox_message.html", {"email": get_object_or_404(SandboxEmail, pk=pk)}
    )
