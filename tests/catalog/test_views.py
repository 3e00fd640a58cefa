import pytest
from django.core.management import call_command
from django.urls import reverse

from catalog.models import CatalogSyncRun, Item, StoreItem
from tests.factories import ItemFactory, JwoStoreMappingFactory, StoreFactory, entitle

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid():
    north = StoreFactory(name="North")
    south = StoreFactory(name="South")
    water = ItemFactory(sku="WATER", name="Acme Water 1L", category="Drinks")
    chips = ItemFactory(sku="CHIPS", name="Salt Chips 2oz", category="Snacks")
    entitle(north, water)
    entitle(south, water)
    entitle(north, chips)
    StoreItem.objects.filter(item=chips).update(sync_state="REJECTED", rejection_reason="dup")
    return {"north": north, "south": south}


def skus(response) -> list[tuple[str, str]]:
    return [(si.item.sku, si.store.name) for si in response.context["page"].object_list]


def test_grid_filters_by_search_store_category_and_sync_state(staff_client, grid):
    url = reverse("catalog:items")
    assert len(skus(staff_client.get(url))) == 3
    assert skus(staff_client.get(url, {"q": "chips"})) == [("CHIPS", "North")]
    assert skus(staff_client.get(url, {"store": grid["south"].pk})) == [("WATER", "South")]
    assert {s for s, _ in skus(staff_client.get(url, {"category": "drinks"}))} == {"WATER"}
    assert skus(staff_client.get(url, {"sync": "rejected"})) == [("CHIPS", "North")]
    assert len(skus(staff_client.get(url, {"sync": "never"}))) == 2
    html = staff_client.get(url, {"q": "nothing-like-this"}).content.decode()
    assert "No item matches these filters" in html


def test_grid_query_count_does_not_grow_with_rows(
    staff_client, grid, django_assert_max_num_queries
):
    for _ in range(30):
        entitle(grid["north"], ItemFactory())
    with django_assert_max_num_queries(15):
        assert staff_client.get(reverse("catalog:items")).status_code == 200


def test_staff_reads_but_cannot_edit_import_or_sync(staff_client, grid):
    item = Item.objects.get(sku="WATER")
    assert staff_client.get(reverse("catalog:item-edit", args=[item.pk])).status_code == 403
    assert staff_client.get(reverse("catalog:import")).status_code == 403
    response = staff_client.post(reverse("catalog:sync-request"), {"store": grid["north"].pk})
    assert response.status_code == 403
    assert not CatalogSyncRun.objects.exists()
    html = staff_client.get(reverse("catalog:items")).content.decode()
    assert "Sync Items" not in html and "Import CSV</a>" not in html


def test_merchant_edits_an_item_and_its_prices(merchant_client, grid):
    item = Item.objects.get(sku="WATER")
    north = StoreItem.objects.get(item=item, store=grid["north"])
    south = StoreItem.objects.get(item=item, store=grid["south"])
    before = north.content_hash
    response = merchant_client.post(
        reverse("catalog:item-edit", args=[item.pk]),
        {
            "name": "Acme Water Still 1L",
            "barcode": item.barcode,
            "barcode_type": "UPC",
            "category": "Drinks",
            f"price-{north.pk}": "2.19",
            f"active-{north.pk}": "on",
            f"price-{south.pk}": "2.29",
        },
    )
    assert response.status_code == 302
    north.refresh_from_db()
    south.refresh_from_db()
    assert (str(north.price), north.is_active, south.is_active) == ("2.19", True, False)
    assert north.content_hash != before


def test_sync_request_for_an_unmapped_store_explains(merchant_client, grid):
    response = merchant_client.post(
        reverse("catalog:sync-request"), {"store": grid["north"].pk}, follow=True
    )
    assert "is not mapped to an active JWO store" in response.content.decode()


def test_export_streams_csv(merchant_client, grid):
    response = merchant_client.get(reverse("catalog:export"))
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    assert body.splitlines()[0].startswith("sku,name,description")
    assert body.count("WATER") == 2


def test_seed_demo_is_idempotent_and_includes_a_catalog(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    assert Item.objects.count() == 18
    assert StoreItem.objects.count() == 36
    assert Item.objects.exclude(eligibility_error="").count() == 1
    mappings = JwoStoreMappingFactory._meta.model.objects.order_by("jwo_store_id")
    # one store passes Amazon's totals through, the other is priced here with loyalty
    assert [(m.delegation_mode, m.loyalty_provider) for m in mappings] == [
        ("ORDER", "YINZCAM"),
        ("FULL", "VENUENEXT"),
    ]
    assert "merchant / merchant-demo-pass" in capsys.readouterr().out


def test_a_sync_runs_log_is_shown_in_the_store_time(merchant_client):
    from datetime import UTC, datetime

    from catalog.models import CatalogSyncRun

    store = StoreFactory(time_zone="America/Los_Angeles")
    run = CatalogSyncRun.objects.create(store=store, log="18:05:00 catalog sync: 3 items\n")
    CatalogSyncRun.objects.filter(pk=run.pk).update(
        created_at=datetime(2026, 12, 1, 18, 4, tzinfo=UTC)
    )
    page = merchant_client.get(reverse("catalog:sync-run", args=[run.pk])).content.decode()
    assert "10:05:00 catalog sync: 3 items" in page and "(America/Los_Angeles)" in page
