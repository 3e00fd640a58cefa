"""Every input gets a JSON 4xx and is stored: nothing Amazon (or anyone) sends yields a 5xx or
an unrecorded request."""

import json
import uuid

import pytest
from django.utils import timezone

from connector.models import ConnectorRequest
from orders.models import ShoppingTrip
from tests.factories import JwoStoreMappingFactory

SECRET = "test-connector-secret"
PURCHASES = "/v1/order/purchases"
IDENTITY = "/v1/identity/identity-keys"
pytestmark = pytest.mark.django_db


@pytest.fixture
def mapping():
    return JwoStoreMappingFactory(jwo_store_id="jwo-hostile-1")


def send(client, url, raw: bytes | str, content_type="application/json", method="post"):
    data = raw.encode() if isinstance(raw, str) else raw
    if method == "get":
        return client.get(url, HTTP_X_JWO_CONNECTOR_SECRET=SECRET)
    return getattr(client, method)(
        url, data, content_type=content_type, HTTP_X_JWO_CONNECTOR_SECRET=SECRET
    )


def purchase(**extra) -> dict:
    body = {
        "requestId": str(uuid.uuid4()),
        "idempotentShoppingTripId": str(uuid.uuid4()),
        "storeId": "jwo-hostile-1",
        "shoppingTrip": {
            "startTime": "2026-11-23T17:00:00Z",
            "endTime": "2026-11-23T17:09:39Z",
            "authEvents": [{"id": "e1", "payloadType": "FINANCIAL", "location": "ENTRY"}],
        },
        "cartItems": [{"id": "SKU-1", "type": "SKU", "quantity": {"value": "1", "unit": "unit"}}],
    }
    body.update(extra)
    return body


