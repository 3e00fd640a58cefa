from django.conf import settings
from django.http import HttpRequest

# The console's navigation: (section, [(label, url name, permission needed)]). Sections appear
# only with entries the user may open, so no empty placeholders are shown.
NAVIGATION: list[tuple[str, list[tuple[str, str, str]]]] = [
    (
        "Catalog",
        [
            ("Items", "catalog:items", "catalog.view_storeitem"),
            ("Sync runs", "catalog:sync-runs", "catalog.view_catalogsyncrun"),
            ("Stock", "stock:levels", "stock.view_stocklevel"),
            ("Import CSV", "catalog:import", "catalog.add_catalogimport"),
        ],
    ),
    (
        "Financial",
        [
            ("Orders", "payments:orders", "orders.view_order"),
            ("Refunds", "payments:refunds", "payments.view_refund"),
            ("Reconciliation", "reconciliation:days", "reconciliation.view_reconciliationrun"),
            ("Amazon's files", "feeds:files", "feeds.view_intradayfile"),
            ("Event feed", "feeds:events", "feeds.view_feedevent"),
        ],
    ),
    (
        "Pricing",
        [
            ("Promotions", "orders:promotions", "orders.view_promotion"),
            ("Tax rates", "orders:tax-rates", "orders.view_taxrate"),
        ],
    ),
    (
        "Shoppers",
        [("Gate activity", "shoppers:gate-activity", "shoppers.view_gatedecision")],
    ),
    (
        "Operations",
        [("Alerts", "alerts:list", "alerts.view_alert")],
    ),
    (
        "Settings",
        [
            ("Integrations → Just Walk Out", "stores:jwo-mappings", "stores.view_jwostoremapping"),
            ("Alert thresholds", "ops:alert-thresholds", "ops.view_alertthresholds"),
        ],
    ),
]


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": []}
    sections = []
    for title, entries in NAVIGATION:
        allowed = [(label, name) for label, name, perm in entries if user.has_perm(perm)]
        if allowed:
            sections.append((title, allowed))
    if settings.JWO_SANDBOX and user.has_perm("stores.view_store"):  # console roles only
        sections.append(
            (
                "Sandbox",
                [
                    ("What Amazon saw", "sandbox:overview"),
                    ("Store gates", "sandbox:gates"),
                    ("Fault injection", "sandbox:faults"),
                    ("Outbox", "sandbox:outbox"),
                ],
            )
        )
    return {"nav_sections": sections}
