"""Hostile input never becomes a 5xx or an unhandled error: any CSV loads or reports its bad
rows, any body to the feed gets 202/200 or a 400 naming a field."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.intraday import parse_rows
from feeds.models import FeedEvent
from tests.feeds.helpers import HEADERS

CELLS = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)


@given(rows=st.lists(st.lists(CELLS, min_size=0, max_size=16), max_size=8))
@settings(max_examples=150, deadline=None)
def test_any_csv_parses_into_rows_or_reported_errors(rows):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    from django.conf import settings as django_settings

    _, parsed = parse_rows(buffer.getvalue(), dict(django_settings.JWO_INTRADAY_COLUMNS))
    for row_no, row, error, _raw in parsed:
        assert row_no >= 2
        assert (row is None) == bool(error)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | CELLS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(CELLS, inner, max_size=4),
    max_leaves=12,
)


@pytest.mark.django_db
@given(
    body=st.one_of(
        CELLS,
        JSONISH.map(json.dumps),
        st.fixed_dictionaries(
            {"id": CELLS, "detail-type": CELLS, "detail": JSONISH}, optional={"time": JSONISH}
        ).map(json.dumps),
    )
)
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_body_to_the_feed_is_stored_and_answered_without_a_5xx(client, body):
    response = client.post(
        "/feeds/events", body, content_type="application/json",
        HTTP_X_JWO_EVENT_KEY="test-event-feed-key",
    )  # fmt: skip
    assert response.status_code in (200, 202, 400), response.content
    if response.status_code == 400:
        assert response.json()["errors"][0]["field"]
    assert FeedEvent.objects.exists()
    from feeds.events import feed_event_process

    for event in FeedEvent.objects.filter(status="RECEIVED"):
        processed = feed_event_process(event=event)  # never raises for the content
        assert processed.status in ("PROCESSED", "TEST", "IGNORED", "FAILED")


@pytest.mark.django_db
@pytest.mark.parametrize("size", [256 * 1024 + 1, 3 * 1024 * 1024])
def test_an_oversized_event_gets_a_json_413_and_its_first_bytes_are_kept(client, size):
    """Beyond Django's own 2.5 MB limit too: a JSON 413 naming the body, never an HTML 400."""
    body = '{"id": "big", "detail": "' + "x" * size + '"}'
    response = client.post(
        "/feeds/events", body, content_type="application/json",
        HTTP_X_JWO_EVENT_KEY="test-event-feed-key",
    )  # fmt: skip
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["field"] == "body"
    kept = FeedEvent.objects.get()
    assert kept.status == "REJECTED"
    assert kept.raw.startswith('{"id": "big"') and len(kept.raw) == 4096
    assert str(len(body)) in kept.error


def test_a_chunked_body_is_read_from_the_server_stream():
    """gunicorn hands a chunked body over de-chunked with no Content-Length; Django alone
    would read it as empty."""
    import io

    from django.test import RequestFactory

    from jwo_console.bodies import read_capped_body

    request = RequestFactory().post("/feeds/events", b"", content_type="application/json")
    payload = b'{"id": "chunked"}'
    request.META.pop("CONTENT_LENGTH", None)
    request.META["HTTP_TRANSFER_ENCODING"] = "chunked"
    request.META["wsgi.input"] = io.BytesIO(payload)
    assert read_capped_body(request, cap=1024, preview=8) == (payload, len(payload), False)
    request.META["wsgi.input"] = io.BytesIO(payload * 100)
    body, size, too_large = read_capped_body(request, cap=1024, preview=8)
    assert (body, size, too_large) == (payload[:8], 1025, True)
