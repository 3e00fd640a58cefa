"""Add item (Catalog → Items): the CSV import's rules, one item and its stores' prices."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Item, StoreItem
from tests.factories import ItemFactory, StoreFactory, upc

pytestmark = pytest.mark.django_db
ADD = "/catalog/items/new/"


@pytest.fixture
def stores():
    return StoreFactory(name="North", code="north"), StoreFactory(name="South", code="south")


def _post(client, stores, **over):
    north, south = stores
    data = {
        "sku": "NEW-1",
        "name": "Acme Lemonade 12oz",
        "barcode": upc(424242),
        "barcode_type": "UPC",
        "category": "Drinks",
        f"sold-{north.pk}": "on",
        f"price-{north.pk}": "2.49",
        f"price-{south.pk}": "",
    }
    data.update(over)
    return client.post(ADD, {k: v for k, v in data.items() if v is not None})


def test_merchant_adds_an_item_sold_in_a_store(merchant_client, stores):
    assert 'id="add-item"' in merchant_client.get("/catalog/").content.decode()
    response = _post(merchant_client, stores)
    item = Item.objects.get(sku="NEW-1")
    assert response.status_code == 302 and response["Location"] == f"/catalog/items/{item.pk}/edit/"
    assert (item.name, item.category, item.eligibility_error) == (
        "Acme Lemonade 12oz",
        "Drinks",
        "",
    )
    entitlements = list(StoreItem.objects.filter(item=item).values_list("store__code", "price"))
    assert entitlements == [("north", Decimal("2.49"))]
    assert StoreItem.objects.get(item=item).content_hash  # ready for Sync Items


@pytest.mark.parametrize(
    "over,problem",
    [
        ({"price-{north}": "NaN"}, "price 'NaN' is not a number"),
        ({"price-{north}": "1e3"}, "price '1e3' is not a number"),
        ({"sold-{north}": None}, "Choose at least one store that sells it, with its price."),
        ({"extra_barcodes": ";".join(f"{upc(n)}:UPC" for n in range(51))}, "at most 50"),
    ],
)
def test_what_the_csv_refuses_the_form_refuses(merchant_client, stores, over, problem):
    north, _ = stores
    over = {k.format(north=north.pk): v for k, v in over.items()}
    response = _post(merchant_client, stores, **over)
    assert response.status_code == 400
    assert any(problem in p for p in response.context["problems"]), response.context["problems"]
    assert not Item.objects.filter(sku="NEW-1").exists()


def test_an_item_breaking_amazons_rules_is_saved_but_flagged_like_the_csv(merchant_client, stores):
    _post(merchant_client, stores, barcode="012345678901")  # wrong check digit
    item = Item.objects.get(sku="NEW-1")
    assert "check digit" in item.eligibility_error


def test_a_known_sku_is_refused_and_required_fields_are_named(merchant_client, stores):
    ItemFactory(sku="NEW-1")
    response = _post(merchant_client, stores)
    assert "SKU NEW-1 is already in the catalog: edit it instead." in response.context["problems"]
    response = _post(merchant_client, stores, sku="NEW-2", name="")
    assert response.status_code == 400 and "name" in response.context["form"].errors


def test_the_form_is_pre_filled_from_a_link_and_staff_are_refused(merchant_client, staff, stores):
    from django.test import Client

    staff_client = Client()
    staff_client.force_login(staff)
    north, south = stores
    page = merchant_client.get(ADD, {"sku": "SKU-UNKNOWN-1", "store": south.pk, "next": "/x/"})
    html = page.content.decode()
    assert 'value="SKU-UNKNOWN-1"' in html
    assert (
        f'name="sold-{south.pk}" checked' in html and f'name="sold-{north.pk}" checked' not in html
    )
    evil = merchant_client.get(ADD, {"next": "https://evil.example/"}).content.decode()
    assert "evil.example" not in evil
    assert staff_client.get(ADD).status_code == 403
    assert staff_client.post(ADD, {"sku": "X"}).status_code == 403
    assert 'id="add-item"' not in staff_client.get(reverse("catalog:items")).content.decode()
