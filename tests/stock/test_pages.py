import csv
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alerts.models import Alert
from stock import services
from stock.choices import MovementKind
from stock.models import StockImport, StockLevel, StockMovement
from tests import factories
from tests.factories import ItemFactory, entitle

from .conftest import entitlement, on_hand

pytestmark = pytest.mark.django_db

LEVELS = reverse("stock:levels")


@pytest.fixture
def stocked(shop):
    store = shop.store
    services.stock_count(store_item=entitlement(store, "WATER"), counted=Decimal("2"), actor=None)
    services.stock_reorder_point_set(
        store_item=entitlement(store, "WATER"), reorder_point=Decimal("5"), actor=None
    )
    services.stock_count(store_item=entitlement(store, "CHIPS"), counted=Decimal("40"), actor=None)
    services.stock_adjust(
        store_item=entitlement(store, "APPLES"),
        quantity=Decimal("-1.5"),
        reason="bruised",
        actor=None,
    )
    return store


def alert_item(alert: Alert) -> int:
    return int(alert.detail.rstrip("/").rsplit("/", 1)[1])


def rows(response) -> list[str]:
    return [row["si"].item.sku for row in response.context["table"]]


def test_the_page_lists_the_store_with_its_figures(merchant_client, stocked):
    response = merchant_client.get(LEVELS, {"store": stocked.pk})
    assert response.status_code == 200
    assert rows(response) == ["APPLES", "CHIPS", "WATER"]
    water = next(r for r in response.context["table"] if r["si"].item.sku == "WATER")
    assert (water["on_hand"], water["reorder_point"], water["below"]) == (
        Decimal("2"),
        Decimal("5"),
        True,
    )
    body = response.content.decode()
    assert "negative" in body and "low" in body


def test_filters(merchant_client, stocked):
    get = lambda **kw: rows(merchant_client.get(LEVELS, {"store": stocked.pk, **kw}))  # noqa: E731
    assert get(level="below") == ["WATER"]
    assert get(level="negative") == ["APPLES"]
    assert get(level="never") == ["APPLES"]  # adjusted, never counted
    assert get(q="chip") == ["CHIPS"]
    assert get(level="bogus") == ["APPLES", "CHIPS", "WATER"]
    body = merchant_client.get(LEVELS, {"store": stocked.pk, "q": "zzz"}).content.decode()
    assert "No items at" in body and "match these filters" in body


def test_an_item_never_moved_shows_zero_and_never_counted(merchant_client, shop):
    response = merchant_client.get(LEVELS, {"store": shop.store.pk, "level": "never"})
    assert rows(response) == ["APPLES", "CHIPS", "WATER"]
    assert all(r["on_hand"] == 0 and r["stock"] is None for r in response.context["table"])


def test_sold_today_week_and_days_of_cover(merchant_client, stocked):
    chips = entitlement(stocked, "CHIPS")
    from django.utils import timezone

    now = timezone.now()
    for days, qty in [(0, "3"), (2, "4"), (6, "7"), (9, "100")]:
        StockMovement.objects.create(
            store_item=chips,
            store=stocked,
            kind=MovementKind.JWO_SALE,
            quantity=Decimal(f"-{qty}"),
            on_hand_after=0,
            created_at=now - timezone.timedelta(days=days),
        )
    StockMovement.objects.create(
        store_item=chips,
        store=stocked,
        kind=MovementKind.REFUND_RETURN,
        quantity=Decimal("1"),
        on_hand_after=0,
        created_at=now,
    )
    response = merchant_client.get(LEVELS, {"store": stocked.pk, "q": "CHIPS"})
    row = response.context["table"][0]
    assert row["sold_today"] == Decimal("2")  # 3 sold, 1 came back
    assert row["sold_week"] == Decimal("13")  # the 100 ten days ago are out of the week
    assert row["cover"] == Decimal("21.5")  # 40 on hand / (13 / 7 a day)


def test_pagination(merchant_client, shop):
    for n in range(60):
        entitle(shop.store, ItemFactory(sku=f"BULK-{n:03d}"), price="1.00")
    first = merchant_client.get(LEVELS, {"store": shop.store.pk})
    second = merchant_client.get(LEVELS, {"store": shop.store.pk, "page": 2})
    assert len(first.context["table"]) == 50 and len(second.context["table"]) == 13
    assert "Page 2 of 2" in second.content.decode()


