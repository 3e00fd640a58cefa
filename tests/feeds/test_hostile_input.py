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
