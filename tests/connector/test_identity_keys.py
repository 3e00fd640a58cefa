import base64
import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from connector.models import ConnectorRequest
from shoppers.models import GateDecision, LedgerEntry, Shopper
from shoppers.services import scan_key_issue, shopper_app_token_issue
from tests.factories import JwoStoreMappingFactory

URL = "/v1/identity/identity-keys"
SECRET = "test-connector-secret"


@pytest.fixture
def mapping(db):
    return JwoStoreMappingFactory(jwo_store_id="jwo-gate-1")


@pytest.fixture
def shopper(db):
    return Shopper.objects.create(email="sam@example.com", name="Sam")


def key_of(code: str) -> str:
    return base64.b64encode(code.encode()).decode()


def body(identity_key: str, *, event_id: str | None = None, when=None, **extra) -> dict:
    data = {
        "requestId": str(uuid.uuid4()),
        "identityKey": identity_key,
        "storeId": "jwo-gate-1",
        "authEvent": {
            "id": event_id or str(uuid.uuid4()),
            "timestamp": (when or timezone.now()).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "location": "ENTRY",
        },
        "keyChannel": "OPTICAL",
    }
    data.update(extra)
    return data


def post(client, data, secret=SECRET):
    headers = {"HTTP_X_JWO_CONNECTOR_SECRET": secret} if secret is not None else {}
    return client.post(URL, data, content_type="application/json", **headers)


@pytest.mark.django_db
class TestDecisions:
    def test_a_fresh_code_opens_the_gate(self, client, mapping, shopper):
        code = scan_key_issue(shopper=shopper).code
        response = post(client, body(key_of(code)))
        assert response.status_code == 200
        assert response.json() == {
            "visitorDetails": {"id": str(shopper.public_id), "type": "SHOPPER"}
        }
        decision = GateDecision.objects.get()
        assert (decision.admitted, decision.reason, decision.shopper) == (True, "ADMITTED", shopper)
        logged = ConnectorRequest.objects.get()
        assert (logged.status, logged.response_status, logged.store_id) == (
            "ANSWERED",
            200,
            "jwo-gate-1",
        )
        assert logged.headers["X-Jwo-Connector-Secret"] == "[redacted]"
        assert (
            code
            in base64.b64decode(logged.body.split('"identityKey": "')[1].split('"')[0]).decode()
        )

    @pytest.mark.parametrize(
        ("make_key", "reason"),
        [
            (lambda s: key_of("hello"), "WRONG_PREFIX"),
            (lambda s: key_of("JWOB0000000" + "0" * 32), "MALFORMED_KEY"),
            (lambda s: key_of("JWO-" + "0" * 39), "MALFORMED_KEY"),
            (lambda s: key_of("JWOA0t3k5ab" + "a" * 32), "UNKNOWN_KEY"),
        ],
    )
    def test_keys_that_are_not_ours_keep_the_gate_closed(
        self, client, mapping, shopper, make_key, reason
    ):
        response = post(client, body(make_key(shopper)))
        assert response.status_code == 401
        assert GateDecision.objects.get().reason == reason

    def test_an_old_code_is_refused(self, client, mapping, shopper, settings):
        settings.JWO_SCAN_KEY_MAX_AGE_SECONDS = 60
        code = scan_key_issue(shopper=shopper).code
        late = timezone.now() + timedelta(seconds=61)
        assert post(client, body(key_of(code), when=late)).status_code == 401
        decision = GateDecision.objects.get()
        assert decision.reason == "EXPIRED_KEY" and "at most 60 s" in decision.detail
        in_time = timezone.now() + timedelta(seconds=55)
        assert post(client, body(key_of(code), when=in_time)).status_code == 200

    def test_a_flagged_shopper_is_refused(self, client, mapping, shopper):
        code = scan_key_issue(shopper=shopper).code
        Shopper.objects.filter(pk=shopper.pk).update(is_flagged=True, flag_reason="chargeback")
        assert post(client, body(key_of(code))).status_code == 401
        assert GateDecision.objects.get().reason == "FLAGGED"

    def test_a_debt_refuses_entry_only_where_the_retailer_manages_fa(
        self, client, mapping, shopper
    ):
        LedgerEntry.objects.create(
            shopper=shopper, kind="DEBT", amount=Decimal("12.49"), trip_id="t1"
        )
        code = scan_key_issue(shopper=shopper).code
        assert post(client, body(key_of(code))).status_code == 200  # Amazon-managed: Amazon decides
        mapping.fa_strategy = "RETAILER_MANAGED"
        mapping.save()
        assert post(client, body(key_of(code))).status_code == 401
        assert GateDecision.objects.order_by("pk").last().detail == "owes 12.49"
        LedgerEntry.objects.create(shopper=shopper, kind="PAYMENT", amount=Decimal("-12.49"))
        assert post(client, body(key_of(code))).status_code == 200