def test_count_adjust_receive_and_reorder_on_the_item_page(merchant_client, merchant, shop):
    water = entitlement(shop.store, "WATER")
    url = reverse("stock:item", args=[water.pk])
    assert merchant_client.post(url, {"action": "count", "quantity": "12"}).status_code == 302
    assert merchant_client.post(url, {"action": "receive", "quantity": "6"}).status_code == 302
    response = merchant_client.post(url, {"action": "adjust", "quantity": "-2"})
    assert response.status_code == 400 and b"say why" in response.content
    assert (
        merchant_client.post(
            url, {"action": "adjust", "quantity": "-2", "reason": "broken bottles"}
        ).status_code
        == 302
    )
    assert merchant_client.post(url, {"action": "reorder", "quantity": "20"}).status_code == 302
    assert on_hand(shop.store, "WATER") == Decimal("16")
    level = StockLevel.objects.get(store_item=water)
    assert level.reorder_point == Decimal("20") and level.last_counted_at is not None
    assert Alert.objects.filter(kind="LOW_STOCK", status="OPEN").count() == 1  # 16 < 20
    page = merchant_client.get(url).content.decode()
    for text in ("Count", "Receipt of goods", "Adjustment", "broken bottles", merchant.username):
        assert text in page
    kinds = list(StockMovement.objects.filter(store_item=water).values_list("kind", "actor"))
    assert kinds[:2] == [
        (MovementKind.REORDER_POINT, merchant.pk),  # who set the point is in the ledger too
        (MovementKind.ADJUSTMENT, merchant.pk),
    ]
    assert "Reorder point none → 20" in page
    # Counted back above the point, the alert resolves in the counter's name, saying why.
    assert merchant_client.post(url, {"action": "count", "quantity": "25"}).status_code == 302
    resolved = Alert.objects.get(kind="LOW_STOCK").events.get(action="RESOLVED")
    assert resolved.actor == merchant
    assert resolved.detail == "On hand 25, at or above the reorder point 20."


@pytest.mark.parametrize(
    "bad",
    [
        "abc",
        "NaN",
        "Infinity",
        "-Infinity",
        "sNaN",
        "1e30",
        "1e3",
        "1E2",
        "-3",
        "",
        "=1+1",
        "1,5",
        "0.00001",
        "1,00",
    ],
)
def test_hostile_counts_get_a_clear_400(merchant_client, shop, bad):
    water = entitlement(shop.store, "WATER")
    response = merchant_client.post(
        reverse("stock:item", args=[water.pk]), {"action": "count", "quantity": bad}
    )
    assert response.status_code == 400
    assert b"Quantity:" in response.content
    assert not StockMovement.objects.exists()


def test_staff_read_but_get_403_on_writes(staff_client, stocked):
    water = entitlement(stocked, "WATER")
    assert staff_client.get(LEVELS).status_code == 200
    assert staff_client.get(reverse("stock:item", args=[water.pk])).status_code == 200
    assert b"stock-change" not in staff_client.get(reverse("stock:item", args=[water.pk])).content
    post = staff_client.post(
        reverse("stock:item", args=[water.pk]), {"action": "count", "quantity": "9"}
    )
    assert post.status_code == 403
    upload = SimpleUploadedFile("c.csv", b"sku,on_hand\nWATER,9\n")
    assert (
        staff_client.post(
            reverse("stock:import"), {"store": stocked.pk, "file": upload}
        ).status_code
        == 403
    )
    assert on_hand(stocked, "WATER") == Decimal("2")


def test_nav_and_home_tile(merchant_client, stocked):
    home = merchant_client.get("/").content.decode()
    assert 'href="/catalog/stock/"' in home
    assert 'id="low-stock-tile"' in home
    assert "1 item below reorder point" in home and "1 negative" in home
    # Every link goes to one store's page, which shows exactly what the link counts.
    below = f'/catalog/stock/?store={stocked.pk}&amp;level=below">1 below</a>'
    negative = f'/catalog/stock/?store={stocked.pk}&amp;level=negative">1 negative</a>'
    assert below in home and negative in home
    assert 'href="/catalog/stock/?level=' not in home


