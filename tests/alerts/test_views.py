import pytest
from django.urls import reverse

from alerts import services
from alerts.choices import AlertStatus
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts():
    s1 = factories.StoreFactory(name="Arena North")
    s2 = factories.StoreFactory(name="Arena South")
    resolved = services.alert_raise(kind="LOW_STOCK", key="a", title="Old cola", store=s1)
    services.alert_resolve(kind="LOW_STOCK", key="a")
    return {
        "open": services.alert_raise(kind="LOW_STOCK", key="b", title="Chips low", store=s1),
        "other": services.alert_raise(kind="ORDERS_IN_ERROR", key="c", title="12 orders", store=s2),
        "resolved": resolved,
        "s1": s1,
    }


def test_open_alerts_come_first(merchant_client, alerts):
    page = merchant_client.get(reverse("alerts:list")).content.decode()
    assert page.index("Chips low") < page.index("Old cola")
    assert page.index("12 orders") < page.index("Old cola")
    assert "Acknowledge" in page


def test_filters(merchant_client, alerts):
    url = reverse("alerts:list")
    body = merchant_client.get(url, {"status": "RESOLVED"}).content.decode()
    assert "Old cola" in body and "Chips low" not in body
    body = merchant_client.get(url, {"kind": "ORDERS_IN_ERROR"}).content.decode()
    assert "12 orders" in body and "Chips low" not in body
    body = merchant_client.get(url, {"store": alerts["s1"].pk}).content.decode()
    assert "Chips low" in body and "12 orders" not in body
    body = merchant_client.get(url, {"kind": "NOPE"}).content.decode()
    assert "No alerts match these filters" in body
    assert merchant_client.get(url, {"store": "x'; drop", "page": "zz"}).status_code == 200


def test_pagination(merchant_client):
    for n in range(60):
        services.alert_raise(kind="LOW_STOCK", key=f"k{n}", title=f"Alert number {n}")
    first = merchant_client.get(reverse("alerts:list")).content.decode()
    second = merchant_client.get(reverse("alerts:list"), {"page": 2}).content.decode()
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    assert first.count("Alert number") == 50 and second.count("Alert number") == 10


def test_empty_state(merchant_client):
    assert "No alerts yet" in merchant_client.get(reverse("alerts:list")).content.decode()


