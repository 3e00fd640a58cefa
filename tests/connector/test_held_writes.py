"""The gate calls' writes held and sent with the stored answer (jwo_console/heldwrites.py): one
transaction in one round trip, all or nothing, a task queued only once its order is written,
and no write slipping past while writes are held. Real transactions (the held path needs
autocommit, as in a web request), PostgreSQL only."""

import base64
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from connector.models import ConnectorRequest
from jwo_console import heldwrites, queueing
from orders.models import Order, OrderEvent, ShoppingTrip
from shoppers.models import GateDecision, Shopper
from shoppers.services import scan_key_issue
from tests.factories import JwoStoreMappingFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="writes are held on PostgreSQL"),
]
SECRET = "test-connector-secret"


@pytest.fixture
def mapping():
    return JwoStoreMappingFactory(jwo_store_id="jwo-held-1")


@pytest.fixture
def shopper():
    return Shopper.objects.create(email="held@example.com", name="Held")


def identity(shopper: Shopper, event_id: str | None = None) -> dict:
    code = scan_key_issue(shopper=shopper).code
    return {
        "requestId": str(uuid.uuid4()),
        "identityKey": base64.b64encode(code.encode()).decode(),
        "storeId": "jwo-held-1",
        "authEvent": {
            "id": event_id or str(uuid.uuid4()),
            "timestamp": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "location": "ENTRY",
        },
        "keyChannel": "OPTICAL",
    }


def purchase(trip_id: str | None = None) -> dict:
    return {
        "requestId": str(uuid.uuid4()),
        "idempotentShoppingTripId": trip_id or str(uuid.uuid4()),
        "storeId": "jwo-held-1",
        "shoppingTrip": {
            "startTime": "2026-11-23T17:00:00Z",
            "endTime": "2026-11-23T17:09:39Z",
            "authEvents": [{"id": "e1", "payloadType": "FINANCIAL", "location": "ENTRY"}],
        },
        "cartItems": [
            {"id": "SKU-1", "type": "SKU", "quantity": {"value": "2.0", "unit": "unit"}},
        ],
        "shopperIdentity": {"id": "amzn-held"},
    }


def post(url: str, body: dict):
    return Client().post(
        url, body, content_type="application/json", HTTP_X_JWO_CONNECTOR_SECRET=SECRET
    )


def test_a_gate_decision_and_its_answer_commit_together_in_one_round_trip(mapping, shopper):
    post("/v1/identity/identity-keys", identity(shopper))  # the store's mapping, now cached
    body = identity(shopper)
    with CaptureQueriesContext(connection) as sent:
        response = post("/v1/identity/identity-keys", body)
    assert response.status_code == 200
    # stored (1), the scan key read (1), the decision and the answer in one transaction (1)
    assert len(sent.captured_queries) == 3, [q["sql"][:80] for q in sent.captured_queries]
    assert sent.captured_queries[-1]["sql"].startswith("BEGIN; INSERT INTO")
    decision = GateDecision.objects.get(auth_event_id=body["authEvent"]["id"])
    stored = ConnectorRequest.objects.get(request_id=body["requestId"])
    assert (decision.admitted, decision.shopper_id) == (True, shopper.pk)
    assert (stored.status, stored.response_status) == ("ANSWERED", 200)


def test_a_held_write_that_fails_commits_nothing_and_answers_a_stored_500(mapping, shopper):
    # A decision for this gate event exists already (written past the connector's dedupe):
    # the held INSERT fails at the flush, so the answer written with it is rolled back too.
    event_id = str(uuid.uuid4())
    GateDecision.objects.create(
        jwo_store_id="jwo-held-1",
        auth_event_id=event_id,
        entry="APP",
        admitted=False,
        reason="UNKNOWN_KEY",
        event_time=timezone.now(),
    )
    response = post("/v1/identity/identity-keys", identity(shopper, event_id))
    assert response.status_code == 500
    assert response.json() == {"message": "Internal error"}
    stored = ConnectorRequest.objects.get()
    assert (stored.status, stored.response_status) == ("FAILED", 500)
    assert "IntegrityError" in stored.error
    assert GateDecision.objects.count() == 1  # the one made before, unchanged
    # the connection is not left inside the failed transaction: the next call goes through
    again = post("/v1/identity/identity-keys", identity(shopper))
    assert again.status_code == 200
    assert GateDecision.objects.filter(admitted=True).count() == 1