def test_the_home_tile_links_each_store_to_what_it_counts(merchant_client, stocked, shop):
    other = factories.JwoStoreMappingFactory(store__merchant=stocked.merchant).store
    water = entitle(other, ItemFactory(sku="OTHER-1", merchant=stocked.merchant), price="1.00")
    services.stock_reorder_point_set(store_item=water, reorder_point=Decimal("3"), actor=None)
    home = merchant_client.get("/").content.decode()
    assert "2 items below reorder point" in home
    for store in (stocked, other):
        url = f"/catalog/stock/?store={store.pk}&amp;level=below"
        assert f'{store.name}: <a href="{url}">1 below</a>' in home
        page = merchant_client.get(f"/catalog/stock/?store={store.pk}&level=below")
        assert len(rows(page)) == 1


# --- CSV ---------------------------------------------------------------------------------


def _import(client, store, text: str, name="counts.csv"):
    upload = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post(reverse("stock:import"), {"store": store.pk, "file": upload}, follow=True)


def test_csv_import_counts_reports_bad_rows_and_imports_the_rest(merchant_client, merchant, shop):
    store = shop.store
    text = (
        "store,sku,on_hand,reorder_point\n"
        f"{store.code},WATER,24,6\n"
        f"{store.code},CHIPS,abc,\n"
        "other-store,APPLES,3,\n"
        f"{store.code},NOPE,1,\n"
        f"{store.code},APPLES,12.5,\n"
        f"{store.code},APPLES,13.25,\n"  # given twice: the last row counts
        f"{store.code},CHIPS,,4\n"  # only a reorder point
    )
    response = _import(merchant_client, store, text)
    job = StockImport.objects.get()
    assert (job.rows_total, job.rows_counted, job.rows_failed) == (7, 3, 3)
    assert [e["row"] for e in job.errors] == [3, 4, 5]
    body = response.content.decode()
    assert "not sold in this store" in body and "other-store" in body and "not a number" in body
    assert (on_hand(store, "WATER"), on_hand(store, "APPLES")) == (Decimal("24"), Decimal("13.25"))
    assert StockLevel.objects.get(store_item=entitlement(store, "CHIPS")).reorder_point == 4
    assert StockLevel.objects.get(store_item=entitlement(store, "WATER")).last_counted_at
    moves = StockMovement.objects.filter(kind=MovementKind.IMPORT)
    assert moves.count() == 2 and {m.actor_id for m in moves} == {merchant.pk}


def test_csv_import_refuses_a_file_without_the_columns(merchant_client, shop):
    response = _import(merchant_client, shop.store, "name,qty\nx,1\n")
    assert b"must name the columns" in response.content
    response = _import(merchant_client, shop.store, "")
    assert b"The submitted file is empty" in response.content
    upload = SimpleUploadedFile("bin.csv", b"\xff\xfe\x00bad", content_type="text/csv")
    response = merchant_client.post(
        reverse("stock:import"), {"store": shop.store.pk, "file": upload}, follow=True
    )
    assert response.status_code == 200 and b"UTF-8" in response.content


def test_export_neutralises_formulas_and_round_trips(merchant_client, shop):
    store = shop.store
    evil = ItemFactory(sku='=HYPERLINK("http://x")', name="+cmd|' /C calc'!A0")
    entitle(store, evil, price="1.00")
    services.stock_count(store_item=entitlement(store, "WATER"), counted=Decimal("7"), actor=None)
    services.stock_adjust(
        store_item=entitlement(store, "CHIPS"), quantity=Decimal("-3"), reason="x", actor=None
    )
    response = merchant_client.get(reverse("stock:export"), {"store": store.pk})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["store", "sku", "name", "on_hand", "reorder_point", "last_counted_at"]
    by_sku = {r[1]: r for r in table[1:]}
    assert '\'=HYPERLINK("http://x")' in by_sku
    assert by_sku['\'=HYPERLINK("http://x")'][2] == "'+cmd|' /C calc'!A0"
    assert by_sku["CHIPS"][3] == "'-3"  # a negative number starts with "-" too
    assert by_sku["WATER"][3] == "7" and by_sku["WATER"][5]
    # Edited and imported again, the export is a valid import (the apostrophes are read back).
    services.stock_count(store_item=entitlement(store, "WATER"), counted=Decimal("1"), actor=None)
    _import(merchant_client, store, text)
    job = StockImport.objects.get()
    # Every row reads back, the negative one too (negative stock is allowed and flagged). Only
    # WATER, counted again since the export, is counted; the rest are as the export wrote them
    # and nothing moved since: reported unchanged, and nobody is said to have counted them.
    assert job.errors == []
    assert (job.rows_total, job.rows_counted, job.rows_unchanged) == (4, 1, 3)
    assert (on_hand(store, "WATER"), on_hand(store, "CHIPS")) == (Decimal("7"), Decimal("-3"))
    assert StockLevel.objects.get(store_item=evil.store_items.get()).last_counted_at is None
    assert not StockMovement.objects.filter(kind=MovementKind.IMPORT).exclude(
        store_item=entitlement(store, "WATER")
    )