@pytest.mark.parametrize("who", ["merchant_client", "staff_client"])
def test_merchant_and_staff_acknowledge_with_confirmation(request, who, alerts):
    client = request.getfixturevalue(who)
    alert = alerts["open"]
    url = reverse("alerts:acknowledge", args=[alert.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and b"Acknowledge this alert?" in confirm.content
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN  # GET changes nothing
    response = client.post(url)
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    detail = client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert "Acknowledged" in detail and response.wsgi_request.user.username in detail
    # Opened again (a second tab, the back button), the page says so and offers no button.
    again = client.get(url).content.decode()
    assert "This alert is acknowledged" in again and ">Acknowledge</button>" not in again


def test_user_without_role_gets_403(client, alerts):
    user = factories.UserFactory(username="nobody")
    client.force_login(user)
    assert client.get(reverse("alerts:list")).status_code == 403
    assert client.post(reverse("alerts:acknowledge", args=[alerts["open"].pk])).status_code == 403
    alerts["open"].refresh_from_db()
    assert alerts["open"].status == AlertStatus.OPEN


def test_anonymous_is_sent_to_login(client, alerts):
    response = client.get(reverse("alerts:list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_acknowledging_a_resolved_alert_says_so(merchant_client, alerts):
    url = reverse("alerts:acknowledge", args=[alerts["resolved"].pk])
    response = merchant_client.post(url, follow=True)
    assert b"resolved already" in response.content


def test_nav_shows_alerts(merchant_client):
    assert b'href="/alerts/"' in merchant_client.get("/").content


def test_alert_emails_edited_on_the_mapping_page_and_audited(merchant_client):
    mapping = factories.JwoStoreMappingFactory()
    url = reverse("stores:jwo-mapping-edit", args=[mapping.pk])
    form = merchant_client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["web_register"] = mapping.web_register_id
    data["alert_emails"] = "not-an-address, ok@shop.example"
    response = merchant_client.post(url, data)
    assert response.status_code == 400
    assert b"Not an e-mail address: not-an-address" in response.content
    data["alert_emails"] = "ops@shop.example, ok@shop.example"
    assert merchant_client.post(url, data).status_code == 302
    mapping.refresh_from_db()
    assert mapping.alert_emails == "ops@shop.example, ok@shop.example"
    change = mapping.changes.first()
    expected = ("Alert e-mails", "", "ops@shop.example, ok@shop.example")
    assert expected in change.changed_fields_display()


def test_the_next_page_link_keeps_the_filters(merchant_client):
    for n in range(60):
        services.alert_raise(kind="LOW_STOCK", key=f"k{n}", title=f"Alert number {n}")
    first = merchant_client.get(reverse("alerts:list"), {"kind": "LOW_STOCK"}).content.decode()
    assert 'href="?kind=LOW_STOCK&amp;page=2">Next →' in first
    second = merchant_client.get(reverse("alerts:list"), {"kind": "LOW_STOCK", "page": 2})
    assert 'href="?kind=LOW_STOCK&amp;page=1">← Previous' in second.content.decode()


def test_a_reconciliation_mismatch_shows_its_label_not_its_code(merchant_client):
    store = factories.StoreFactory(name="Arena East")
    alert = services.alert_raise(
        kind="RECONCILIATION_MISMATCH", key="reconciliation:1:2026-11-30", title="2 mismatches",
        store=store,
    )  # fmt: skip
    listing = merchant_client.get(reverse("alerts:list")).content.decode()
    assert "<td>Reconciliation mismatch</td>" in listing
    assert '<option value="RECONCILIATION_MISMATCH" >Reconciliation mismatch</option>' in listing
    detail = merchant_client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert "<h1>Reconciliation mismatch: 2 mismatches</h1>" in detail


def test_paths_in_an_alert_detail_are_links_and_the_rest_stays_escaped(merchant_client):
    alert = services.alert_raise(
        kind="RECONCILIATION_MISMATCH", key="reconciliation:2:2026-11-30", title="1 mismatch",
        detail='total 1 <script>alert("x")</script> and/or //evil.example/x '
        "javascript:alert(1) /financial/reconciliation/runs/7/.",
    )  # fmt: skip
    page = merchant_client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert (
        '<a href="/financial/reconciliation/runs/7/">/financial/reconciliation/runs/7/</a>.' in page
    )
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert 'href="//evil' not in page and 'href="javascript' not in page
    assert "and/or //evil.example/x javascript:alert(1)" in page  # plain text, no links


def test_an_order_alert_links_to_its_order(merchant_client):
    order = factories.OrderFactory(mapping=factories.JwoStoreMappingFactory(), total="4.00")
    alert = services.alert_raise(
        kind="PAYMENT_REVIEW", key=f"order:{order.pk}", title=f"Order {order.purchase_id}: review",
        store=order.store,
    )  # fmt: skip
    page = merchant_client.get(reverse("alerts:detail", args=[alert.pk])).content.decode()
    assert f'<a id="alert-order" href="/financial/orders/{order.pk}/">' in page
    assert merchant_client.get(f"/financial/orders/{order.pk}/").status_code == 200
    other = services.alert_raise(kind="LOW_STOCK", key="order:abc", title="not an order")
    page = merchant_client.get(reverse("alerts:detail", args=[other.pk])).content.decode()
    assert 'id="alert-order"' not in page


def test_times_are_in_the_alerts_store_zone_and_say_which(merchant_client, settings):
    from datetime import UTC, datetime

    from alerts.models import Alert

    store = factories.StoreFactory(name="Arena East", time_zone="America/New_York")
    shop = services.alert_raise(kind="LOW_STOCK", key="ny", title="Cola low", store=store)
    house = services.alert_raise(kind="WORKER_STALE", key="w", title="Worker stale")
    seen = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    Alert.objects.filter(pk__in=[shop.pk, house.pk]).update(first_seen_at=seen, last_seen_at=seen)

    listing = merchant_client.get(reverse("alerts:list")).content.decode()
    assert "(UTC)</th>" not in listing
    assert 'title="America/New_York">2026-12-01 10:30 EST</td>' in listing
    assert 'title="UTC">2026-12-01 15:30 UTC</td>' in listing
    assert "house-wide alerts in the console's (UTC)" in listing

    detail = merchant_client.get(reverse("alerts:detail", args=[shop.pk])).content.decode()
    assert "first 2026-12-01 10:30:00 EST" in detail
    assert "(America/New_York, the store's time zone)" in detail
    assert "<th>When (America/New_York)</th>" in detail
    detail = merchant_client.get(reverse("alerts:detail", args=[house.pk])).content.decode()
    assert "first 2026-12-01 15:30:00 UTC" in detail and "the console's time zone" in detail