def test_a_purchase_is_written_before_its_pricing_task_is_queued(mapping, monkeypatch):
    queued = []

    def send_now(task_name, *args, **log_ids):
        order_id = args[0]
        queued.append((task_name, Order.objects.filter(pk=order_id).exists()))
        return True

    monkeypatch.setattr(queueing, "send_now", send_now)
    post("/v1/order/purchases", purchase())  # the store's mapping is read once, then cached
    queued.clear()
    body = purchase()
    with CaptureQueriesContext(connection) as sent:
        response = post("/v1/order/purchases", body)
    assert response.status_code == 201, response.content
    order = Order.objects.select_related("trip").get(trip__trip_id=body["idempotentShoppingTripId"])
    assert response.json() == {"purchaseId": order.purchase_id}
    assert order.purchase_id == f"JWO{order.trip_id:010d}"
    assert order.trip.cart_items[0]["id"] == "SKU-1"
    assert list(OrderEvent.objects.filter(order=order).values_list("type", flat=True)) == [
        "created"
    ]
    assert [exists for _, exists in queued] == [True]  # queued once, its order already there
    assert ConnectorRequest.objects.get(request_id=body["requestId"]).status == "ANSWERED"
    # stored, the gate decision read, the reserved ids, and one transaction for the rest (the
    # stub's own look at the order aside; BEGIN and COMMIT alone are Django's log of an
    # atomic block that sent nothing)
    real = [
        q
        for q in sent.captured_queries
        if q["sql"] not in ("BEGIN", "COMMIT") and not q["sql"].startswith("SELECT 1 AS")
    ]
    assert len(real) == 4, [q["sql"][:80] for q in real]


def test_a_failed_purchase_flush_writes_nothing_and_queues_nothing(mapping, monkeypatch):
    queued = []
    monkeypatch.setattr(queueing, "send_now", lambda *a, **k: queued.append(a) or True)
    trip_id = str(uuid.uuid4())
    first = post("/v1/order/purchases", purchase(trip_id))
    assert first.status_code == 201
    # The same trip once more under another dedupe key (another Amazon store id would do it;
    # here the trip row's own unique constraint is what refuses it): nothing half-written.
    ConnectorRequest.objects.update(dedupe_key=None)
    second = post("/v1/order/purchases", purchase(trip_id))
    assert second.status_code == 500
    assert (ShoppingTrip.objects.count(), Order.objects.count()) == (1, 1)
    assert OrderEvent.objects.count() == 1
    assert len(queued) == 1  # the first order's task only


def test_while_writes_are_held_any_other_write_is_refused_before_it_is_sent(shopper):
    with heldwrites.held_writes() as held:
        with pytest.raises(heldwrites.HeldWriteRefused):
            Shopper.objects.create(email="sneaky@example.com")
        Shopper.objects.filter(pk=shopper.pk).exists()  # reads go through
        heldwrites.insert_or_hold(Shopper(email="held-too@example.com"))
    assert not Shopper.objects.filter(email__in=["sneaky@example.com", "held-too@example.com"])
    assert len(held.inserts) == 1  # held, never flushed: nothing was sent


def test_a_task_that_cannot_be_queued_after_the_commit_leaves_the_purchase_answered(
    mapping, monkeypatch
):
    # What comes after the commit only makes things sooner: a broker refusing the task (say
    # Redis out of memory, an error kombu does not wrap) must not turn the committed purchase
    # into a stored 500 whose retries could never be written again.
    def refused(*args, **kwargs):
        raise RuntimeError("OOM command not allowed when used memory > 'maxmemory'")

    monkeypatch.setattr(queueing, "send_now", refused)
    body = purchase()
    response = post("/v1/order/purchases", body)
    assert response.status_code == 201
    order = Order.objects.get(trip__trip_id=body["idempotentShoppingTripId"])
    assert response.json() == {"purchaseId": order.purchase_id}
    stored = ConnectorRequest.objects.get(request_id=body["requestId"])
    assert (stored.status, stored.response_status) == ("ANSWERED", 201)
    assert order.next_action == "PRICE"  # the sweep prices it


def test_a_broker_error_kombu_does_not_wrap_is_logged_not_raised(monkeypatch, caplog):
    import payments.tasks  # noqa: F401  (registered first: the teardown puts it back)
    from jwo_console.celery import app

    class Refusing:
        def apply_async(self, args):
            raise RuntimeError("READONLY You can't write against a read only replica.")

    monkeypatch.setitem(app.tasks, "payments.tasks.order_advance_task", Refusing())
    assert queueing.send_now("payments.tasks.order_advance_task", 1, None, order_id=1) is False
    assert "READONLY" in caplog.text
