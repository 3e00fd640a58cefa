from decimal import Decimal

import pytest

from orders.models import Promotion, TaxRate
from tests.factories import MerchantFactory, StoreFactory

pytestmark = pytest.mark.django_db


def test_merchant_creates_a_promotion_and_bad_ones_are_explained(merchant_client):
    MerchantFactory()
    bad = merchant_client.post(
        "/pricing/promotions/new/",
        {
            "name": "Half off",
            "kind": "PERCENT_OFF",
            "percent": "150",
            "amount": "0",
            "buy_qty": 0,
            "get_qty": 0,
            "threshold": "0",
        },
    )
    assert bad.status_code == 200
    errors = bad.context["form"].errors
    assert errors["sku"] == ["Name the SKU or the category this promotion is for."]
    assert errors["percent"] == ["Give a percent between 0 and 100."]
    good = merchant_client.post(
        "/pricing/promotions/new/",
        {
            "name": "10% drinks",
            "kind": "PERCENT_OFF",
            "category": "Drinks",
            "percent": "10",
            "amount": "0",
            "buy_qty": 0,
            "get_qty": 0,
            "threshold": "0",
            "is_active": "on",
        },
    )
    assert good.status_code == 302
    assert Promotion.objects.get().percent == Decimal("10")
    assert "10% drinks" in merchant_client.get("/pricing/promotions/").content.decode()


def test_tax_rates_are_percentages_and_staff_only_read(merchant_client, staff):
    from django.test import Client

    staff_client = Client()
    staff_client.force_login(staff)
    store = StoreFactory()
    for typed, error in (
        ("107", "Give a percent from 0 to below 100, e.g. 7."),
        ("NaN", "Enter an amount in digits, e.g. 4.99."),
        ("7e0", "Enter an amount in digits, e.g. 4.99."),
    ):
        bad = merchant_client.post(
            "/pricing/tax-rates/new/", {"store": store.pk, "tax_code": "", "rate": typed}
        )
        assert bad.context["form"].errors["rate"] == [error], typed
    assert (
        merchant_client.post(
            "/pricing/tax-rates/new/", {"store": store.pk, "tax_code": "", "rate": "8.875"}
        ).status_code
        == 302
    )
    rate = TaxRate.objects.get()
    assert rate.rate == Decimal("0.08875")
    assert "8.875 %" in merchant_client.get("/pricing/tax-rates/").content.decode()
    edit = merchant_client.get(f"/pricing/tax-rates/{rate.pk}/edit/").content.decode()
    assert 'value="8.875"' in edit
    assert staff_client.get("/pricing/tax-rates/").status_code == 200
    assert staff_client.get(f"/pricing/tax-rates/{rate.pk}/edit/").status_code == 403
    assert staff_client.post(f"/pricing/tax-rates/{rate.pk}/remove/").status_code == 403
    confirm = merchant_client.get(f"/pricing/tax-rates/{rate.pk}/remove/")
    assert "keep their prices" in confirm.content.decode()
    assert merchant_client.post(f"/pricing/tax-rates/{rate.pk}/remove/").status_code == 302
    assert not TaxRate.objects.exists()