def test_a_negative_on_hand_exported_imports_again_and_stays_flagged(merchant_client, shop):
    store = shop.store
    services.stock_adjust(
        store_item=entitlement(store, "CHIPS"), quantity=Decimal("-1"), reason="x", actor=None
    )
    text = b"".join(
        merchant_client.get(reverse("stock:export"), {"store": store.pk}).streaming_content
    ).decode()
    assert f"{store.code},CHIPS,Sea Salt Chips,'-1," in text
    services.stock_count(store_item=entitlement(store, "CHIPS"), counted=Decimal("4"), actor=None)
    _import(merchant_client, store, text)
    job = StockImport.objects.get()
    assert job.errors == [] and (job.rows_counted, job.rows_unchanged) == (1, 2)
    assert on_hand(store, "CHIPS") == Decimal("-1")
    page = merchant_client.get(LEVELS, {"store": store.pk, "level": "negative"})
    assert rows(page) == ["CHIPS"]  # flagged on the page
    assert 'badge deleted">negative' in page.content.decode()


def test_csv_import_reads_the_guard_apostrophe_before_any_number(merchant_client, shop):
    store = shop.store
    text = "sku,on_hand,reorder_point\nWATER,'+7,'3\nCHIPS,'-2.5,\nAPPLES,'abc,\n"
    _import(merchant_client, store, text)
    job = StockImport.objects.get()
    assert [(e["sku"], e["problems"]) for e in job.errors] == [
        (
            "APPLES",
            ['on_hand: "\'abc" is not a number in plain digits, e.g. 12 or 2.5 (no exponents).'],
        )
    ]
    assert (on_hand(store, "WATER"), on_hand(store, "CHIPS")) == (Decimal("7"), Decimal("-2.5"))
    assert StockLevel.objects.get(store_item=entitlement(store, "WATER")).reorder_point == 3


@pytest.mark.parametrize("bad", ["1e2", "1E2", "2.5e1", "NaN", "Infinity", "-inf"])
def test_csv_import_refuses_exponents_and_non_finite_counts(merchant_client, shop, bad):
    store = shop.store
    services.stock_count(store_item=entitlement(store, "WATER"), counted=Decimal("3"), actor=None)
    _import(merchant_client, store, f"sku,on_hand,reorder_point\nWATER,{bad},\nCHIPS,5,{bad}\n")
    job = StockImport.objects.get()
    assert [e["problems"][0].split(":")[0] for e in job.errors] == ["on_hand", "reorder_point"]
    assert all("not a number in plain digits" in e["problems"][0] for e in job.errors)
    assert job.rows_counted == 0
    assert on_hand(store, "WATER") == Decimal("3")
    assert StockLevel.objects.filter(store_item=entitlement(store, "CHIPS")).count() == 0


def test_a_count_typed_with_an_exponent_changes_nothing(merchant_client, shop):
    water = entitlement(shop.store, "WATER")
    url = reverse("stock:item", args=[water.pk])
    response = merchant_client.post(url, {"action": "count", "quantity": "1e3"})
    assert response.status_code == 400
    assert "Quantity: &#x27;1e3&#x27; is not a number in plain digits" in response.content.decode()
    assert on_hand(shop.store, "WATER") == Decimal("0")


