"""The event feed: the key (and its rotation), stored before processing, dedupe on id, CART and
PAYMENT mapped, test events never booked, the dead-letter list and replay, decline e-mails."""

import json
from decimal import Decimal

import pytest
from django.core import mail

from feeds.models import EventStatus, FeedEvent, StoreContact
from tests.factories import JwoStoreMappingFactory, merchant_admin, staff_user

pytestmark = pytest.mark.django_db
URL = "/feeds/events"
KEY = "test-event-feed-key"


def post(client, body, key=KEY):
    raw = body if isinstance(body, str) else json.dumps(body)
    headers = {"HTTP_X_JWO_EVENT_KEY": key} if key is not None else {}
    return client.post(URL, raw, content_type="application/json", **headers)


def payment(event_id="ev-1", status="CaptureApproved", store="jwo-a", trip="trip-1", **detail):
    return {
        "version": "0", "id": event_id, "source": "aws.justwalkout",
        "detail-type": "JWO Payment Event", "time": "2026-11-30T15:00:00Z",
        "detail": {"storeId": store, "shoppingTripId": trip, "status": status,
                   "amount": {"amount": "12.50", "currencyCode": "USD"}, "brand": "VISA",
                   "cardLastFourDigits": "4242", **detail},
    }  # fmt: skip


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """POST an event and run what the commit queues (the processing task, eager in tests)."""

    def _deliver(body, key=KEY):
        with django_capture_on_commit_callbacks(execute=True):
            return post(client, body, key)

    return _deliver


@pytest.fixture
def mapping():
    mapping = JwoStoreMappingFactory(jwo_store_id="jwo-a")
    StoreContact.objects.create(store=mapping.store, email="manager@store.example")
    return mapping


def test_without_the_key_401_and_nothing_stored(client, deliver, mapping):
    assert deliver(payment(), key=None).status_code == 401
    assert deliver(payment(), key="wrong").status_code == 401
    assert not FeedEvent.objects.exists()