@pytest.mark.django_db
class TestContract:
    def test_wrong_or_missing_secret_is_401_and_stored(self, client, mapping, shopper, settings):
        code = key_of(scan_key_issue(shopper=shopper).code)
        assert post(client, body(code), secret="nope").status_code == 401
        assert post(client, body(code), secret=None).status_code == 401
        assert (
            list(ConnectorRequest.objects.values_list("status", flat=True)) == ["UNAUTHORIZED"] * 2
        )
        assert not GateDecision.objects.exists()
        settings.JWO_CONNECTOR_SECRET_PREVIOUS = SECRET  # rotating: the previous one still works
        settings.JWO_CONNECTOR_SECRET = "new-secret"
        assert post(client, body(code), secret=SECRET).status_code == 200
        assert post(client, body(code), secret="new-secret").status_code == 200

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            (lambda b: b.pop("requestId"), "requestId"),
            (lambda b: b.update(requestId="not-a-uuid"), "requestId"),
            (lambda b: b.update(identityKey="%%%not base64%%%"), "identityKey"),
            (lambda b: b.update(identityKey="A" * 1004), "identityKey"),
            (lambda b: b.update(storeId="no-such-store"), "storeId"),
            (lambda b: b.pop("authEvent"), "authEvent"),
            (lambda b: b["authEvent"].update(id="123"), "authEvent.id"),
            (lambda b: b["authEvent"].update(timestamp="yesterday"), "authEvent.timestamp"),
            (lambda b: b["authEvent"].update(location="entry"), "authEvent.location"),
            (lambda b: b.update(keyChannel="optical!"), "keyChannel"),
        ],
    )
    def test_each_bad_field_is_a_400_that_names_it(self, client, mapping, change, field):
        data = body(key_of("JWOA0t3k5ab" + "a" * 32))
        change(data)
        response = post(client, data)
        assert response.status_code == 400
        assert field in [e["field"] for e in response.json()["errors"]]
        assert response.json()["message"].startswith(field)
        assert ConnectorRequest.objects.get().status == "INVALID"
        assert not GateDecision.objects.exists()

    def test_a_body_that_is_not_a_json_object(self, client, mapping):
        for raw in (b"{not json", b"[1, 2]"):
            response = client.post(
                URL, raw, content_type="application/json", HTTP_X_JWO_CONNECTOR_SECRET=SECRET
            )
            assert response.status_code == 400 and response.json()["errors"][0]["field"] == ""

    def test_the_other_spellings_are_accepted_and_unknown_fields_ignored(
        self, client, mapping, shopper
    ):
        data = body(key_of(scan_key_issue(shopper=shopper).code), futureField={"x": 1})
        event = data["authEvent"]
        event["eventTimestamp"] = int(timezone.now().timestamp())
        event["authLocation"] = event.pop("location")
        del event["timestamp"]
        assert post(client, data).status_code == 200

    def test_a_repeated_scan_gets_the_same_answer_once(self, client, mapping, shopper):
        code = key_of(scan_key_issue(shopper=shopper).code)
        event_id, when = str(uuid.uuid4()), timezone.now()  # Amazon resends the same event
        first = post(client, body(code, event_id=event_id, when=when))
        again = post(client, body(code, event_id=event_id, when=when))  # a fresh requestId
        assert again.status_code == first.status_code == 200 and again.json() == first.json()
        assert GateDecision.objects.count() == 1
        statuses = list(ConnectorRequest.objects.order_by("pk").values_list("status", flat=True))
        assert statuses == ["ANSWERED", "DUPLICATE"]

    def test_the_same_event_with_another_key_is_409_and_kept(self, client, mapping, shopper):
        event_id = str(uuid.uuid4())
        post(client, body(key_of(scan_key_issue(shopper=shopper).code), event_id=event_id))
        other = post(client, body(key_of(scan_key_issue(shopper=shopper).code), event_id=event_id))
        assert other.status_code == 409
        assert ConnectorRequest.objects.filter(status="CONFLICT").count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_duplicates_decide_once(mapping, shopper):
    # Amazon's retries of one gate event carry the same payload (only requestId may change):
    # build it once, so that threads straddling a second do not send two different timestamps.
    event = body(key_of(scan_key_issue(shopper=shopper).code))
    results = []

    def scan() -> None:
        try:
            results.append(post(Client(), {**event, "requestId": str(uuid.uuid4())}))
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} == {200}
    assert len({r.content for r in results}) == 1
    assert GateDecision.objects.count() == 1
    assert ConnectorRequest.objects.filter(status="ANSWERED").count() == 1