def test_quantities_show_without_trailing_zeros(merchant_client, shop):
    store = shop.store
    water = entitlement(store, "WATER")
    services.stock_count(store_item=water, counted=Decimal("31.5"), actor=None)
    services.stock_reorder_point_set(store_item=water, reorder_point=Decimal("40"), actor=None)
    services.stock_count(store_item=entitlement(store, "CHIPS"), counted=Decimal("5"), actor=None)
    listing = merchant_client.get(LEVELS, {"store": store.pk}).content.decode()
    page = merchant_client.get(reverse("stock:item", args=[water.pk])).content.decode()
    for body in (listing, page):
        assert "31.5000" not in body and "5.0000" not in body and "40.0000" not in body
    assert '<span id="on-hand">31.5</span>' in page and "<strong>Reorder point:</strong> 40" in page
    assert '<td class="num on-hand">5</td>' in listing or '<td class="num on-hand">5 ' in listing
    assert '<td class="num">+31.5</td>' in page  # the count's movement
    alert = Alert.objects.get(kind="LOW_STOCK")
    assert alert.title == "Spring Water 1L (WATER) is below its reorder point 40"
    assert alert.detail.startswith("On hand 31.5 at ") and "(reorder point 40)." in alert.detail
    # The alert's page links the item's stock page, where the figure now is and a count is made.
    detail = merchant_client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert f'href="{reverse("stock:item", args=[alert_item(alert)])}"' in detail


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM", "'@SUM"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("", ""),
        (None, ""),
    ],
)
def test_csv_safe(value, expected):
    assert services.csv_safe(value) == expected


def test_stock_settings_are_edited_on_the_mapping_page_and_audited(merchant_client, shop):
    url = reverse("stores:jwo-mapping-edit", args=[shop.pk])
    form = merchant_client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and v is not False}
    data["web_register"] = shop.web_register_id
    data.update({"stock_source": "CART_EVENT", "stock_restore_unpaid": "on"})
    data.pop("stock_return_refunds", None)  # unticked
    assert merchant_client.post(url, data).status_code == 302
    shop.refresh_from_db()
    assert (shop.stock_source, shop.stock_restore_unpaid, shop.stock_return_refunds) == (
        "CART_EVENT",
        True,
        False,
    )
    changed = {label for label, _b, _a in shop.changes.first().changed_fields_display()}
    assert {
        "Stock depleted by",
        "Put back stock of orders never charged",
        "Put refunded items back into stock",
    } <= changed
    # The cached source follows the change at once in this process.
    assert services.stock_source_for(store_id=shop.store_id) == "CART_EVENT"


def test_an_import_opens_and_resolves_alerts_only_where_they_change(merchant_client, shop):
    store = shop.store
    header = "sku,on_hand,reorder_point\n"
    _import(merchant_client, store, header + "WATER,1,5\nCHIPS,2,5\nAPPLES,9,5\n")
    assert sorted(Alert.objects.filter(status="OPEN").values_list("title", flat=True)) == [
        "Sea Salt Chips (CHIPS) is below its reorder point 5",
        "Spring Water 1L (WATER) is below its reorder point 5",
    ]
    _import(merchant_client, store, header + "WATER,1,5\nCHIPS,2,5\nAPPLES,9,5\n")
    assert set(Alert.objects.values_list("occurrences", flat=True)) == {1}  # nothing new
    _import(merchant_client, store, header + "WATER,8,5\n")
    assert list(Alert.objects.filter(status="OPEN").values_list("title", flat=True)) == [
        "Sea Salt Chips (CHIPS) is below its reorder point 5"
    ]
    assert Alert.objects.filter(status="RESOLVED").count() == 1


def test_an_export_is_written_in_the_store_time_and_a_hand_made_file_counts_every_row(
    merchant_client, shop
):
    store = shop.store
    store.time_zone = "America/New_York"
    store.save(update_fields=["time_zone"])
    services.stock_count(store_item=entitlement(store, "WATER"), counted=Decimal("5"), actor=None)
    text = b"".join(
        merchant_client.get(reverse("stock:export"), {"store": store.pk}).streaming_content
    ).decode()
    water = next(r for r in csv.reader(io.StringIO(text)) if r[1] == "WATER")
    assert water[5].endswith(("-05:00", "-04:00")) and "." not in water[5]  # no microseconds
    # Someone counted and found the same 5: a file without last_counted_at records that count.
    before = StockLevel.objects.get(store_item=entitlement(store, "WATER")).last_counted_at
    _import(merchant_client, store, "sku,on_hand\nWATER,5\n")
    job = StockImport.objects.get()
    assert (job.rows_counted, job.rows_unchanged) == (1, 0)
    assert StockLevel.objects.get(store_item=entitlement(store, "WATER")).last_counted_at > before
    # The export's row with its last_counted_at cell cleared counts too.
    _import(merchant_client, store, "sku,on_hand,last_counted_at\nWATER,5,\n")
    assert StockImport.objects.first().rows_counted == 1