def test_the_key_rotates_like_the_connector_secret(client, deliver, mapping, settings):
    settings.JWO_EVENT_FEED_KEY_PREVIOUS = KEY
    settings.JWO_EVENT_FEED_KEY = "new-key"
    assert deliver(payment("a"), key=KEY).status_code == 202  # the previous one still works
    assert deliver(payment("b"), key="new-key").status_code == 202
    settings.JWO_EVENT_FEED_KEY_PREVIOUS = ""
    assert deliver(payment("c"), key=KEY).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not json", "body"),
        ("[1, 2]", "body"),
        ({"source": "x"}, "id"),
        ({"id": ""}, "id"),
        ({"id": "x" * 300}, "id"),
        ({"id": "e", "detail": "text"}, "detail"),
        ({"id": "e", "detail-type": 5}, "detail-type"),
    ],
)
def test_malformed_bodies_get_a_400_naming_the_field_and_are_kept(
    client, deliver, mapping, body, field
):
    response = deliver(body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == field
    assert FeedEvent.objects.get().status == EventStatus.REJECTED


def test_a_payment_event_is_stored_then_processed(client, deliver, mapping):
    response = deliver(payment(status="CaptureApproved"))
    assert response.status_code == 202
    event = FeedEvent.objects.get(event_id="ev-1")
    assert event.status == EventStatus.PROCESSED  # the task ran eagerly after the commit
    assert (event.kind, event.subtype, event.trip_id) == ("PAYMENT", "CaptureApproved", "trip-1")
    assert (event.amount, event.currency, event.card_last4) == (Decimal("12.50"), "USD", "4242")
    assert event.store == mapping.store and json.loads(event.raw)["id"] == "ev-1"
    assert not mail.outbox  # not a decline


def test_a_redelivery_of_the_same_id_changes_nothing(client, deliver, mapping):
    assert deliver(payment(status="AuthorizationDeclined")).status_code == 202
    again = deliver(payment(status="AuthorizationDeclined"))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert FeedEvent.objects.count() == 1
    assert len(mail.outbox) == 1  # e-mailed once


def test_a_decline_emails_the_stores_contacts(client, deliver, mapping):
    StoreContact.objects.create(
        store=mapping.store, email="quiet@store.example", notify_declines=False
    )
    mapping.alert_emails = "alerts@store.example, manager@store.example"
    mapping.save()
    deliver(payment(status="CaptureDeclined", trip="trip-9"))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alerts@store.example", "manager@store.example"]
    assert "trip-9" in message.subject and "CaptureDeclined" in message.body
    assert FeedEvent.objects.get().notified_at is not None


def test_cart_events_are_mapped_defensively(client, deliver, mapping):
    body = {
        "id": "cart-1", "detail-type": "Cart Event",
        "detail": {"order": {"storeId": "jwo-a", "shoppingTripId": "trip-2"},
                   "cartItems": [{"merchantSku": "SKU-1", "quantityValue": 2, "priceValue": 1.5,
                                  "unexpected": True}]},
    }  # fmt: skip
    deliver(body)
    event = FeedEvent.objects.get(event_id="cart-1")
    assert (event.status, event.kind, event.trip_id) == ("PROCESSED", "CART", "trip-2")
    assert event.mapped["lines"][0]["sku"] == "SKU-1"
    assert event.mapped["lines"][0]["quantity"] == "2"


@pytest.mark.parametrize(
    "change",
    [
        {"detail": {"isTest": True}},
        {"detail": {"test": "true"}},
        {"detail-type": "JWO Payment Test Event"},
        {"source": "aws.justwalkout.test"},
    ],
)
def test_test_events_are_recognised_and_never_booked(client, deliver, mapping, change):
    body = payment(status="AuthorizationDeclined")
    body["detail"].update(change.get("detail", {}))
    body.update({k: v for k, v in change.items() if k != "detail"})
    deliver(body)
    event = FeedEvent.objects.get()
    assert event.status == EventStatus.TEST
    assert event.store is None and event.amount is None
    assert not mail.outbox  # a test decline alerts nobody


def test_other_event_types_are_kept_and_ignored(client, deliver, mapping):
    deliver({"id": "x-1", "detail-type": "Shopper Entered", "detail": {"storeId": "jwo-a"}})
    assert FeedEvent.objects.get().status == EventStatus.IGNORED


def test_an_event_that_cannot_be_booked_goes_to_the_dead_letters_and_is_replayed(
    client, deliver, mapping
):
    deliver(payment(store="jwo-later", status="AuthorizationDeclined"))
    event = FeedEvent.objects.get()
    assert event.status == EventStatus.FAILED and "not mapped" in event.error
    deliver(payment("ev-2", trip=""))
    assert "shoppingTripId" in FeedEvent.objects.get(event_id="ev-2").error
    deliver(payment("ev-3", amount="lots"))
    assert "amount" in FeedEvent.objects.get(event_id="ev-3").error

    staff = staff_user(username="staff-ev")
    client.force_login(staff)
    page = client.get("/feeds/events/?status=FAILED")
    assert page.status_code == 200 and b"ev-2" in page.content
    assert client.post(f"/feeds/events/{event.pk}/replay/").status_code == 403  # staff read

    JwoStoreMappingFactory(jwo_store_id="jwo-later")
    client.force_login(merchant_admin(username="merchant-ev"))
    response = client.post(f"/feeds/events/{event.pk}/replay/")
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED and event.attempts == 2
    assert len(mail.outbox) == 0  # the new store has no contacts


def test_the_sweep_processes_events_whose_task_never_ran(mapping, settings):
    from datetime import timedelta

    from django.utils import timezone

    from feeds.events import feed_events_sweep

    event = FeedEvent.objects.create(event_id="lost", raw=json.dumps(payment("lost")))
    FeedEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    assert feed_events_sweep() == 1
    event.refresh_from_db()
    assert event.status == EventStatus.PROCESSED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("[" * 100_000 + "]" * 100_000, "body"),
        ('{"id": "e1", "detail": {"cartItems": [{"promotionInfos": ' + "[" * 500 + "]" * 500
         + "}]}}", "body"),
    ],
)  # fmt: skip
def test_hostile_bodies_get_a_400_naming_the_field_and_are_kept(client, mapping, body, field):
    response = post(client, body)
    assert response.status_code == 400 and field in response.json()["message"]
    assert FeedEvent.objects.filter(status=EventStatus.REJECTED).count() == 1


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_a_time_the_database_cannot_give_back_is_no_time(client, deliver, mapping, moment):
    body = payment(event_id="far-1", time=moment)
    body["time"] = moment
    assert deliver(body).status_code == 202
    event = FeedEvent.objects.get(event_id="far-1")
    assert event.event_time is None and event.status == "PROCESSED"
    assert client.get("/feeds/events/?status=PROCESSED").status_code in (200, 302)


def test_lone_surrogates_are_stored_replaced_and_the_event_processed(client, deliver, mapping):
    raw = (
        '{"id": "sur-\\ud800x", "source": "\\ud800", "detail-type": "JWO Payment Event", '
        '"detail": {"storeId": "jwo-a", "shoppingTripId": "\\udc00abc", '
        '"status": "CaptureApproved"}}'
    )
    assert deliver(raw).status_code == 202
    event = FeedEvent.objects.get(event_id="sur-\ufffdx")
    assert (event.source, event.trip_id) == ("\ufffd", "\ufffdabc")
    assert event.status == "PROCESSED"