@pytest.mark.django_db
def test_a_failed_request_replayed_from_the_admin_is_processed_anew(
    admin_client, mapping, shopper, monkeypatch
):
    from connector import views

    code = key_of(scan_key_issue(shopper=shopper).code)

    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(views, "gate_verify_identity_key", broken)
    assert post(Client(), body(code)).status_code == 500
    failed = ConnectorRequest.objects.get()
    assert (failed.status, failed.error) == ("FAILED", "RuntimeError: database hiccup")
    monkeypatch.undo()
    response = admin_client.post(
        "/admin/connector/connectorrequest/",
        {"action": "replay", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert "replayed: HTTP 200" in response.content.decode()
    replay = ConnectorRequest.objects.get(replay_of=failed)
    assert (replay.status, replay.response_status) == ("ANSWERED", 200)
    assert GateDecision.objects.get().admitted


@pytest.mark.django_db
class TestAppAndConsole:
    def test_the_app_gets_a_fresh_code_with_its_token(self, client, shopper):
        token = shopper_app_token_issue(shopper=shopper)
        response = client.post("/shoppers/app/scan-key-code", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 201
        code = response.json()["code"]
        assert code.isalnum() and code.startswith("JWOA") and len(code) == 43
        assert (
            client.post("/shoppers/app/scan-key-code", HTTP_AUTHORIZATION="Bearer x").status_code
            == 401
        )
        Shopper.objects.filter(pk=shopper.pk).update(is_flagged=True)
        assert (
            client.post(
                "/shoppers/app/scan-key-code", HTTP_AUTHORIZATION=f"Bearer {token}"
            ).status_code
            == 403
        )

    def test_gate_activity_shows_each_decision_and_its_reason(
        self, staff_client, client, mapping, shopper
    ):
        post(client, body(key_of(scan_key_issue(shopper=shopper).code)))
        post(client, body(key_of("hello")))
        page = staff_client.get("/shoppers/gate-activity/")
        html = page.content.decode()
        assert "sam@example.com" in html and "Admitted" in html
        assert "Key has another retailer&#x27;s prefix" in html
        refused = staff_client.get("/shoppers/gate-activity/", {"outcome": "refused"})
        assert len(refused.context["page"].object_list) == 1


@pytest.mark.django_db
def test_a_request_whose_process_died_does_not_block_the_retry(client, mapping, shopper):
    """The stored request is all that survives a crash mid-way; after a while the retry takes
    its dedupe key over and finishes the work."""
    from datetime import timedelta

    from connector.models import ConnectorRequest

    code = key_of(scan_key_issue(shopper=shopper).code)
    event_id = str(uuid.uuid4())
    data = body(code, event_id=event_id)
    from connector.services import payload_hash

    ConnectorRequest.objects.create(
        endpoint="IDENTITY_KEYS",
        dedupe_key=event_id,
        payload_hash=payload_hash(data),
        status="RECEIVED",
    )
    ConnectorRequest.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    response = post(client, {**data, "requestId": str(uuid.uuid4())})
    assert response.status_code == 200
    assert GateDecision.objects.get().admitted
    assert ConnectorRequest.objects.get(dedupe_key=event_id).status == "ANSWERED"
