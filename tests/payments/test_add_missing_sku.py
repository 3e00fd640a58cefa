"""An order in ERROR for a SKU the catalog lacks: "Add this SKU" from the order page, then
Retry prices it again and takes the payment."""

import pytest
from django.urls import reverse

from orders.models import Order

from .conftest import make_order

pytestmark = pytest.mark.django_db(transaction=True)


def test_add_this_sku_then_retry_prices_and_pays_the_order(merchant_client, mapping):
    from tests.factories import upc

    order = make_order(mapping, total="0.00", status="ERROR")
    order.lines.all().delete()
    Order.objects.filter(pk=order.pk).update(
        error_stage="PRICING", error_message="item SKU WATER not in catalog", sub_total=0, total=0
    )
    page = merchant_client.get(reverse("payments:order", args=[order.pk])).content.decode()
    assert "Add this SKU: WATER" in page
    link = reverse("catalog:item-new") + f"?sku=WATER&amp;store={mapping.store.pk}"
    assert link in page
    form = merchant_client.get(
        reverse("catalog:item-new"),
        {"sku": "WATER", "store": mapping.store.pk, "next": f"/financial/orders/{order.pk}/"},
    )
    assert 'value="WATER"' in form.content.decode()
    saved = merchant_client.post(
        reverse("catalog:item-new"),
        {
            "sku": "WATER",
            "name": "Acme Water 1L",
            "barcode": upc(777001),
            "barcode_type": "UPC",
            f"sold-{mapping.store.pk}": "on",
            f"price-{mapping.store.pk}": "3.00",
            "next": f"/financial/orders/{order.pk}/",
        },
        follow=True,
    )
    assert saved.redirect_chain[-1][0] == f"/financial/orders/{order.pk}/"
    assert "The order can be retried now" in saved.content.decode()
    back = saved.content.decode()
    assert "Add this SKU: WATER" not in back  # added: no longer offered
    assert "The catalog has every SKU named above now" in back
    retried = merchant_client.post(reverse("payments:order-retry", args=[order.pk]), follow=True)
    assert "paid — captured 3.00 USD" in retried.content.decode(), [
        str(m) for m in retried.context["messages"]
    ]
    order.refresh_from_db()
    assert order.status in ("PAID", "COMPLETED") and order.total > 0


def test_a_sku_in_the_catalog_but_not_sold_in_the_store_is_offered_for_editing(
    merchant_client, mapping
):
    from catalog.models import StoreItem
    from tests.factories import ItemFactory, entitle

    item = ItemFactory(merchant=mapping.store.merchant, sku="JUICE")
    entitle(mapping.store, item, price="2.00")
    StoreItem.objects.filter(item=item).update(is_active=False)
    order = make_order(mapping, total="0.00", status="ERROR")
    Order.objects.filter(pk=order.pk).update(
        error_stage="PRICING", error_message="item SKU JUICE not in catalog"
    )
    page = merchant_client.get(reverse("payments:order", args=[order.pk])).content.decode()
    assert "Add this SKU: JUICE" not in page
    assert f"Edit JUICE: not sold in {mapping.store.name}" in page
    assert reverse("catalog:item-edit", args=[item.pk]) + "?next=" in page
