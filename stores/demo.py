"""Demo data, shared by ``manage.py seed_demo`` and the tests that need a realistic console."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from jwo_console import roles

from .choices import DelegationMode, LoyaltyProvider
from .models import JwoStoreMapping, Merchant, Store, WebRegister
from .services import MappingInput, jwo_store_mapping_update, jwo_store_mappings_create

DEMO_PASSWORDS = {"merchant": "merchant-demo-pass", "staff": "staff-demo-pass"}
DEMO_JWO_STORE_ID = "jwo-demo-store-1"
DEMO_ALERT_EMAILS = "store-manager@demo.example"
DEMO_FULL_JWO_STORE_ID = "jwo-demo-store-2"


@dataclass
class DemoData:
    merchant: Merchant
    stores: list[Store]
    roles: dict[str, str]


def seed_demo() -> DemoData:
    with transaction.atomic():
        merchant, _ = Merchant.objects.get_or_create(
            code="demo-market", defaults={"name": "Demo Market"}
        )
        specs = [
            (
                "pit-arena",
                "Arena Market — Pittsburgh",
                "America/New_York",
                "1001 Arena Way",
                "Pittsburgh",
                "PA",
                "15222",
            ),
            (
                "sea-stadium",
                "Stadium Express — Seattle",
                "America/Los_Angeles",
                "800 Occidental Ave S",
                "Seattle",
                "WA",
                "98134",
            ),
        ]
        stores = []
        for code, name, tz, street, city, region, postal in specs:
            store, _ = Store.objects.get_or_create(
                code=code,
                defaults={
                    "merchant": merchant,
                    "name": name,
                    "time_zone": tz,
                    "currency": "USD",
                    "address_line1": street,
                    "city": city,
                    "region": region,
                    "postal_code": postal,
                },
            )
            for reg_code, reg_name in (("web-1", "Web Register 1"), ("web-2", "Web Register 2")):
                WebRegister.objects.get_or_create(
                    store=store, code=reg_code, defaults={"name": reg_name}
                )
            stores.append(store)

        user_roles = {"merchant": roles.MERCHANT_ADMIN, "staff": roles.STAFF}
        User = get_user_model()
        for username, role in user_roles.items():
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": username.title(), "email": f"{username}@example.com"},
            )
            if created:
                user.set_password(DEMO_PASSWORDS[username])
                user.save()
            user.groups.add(Group.objects.get(name=role))

    # Store 1 passes Amazon's totals through (Order delegation); store 2 shows what the console
    # prices itself (Full delegation: promotions, the loyalty member's discount, tax).
    plans = [
        (stores[0], DEMO_JWO_STORE_ID, LoyaltyProvider.YINZCAM, DelegationMode.ORDER),
        (stores[1], DEMO_FULL_JWO_STORE_ID, LoyaltyProvider.VENUENEXT, DelegationMode.FULL),
    ]
    for store, jwo_store_id, loyalty, delegation in plans:
        if JwoStoreMapping.objects.filter(store=store).exists() or (
            JwoStoreMapping.objects.filter(jwo_store_id=jwo_store_id).exists()
        ):
            continue
        jwo_store_mappings_create(
            rows=[
                MappingInput(
                    store=store,
                    web_register=store.web_registers.get(code="web-1"),
                    jwo_store_id=jwo_store_id,
                    loyalty_provider=loyalty,
                    delegation_mode=delegation,
                )
            ],
            actor=None,
        )
        # Alerts (low stock, say) are e-mailed to the store's manager: Sandbox → Outbox shows them.
        jwo_store_mapping_update(
            mapping=JwoStoreMapping.objects.get(store=store),
            data={"alert_emails": DEMO_ALERT_EMAILS},
            actor=None,
        )
    stores = list(Store.objects.filter(pk__in=[s.pk for s in stores]).select_related("jwo_mapping"))
    return DemoData(merchant=merchant, stores=stores, roles=user_roles)