@pytest.mark.parametrize(
    "cell, problem",
    [
        ('"1,5"', "has a comma; write decimals with a point"),
        ("0.00001", "has more than 4 decimal places"),
        ('"12,50"', "has a comma"),
    ],
)
def test_a_decimal_comma_or_too_many_places_is_refused_not_misread(
    merchant_client, shop, cell, problem
):
    store = shop.store
    _import(merchant_client, store, f'sku,on_hand\nWATER,{cell}\nCHIPS,"1,000"\n')
    job = StockImport.objects.get()
    assert [(e["row"], problem in e["problems"][0]) for e in job.errors] == [(2, True)]
    assert on_hand(store, "CHIPS") == Decimal("1000")  # a thousands comma is still read
    assert not StockMovement.objects.filter(store_item=entitlement(store, "WATER")).exists()


def test_a_row_with_more_cells_than_columns_is_refused(merchant_client, shop):
    _import(merchant_client, shop.store, "sku,on_hand\nWATER,1,2,3\nCHIPS,4\n")
    job = StockImport.objects.get()
    assert job.errors == [
        {
            "row": 2,
            "sku": "WATER",
            "problems": ["the row has 4 cells, the first row names 2 columns"],
        }
    ]
    assert on_hand(shop.store, "CHIPS") == Decimal("4")


def test_a_binary_or_semicolon_file_is_refused_in_plain_words(merchant_client, shop):
    def flash(content: bytes) -> str:
        upload = SimpleUploadedFile("x.csv", content, content_type="text/csv")
        response = merchant_client.post(
            reverse("stock:import"), {"store": shop.store.pk, "file": upload}, follow=True
        )
        return response.content.decode()

    body = flash(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert "not a CSV in UTF-8 text" in body and "codec" not in body
    assert "separated by semicolons" in flash(b"sku;on_hand\nWATER;1,5\n")
    assert not StockMovement.objects.exists()


def test_an_import_with_more_problems_than_listed_says_so(merchant_client, shop):
    rows = "".join(f"NOPE{n},1\n" for n in range(1200))
    response = _import(merchant_client, shop.store, "sku,on_hand\n" + rows)
    job = StockImport.objects.get()
    assert (job.rows_failed, len(job.errors)) == (1200, 1000)
    assert "The first 1000 of 1200 rows with problems are listed" in response.content.decode()


def test_seeding_the_demo_again_leaves_what_a_user_did(shop):
    from stock.demo import seed_demo_stock

    store = shop.store
    services.stock_adjust(
        store_item=entitlement(store, "CHIPS"),
        quantity=Decimal("8"),
        reason="",
        actor=None,
        kind=MovementKind.RECEIPT,
    )
    assert seed_demo_stock(stores=[store]) == 2  # WATER and APPLES; CHIPS was delivered
    assert on_hand(store, "CHIPS") == Decimal("8")
    assert StockLevel.objects.get(store_item=entitlement(store, "CHIPS")).last_counted_at is None
    services.stock_count(store_item=entitlement(store, "WATER"), counted=Decimal("3"), actor=None)
    moves = StockMovement.objects.count()
    assert seed_demo_stock(stores=[store]) == 0
    assert StockMovement.objects.count() == moves and on_hand(store, "WATER") == Decimal("3")


def test_an_import_of_counts_beyond_what_stock_holds_refuses_those_rows(merchant_client, shop):
    text = "sku,on_hand\nWATER,9999999999\nCHIPS,-9999999999\nAPPLES,4\n"
    response = _import(merchant_client, shop.store, text)
    assert response.status_code == 200
    job = StockImport.objects.get()
    assert [(e["row"], "too large" in e["problems"][0]) for e in job.errors] == [
        (2, True),
        (3, True),
    ]
    assert (job.rows_counted, on_hand(shop.store, "APPLES")) == (1, Decimal("4"))