def assert_refused_and_stored(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    stored = ConnectorRequest.objects.order_by("-pk").first()
    assert stored is not None and stored.response_status == status
    assert stored.response_body == answer
    if field is not None:
        assert field in {e["field"] for e in answer["errors"]}, answer
    return answer


def test_a_nul_byte_in_the_body_is_refused_and_kept_escaped(client, mapping):
    raw = json.dumps(purchase()).replace('"SKU-1"', '"SKU-\x00-1"')
    answer = assert_refused_and_stored(send(client, PURCHASES, raw), 400)
    assert "not JSON" in answer["message"]  # a raw control character is not JSON
    stored = ConnectorRequest.objects.get()
    assert "SKU-\\u0000-1" in stored.body and "\x00" not in stored.body


def test_an_escaped_nul_anywhere_names_the_field(client, mapping):
    body = purchase()
    body["cartItems"][0]["note"] = "a\u0000b"  # an unknown field: validation would ignore it
    answer = assert_refused_and_stored(
        send(client, PURCHASES, json.dumps(body)), 400, "cartItems[0].note"
    )
    assert "NUL" in answer["message"]
    assert ShoppingTrip.objects.count() == 0
    body = purchase(extra={"\u0000key": 1})
    assert_refused_and_stored(send(client, PURCHASES, json.dumps(body)), 400)


def test_a_lone_surrogate_is_refused(client, mapping):
    raw = json.dumps(purchase()).replace('"SKU-1"', '"SKU-\\ud800"')
    answer = assert_refused_and_stored(send(client, PURCHASES, raw), 400, "cartItems[0].id")
    assert "surrogate" in answer["message"]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_refused_while_parsing(client, mapping, number):
    raw = json.dumps(purchase(extra="X")).replace('"X"', number)
    answer = assert_refused_and_stored(send(client, PURCHASES, raw), 400)
    assert "number" in answer["message"]
    assert ShoppingTrip.objects.count() == 0


def test_deep_nesting_is_refused(client, mapping, settings):
    for depth in (settings.JWO_CONNECTOR_MAX_DEPTH + 1, 100_000):
        raw = json.dumps(purchase(extra="X")).replace('"X"', "[" * depth + "]" * depth)
        answer = assert_refused_and_stored(send(client, PURCHASES, raw), 400)
        assert "nested deeper" in answer["message"]


@pytest.mark.parametrize("timestamp", [1e20, -1e20, 1e300, "1e20", 253402300800])
def test_absurd_epoch_timestamps_are_a_400(client, mapping, timestamp):
    body = {
        "requestId": str(uuid.uuid4()),
        "identityKey": "SldPSU1BRzE4YmMwNTU0ZDA0NWE0OGIyOWFmYTllMmFhYWMxNGFl",
        "storeId": "jwo-hostile-1",
        "authEvent": {"id": str(uuid.uuid4()), "eventTimestamp": timestamp, "location": "ENTRY"},
    }
    assert_refused_and_stored(send(client, IDENTITY, json.dumps(body)), 400, "authEvent.timestamp")


def test_a_body_over_the_cap_is_413_with_a_stored_preview(client, mapping, settings):
    settings.JWO_CONNECTOR_MAX_BODY_BYTES = 10_000
    body = purchase(padding="x" * 20_000)
    answer = assert_refused_and_stored(send(client, PURCHASES, json.dumps(body)), 413)
    assert "at most 10000" in answer["message"]
    stored = ConnectorRequest.objects.get()
    assert stored.status == "TOO_LARGE"
    assert stored.body_size > 20_000 and stored.body.startswith('{"requestId"')


def test_a_body_over_djangos_own_limit_is_still_a_json_413(client, mapping):
    big = json.dumps(purchase(padding="x" * 3_000_000))  # Django's limit is 2.5 MB
    answer = assert_refused_and_stored(send(client, PURCHASES, big), 413)
    assert answer["errors"][0]["field"] == ""
    assert len(ConnectorRequest.objects.get().body) <= 65_536


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_non_json_content_types_are_415(client, mapping, content_type):
    response = send(client, PURCHASES, json.dumps(purchase()), content_type=content_type)
    assert_refused_and_stored(response, 415)
    assert ConnectorRequest.objects.get().status == "UNSUPPORTED"


def test_json_with_a_charset_is_accepted(client, mapping):
    response = send(
        client, PURCHASES, json.dumps(purchase()), content_type="application/json; charset=utf-8"
    )
    assert response.status_code == 201


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_other_methods_are_405_and_stored(client, mapping, method):
    response = send(client, PURCHASES, "{}", method=method)
    assert_refused_and_stored(response, 405)
    assert response["Allow"] == "POST"
    assert ConnectorRequest.objects.get().method == method.upper()


@pytest.mark.parametrize("path", ["/v1/identity/nothing-here", "/v1/", "/v1"])
def test_an_unknown_path_under_v1_is_a_json_404_and_stored(client, path):
    response = send(client, path, "{}")
    assert_refused_and_stored(response, 404)
    assert ConnectorRequest.objects.get().endpoint == "UNKNOWN"


@pytest.mark.parametrize("secret", [SECRET, None])
def test_a_nul_in_the_path_is_a_json_404_with_it_escaped(client, secret):
    headers = {"HTTP_X_JWO_CONNECTOR_SECRET": secret} if secret else {}
    response = client.post(
        "/v1/order/purchases%00", b"{}", content_type="application/json", **headers
    )
    answer = assert_refused_and_stored(response, 404)
    assert "\\u0000" in answer["message"] and "\x00" not in answer["message"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("declared", ["2147483648", "99999999999999999999", "-5"])
def test_a_content_length_out_of_range_is_refused_not_a_500(live_server, declared):
    """Over a real socket: one byte sent, a length beyond the column's (or below 0) declared,
    and the sending side closed."""
    import socket
    from urllib.parse import urlsplit

    JwoStoreMappingFactory(jwo_store_id="jwo-hostile-1")
    host = urlsplit(live_server.url)
    with socket.create_connection((host.hostname, host.port), timeout=10) as sock:
        sock.sendall(
            f"POST {PURCHASES} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            f"X-JWO-Connector-Secret: {SECRET}\r\nContent-Length: {declared}\r\n"
            "Connection: close\r\n\r\n{".encode()
        )
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert status in (400, 413), answer[:300]
    assert b"application/json" in answer.split(b"\r\n\r\n", 1)[0]
    assert ConnectorRequest.objects.get().response_status == status


@pytest.mark.parametrize(
    "raw", [b"", b"not json", b"[1, 2]", b'"a string"', b"\xff\xfe{}", b"{" * 10 + b"}"]
)
def test_garbage_is_a_400_naming_the_body(client, mapping, raw):
    assert_refused_and_stored(send(client, PURCHASES, raw), 400, "")


def test_a_huge_integer_is_a_400_not_a_500(client, mapping):
    raw = json.dumps(purchase(extra="X")).replace('"X"', "9" * 5000)
    answer = assert_refused_and_stored(send(client, PURCHASES, raw), 400)
    assert "more than 100 digits" in answer["message"] and "sys." not in answer["message"]


def test_dates_at_the_edge_of_the_calendar_are_a_400(client, mapping):
    body = purchase()
    body["shoppingTrip"]["startTime"] = "0001-01-01T00:00:00+14:00"
    body["shoppingTrip"]["endTime"] = "9999-12-31T23:59:59-14:00"
    response = send(client, PURCHASES, json.dumps(body))
    assert response.status_code in (201, 400)
    assert ConnectorRequest.objects.get().response_status == response.status_code


def test_wrong_secret_is_stored_with_nul_escaped(client, mapping):
    response = client.post(
        PURCHASES,
        b'{"a": "\x00"}',
        content_type="application/json",
        HTTP_X_JWO_CONNECTOR_SECRET="wrong",
    )
    assert_refused_and_stored(response, 401)
    assert ConnectorRequest.objects.get().body == '{"a": "\\u0000"}'


def test_identity_keys_still_answers_after_hostile_calls(client, mapping):
    """The refusals do not break the pipeline for the next good call."""
    send(client, PURCHASES, b"\x00")
    send(client, PURCHASES, "[" * 50_000)
    body = {
        "requestId": str(uuid.uuid4()),
        "identityKey": "SldPSU1BRzE4YmMwNTU0ZDA0NWE0OGIyOWFmYTllMmFhYWMxNGFl",
        "storeId": "jwo-hostile-1",
        "authEvent": {
            "id": str(uuid.uuid4()),
            "timestamp": timezone.now().isoformat(),
            "location": "ENTRY",
        },
    }
    assert send(client, IDENTITY, json.dumps(body)).status_code == 401  # not admitted


def test_a_chunked_body_is_read_not_taken_for_empty(client, mapping):
    """gunicorn hands a ``Transfer-Encoding: chunked`` body over de-chunked and without a
    Content-Length; Django alone reads it as empty (which answered 400 "body: empty")."""
    import io

    body = json.dumps(purchase()).encode()
    response = client.post(
        PURCHASES, b"", content_type="application/json", HTTP_X_JWO_CONNECTOR_SECRET=SECRET,
        CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": io.BytesIO(body)},
    )  # fmt: skip
    assert response.status_code == 201, response.content[:300]
    stored = ConnectorRequest.objects.get()
    assert stored.body_size == len(body) and stored.response_status == 201


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [(PURCHASES, "PURCHASES"), (IDENTITY, "IDENTITY_KEYS"), ("/v1/nothing-here", "UNKNOWN")],
)
@pytest.mark.parametrize("host", ["evil.example", "bad host!", "a" * 300])
def test_a_disallowed_host_is_a_json_400_and_stored(client, mapping, url, endpoint, host):
    body = json.dumps(purchase())
    response = client.post(
        url, body, content_type="application/json", HTTP_X_JWO_CONNECTOR_SECRET=SECRET,
        HTTP_HOST=host,
    )  # fmt: skip
    answer = assert_refused_and_stored(response, 400, "Host")
    assert "ALLOWED_HOSTS" in answer["message"]
    stored = ConnectorRequest.objects.get()
    assert stored.endpoint == endpoint and stored.status == "INVALID"
    assert stored.body == body  # the payload itself is kept, for review or replay
    assert stored.headers.get("Host") == host
    assert not ShoppingTrip.objects.exists()


def test_a_disallowed_host_elsewhere_keeps_djangos_answer(client):
    assert client.get("/accounts/login/", HTTP_HOST="evil.example").status_code == 400
    assert not ConnectorRequest.objects.exists()
