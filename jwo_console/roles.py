"""The console's roles, as Django groups, and the permissions each one holds.

``post_migrate`` creates and syncs them after every ``migrate`` (jwo_console/apps.py), so a role
that a later app extends here gets its new permissions on the next ``migrate``; no data migration
repeats it (the ``0002_roles`` migrations are kept as no-ops for the graph). Syncing only adds:
permissions an administrator gave a group by hand stay.
"""

from collections.abc import Iterable

MERCHANT_ADMIN = "Merchant admin"
STAFF = "Staff"

_STORES_MODELS = ["merchant", "store", "webregister", "jwostoremapping", "jwostoremappingchange"]
_STORES_CONFIGURABLE = ["merchant", "store", "webregister", "jwostoremapping"]


def _perms(app: str, actions: Iterable[str], models: Iterable[str]) -> list[str]:
    return [f"{app}.{action}_{model}" for model in models for action in actions]


_CATALOG_MODELS = [
    "item",
    "storeitem",
    "catalogsyncrun",
    "catalogupload",
    "catalogimport",
    "catalogsyncschedule",
]

_PAYMENTS_MODELS = ["paymentattempt", "paymentreceipt", "refund", "payoff", "paymentstatusreport"]

_ORDERS_MODELS = ["order", "orderline", "orderevent", "shoppingtrip", "promotion", "taxrate"]

_FEEDS_MODELS = ["intradayfile", "intradayrowerror", "amazonorder", "amazonorderline",
                 "feedevent", "storecontact", "intradaycolumn"]  # fmt: skip
_RECONCILIATION_MODELS = ["reconciliationrun", "reconciliationitem"]
_ALERTS_MODELS = ["alert", "alertevent"]

_STOCK_MODELS = ["stocklevel", "stockmovement", "stockimport"]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    MERCHANT_ADMIN: [
        *_perms("stores", ["view"], _STORES_MODELS),
        *_perms("stores", ["add", "change", "delete"], _STORES_CONFIGURABLE),
        *_perms("catalog", ["view"], _CATALOG_MODELS),
        # edit items, import CSV (add_catalogimport), press Sync Items (add_catalogsyncrun),
        # change the sync schedule
        *_perms("catalog", ["add", "change"], ["item", "storeitem"]),
        "catalog.add_catalogimport",
        "catalog.add_catalogsyncrun",
        "catalog.change_catalogsyncschedule",
        *_perms("shoppers", ["view"], ["shopper", "gatedecision", "ledgerentry"]),
        *_perms("connector", ["view"], ["connectorrequest"]),
        *_perms("orders", ["view"], _ORDERS_MODELS),
        *_perms("orders", ["add", "change", "delete"], ["promotion", "taxrate"]),
        *_perms("payments", ["view"], _PAYMENTS_MODELS),
        "orders.retry_payment",
        *_perms("alerts", ["view"], _ALERTS_MODELS),
        "alerts.acknowledge_alert",
        # the per-store alert thresholds (ops/views.py)
        *_perms("ops", ["view", "add", "change"], ["alertthresholds"]),
        *_perms("stock", ["view"], _STOCK_MODELS),
        "stock.count_stock",  # counts, adjustments, receipts, reorder points, CSV import
        "payments.refund_order",
        "payments.change_refund",  # approve or reject shoppers' refund requests
        *_perms("feeds", ["view"], _FEEDS_MODELS),
        *_perms("feeds", ["add", "change", "delete"], ["storecontact", "intradaycolumn"]),
        "feeds.replay_feedevent",
        *_perms("reconciliation", ["view"], _RECONCILIATION_MODELS),
        "reconciliation.add_reconciliationrun",  # reconcile a day on demand
        # Run test on the Just Walk Out page (connectivity/views.py)
        *_perms("connectivity", ["view", "add"], ["connectivityrun"]),
    ],
    STAFF: [
        *_perms("stores", ["view"], _STORES_MODELS),
        *_perms("catalog", ["view"], _CATALOG_MODELS),
        *_perms("shoppers", ["view"], ["shopper", "gatedecision", "ledgerentry"]),
        *_perms("connector", ["view"], ["connectorrequest"]),
        *_perms("orders", ["view"], _ORDERS_MODELS),
        *_perms("payments", ["view"], _PAYMENTS_MODELS),
        "orders.retry_payment",
        *_perms("feeds", ["view"], _FEEDS_MODELS),
        *_perms("reconciliation", ["view"], _RECONCILIATION_MODELS),
        *_perms("alerts", ["view"], _ALERTS_MODELS),
        "alerts.acknowledge_alert",  # staff on duty acknowledge alerts too
        "ops.view_alertthresholds",
        "connectivity.view_connectivityrun",  # the connectivity test's results, read only
        *_perms("stock", ["view"], _STOCK_MODELS),
    ],
}


def roles_sync(apps) -> None:
    """Create the role groups and grant them their permissions (those that exist yet).

    ``apps`` is a migration's historical app registry or ``django.apps.apps``.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is not None:
                group.permissions.add(found)
