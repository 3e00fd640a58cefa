"""Hot queries compiled once (jwo_console/compiledsql.py): the same rows and instances as the
ORM's own, one compile per connection, and the ORM itself whenever a query cannot be reused."""

import gc
import threading
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now
from django.db.models.sql.compiler import SQLCompiler, SQLInsertCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jwo_console import compiledsql
from jwo_console.compiledsql import Compiled, insert_sql
from shoppers.choices import EntryMethod
from shoppers.models import AppScanKey, GateDecision, Shopper

pytestmark = pytest.mark.django_db

by_token = Compiled(
    lambda token: (
        AppScanKey.objects.select_related("shopper").filter(token=token).order_by("pk")[:1]
    )
)
card_among = Compiled(
    lambda ids: GateDecision.objects.filter(
        auth_event_id__in=ids, entry=EntryMethod.CARD, admitted=True
    ).order_by("event_time", "pk")
)


@pytest.fixture
def compiles(monkeypatch):
    """How many times Django's compiler turned a SELECT into SQL."""
    counted = {"n": 0}
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        if type(self) is not SQLInsertCompiler:
            counted["n"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    return counted


def _keys(count: int) -> list[AppScanKey]:
    shopper = Shopper.objects.create(email=f"c{uuid.uuid4().hex[:6]}@example.com", name="C")
    now = timezone.now().replace(microsecond=0)
    return [
        AppScanKey.objects.create(shopper=shopper, token=uuid.uuid4().hex, issued_at=now)
        for _ in range(count)
    ]


def _decision(event_id: str, minutes: int, admitted: bool = True) -> GateDecision:
    return GateDecision.objects.create(
        jwo_store_id="jwo-c",
        auth_event_id=event_id,
        entry=EntryMethod.CARD,
        admitted=admitted,
        reason="ADMITTED",
        authorized_amount=Decimal("25.00"),
        currency="USD",
        risks=["ExpiredCard"],
        event_time=timezone.now() - timedelta(minutes=minutes),
    )


def test_a_read_returns_what_the_orm_returns_with_its_related_row(compiles):
    keys = _keys(3)
    for key in keys:
        mine = by_token.first(key.token)
        theirs = AppScanKey.objects.select_related("shopper").get(pk=key.pk)
        assert mine.pk == theirs.pk and mine.issued_at == theirs.issued_at
        assert mine.issued_at.tzinfo is not None
        assert mine._state.adding is False and mine._state.db == "default"
        assert "shopper" in mine._state.fields_cache  # select_related: no query for it
        with CaptureQueriesContext(connection) as queries:
            assert mine.shopper.email == theirs.shopper.email
        assert len(queries) == 0
    assert by_token.first("no-such-token") is None


def test_it_is_compiled_once_and_then_one_query_each(compiles):
    keys = _keys(4)
    by_token.first(keys[0].token)  # may compile (or this connection already has it)
    compiles["n"] = 0
    with CaptureQueriesContext(connection) as queries:
        found = [by_token.first(k.token) for k in keys]
    assert [f.pk for f in found] == [k.pk for k in keys]
    assert compiles["n"] == 0
    assert len(queries) == 4


def test_an_in_list_is_compiled_per_length_and_keeps_its_order_and_filters():
    _decision("ev-a", 5)
    _decision("ev-b", 10)
    _decision("ev-c", 1, admitted=False)  # the constant filter (admitted) still applies
    assert [d.auth_event_id for d in card_among.all(("ev-a", "ev-b", "ev-c"))] == [
        "ev-b",
        "ev-a",
    ]
    assert [d.auth_event_id for d in card_among.all(("ev-a",))] == ["ev-a"]
    assert [d.auth_event_id for d in card_among.all(("ev-c", "ev-a"))] == ["ev-a"]
    found = card_among.all(("ev-b", "ev-x"))
    assert [d.auth_event_id for d in found] == ["ev-b"]
    assert found[0].risks == ["ExpiredCard"]  # a JSON column through the ORM's converters
    assert found[0].authorized_amount == Decimal("25.00")


def test_values_it_cannot_place_fall_back_to_the_orm(compiles):
    _decision("ev-d", 5)
    # The same value twice: the ORM's lookup drops the repeat, the compiled SQL keeps it.
    assert [d.auth_event_id for d in card_among.all(("ev-d", "ev-d"))] == ["ev-d"]
    assert [d.auth_event_id for d in card_among.all(("ev-x", "ev-d"))] == ["ev-d"]
    by_number = Compiled(lambda pk: GateDecision.objects.filter(pk=pk))
    first = GateDecision.objects.get(auth_event_id="ev-d")
    by_true = list(GateDecision.objects.filter(pk=True))
    compiles["n"] = 0
    assert [d.pk for d in by_number.all(first.pk)] == [first.pk]  # an id: compiled once
    assert [d.pk for d in by_number.all(first.pk)] == [first.pk]
    assert compiles["n"] == 2  # (compiled twice, with different stand-ins, then reused)
    # Not an id the compiled SQL may carry: the ORM, each time.
    assert by_number.all(True) == by_true
    assert by_number.all(-first.pk) == [] and by_number.all(2**40) == []
    assert [d.pk for d in by_number.all(str(first.pk))] == [first.pk]
    assert compiles["n"] == 6


def test_each_thread_compiles_on_its_own_connection():
    keys = _keys(1)
    by_token.first(keys[0].token)
    seen = {}

    def other():
        seen["cache"] = connections["default"].__dict__.get("_jwo_compiled_sql")
        connections.close_all()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen["cache"] is None
    assert connections["default"].__dict__.get("_jwo_compiled_sql")


def _unsaved_decision(event_id: str, **fields) -> GateDecision:
    return GateDecision(
        **{
            "jwo_store_id": "jwo-c",
            "auth_event_id": event_id,
            "entry": EntryMethod.APP,
            "admitted": True,
            "reason": "ADMITTED",
            "risks": ["BadDebt"],
            "currency": "USD",
            "event_time": timezone.now(),
            **fields,
        }
    )


def test_an_insert_is_compiled_once_and_prepares_each_rows_values():
    def decision(event_id: str) -> GateDecision:
        return _unsaved_decision(event_id, authorized_amount=Decimal("12.50"))

    first_sql, first_params = insert_sql(decision("ins-1"))
    sql, params = insert_sql(decision("ins-2"))
    assert sql == first_sql and "RETURNING" in sql
    assert "ins-2" in params and "ins-1" not in params
    assert len(params) == len(first_params) == sql.count("%s")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pk = cursor.fetchone()[0]
    saved = GateDecision.objects.get(pk=pk)
    assert saved.auth_event_id == "ins-2" and saved.risks == ["BadDebt"]
    assert saved.authorized_amount == Decimal("12.50") and saved.decided_at is not None


def test_a_new_compiled_never_inherits_a_dead_ones_plan():
    _decision("ev-new", 5)
    key = _keys(1)[0]
    for _ in range(20):  # ids of collected objects are reused: the plans must not be
        old = Compiled(lambda t: AppScanKey.objects.filter(token=t)[:1])
        assert old.first(key.token).pk == key.pk
        del old
        gc.collect()
        new = Compiled(lambda t: GateDecision.objects.filter(auth_event_id=t))
        assert [d.auth_event_id for d in new.all("ev-new")] == ["ev-new"]
        del new
        gc.collect()


def test_a_rewritten_value_or_a_constant_equal_to_it_is_never_taken_for_a_slot():
    _decision("CARD-1", 5)
    _decision("Z-1", 5)
    card = EntryMethod.CARD.value
    starts = Compiled(
        lambda t: GateDecision.objects.filter(auth_event_id__startswith=t, entry=card)
    )
    assert [d.auth_event_id for d in starts.all(card)] == ["CARD-1"]
    assert [d.auth_event_id for d in starts.all("Z")] == ["Z-1"]


def test_values_that_are_not_strings_and_odd_tuples_go_to_the_orm():
    key = AppScanKey.objects.create(
        shopper=_keys(1)[0].shopper, token="12345", issued_at=timezone.now()
    )
    assert by_token.first("12345").pk == key.pk
    assert by_token.first(12345).pk == key.pk  # the ORM converts it, as it always did
    assert by_token.first(None) is None
    assert card_among.all(()) == []
    _decision("ev-long", 5)
    many = (*tuple(f"ev-{n}" for n in range(compiledsql.MAX_TUPLE + 5)), "ev-long")
    assert [d.auth_event_id for d in card_among.all(many)] == ["ev-long"]


def test_the_plans_kept_per_connection_are_bounded(monkeypatch):
    monkeypatch.setattr(compiledsql, "MAX_PLANS", len(compiledsql._cache("default")) + 2)
    _decision("ev-b1", 5)
    for n in range(1, 8):
        ids = ("ev-b1", *tuple(f"ev-none-{k}" for k in range(n)))
        assert [d.auth_event_id for d in card_among.all(ids)] == ["ev-b1"]
    assert len(compiledsql._cache("default")) <= compiledsql.MAX_PLANS


def test_an_insert_with_an_expression_is_never_the_compiled_one():
    def decision(event_id: str, detail) -> GateDecision:
        return _unsaved_decision(event_id, jwo_store_id="jwo-x", detail=detail)

    connections["default"].__dict__.pop("_jwo_compiled_sql", None)  # this insert compiles first
    # Two placeholders in one value and none in another: as many parameters as fields.
    first = decision("expr-1", RawSQL("%s || %s", ("a", "b")))
    first.event_time = Now()
    for obj in (first, decision("expr-2", "plain"), decision("expr-3", Value("v"))):
        sql, params = insert_sql(obj)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            obj.pk = cursor.fetchone()[0]
    found = {d.auth_event_id: d for d in GateDecision.objects.filter(jwo_store_id="jwo-x")}
    assert found["expr-1"].detail == "ab" and found["expr-2"].detail == "plain"
    assert found["expr-3"].detail == "v" and found["expr-2"].risks == ["BadDebt"]


def test_insert_once_creates_once_and_then_reads_the_row_there():
    from jwo_console.compiledsql import insert_once

    values = {
        "jwo_store_id": "jwo-once",
        "auth_event_id": "once-1",
        "entry": EntryMethod.APP,
        "admitted": True,
        "reason": "ADMITTED",
        "risks": [],
        "currency": "USD",
        "event_time": timezone.now(),
    }
    first, created = insert_once(GateDecision, unique="auth_event_id", values=values)
    assert created and first.pk and first._state.adding is False
    again, created_again = insert_once(
        GateDecision, unique="auth_event_id", values={**values, "reason": "CHANGED"}
    )
    assert not created_again and again.pk == first.pk and again.reason == "ADMITTED"
    assert GateDecision.objects.filter(auth_event_id="once-1").count() == 1
    with CaptureQueriesContext(connection) as queries:
        insert_once(GateDecision, unique="auth_event_id", values={**values, "auth_event_id": "o2"})
    if connection.vendor == "postgresql":
        assert len(queries) == 1  # no SELECT first, no savepoint


def test_a_value_the_build_derives_from_an_argument_is_never_frozen_into_the_plan():
    decisions = [_decision(f"derived-{n}", 5) for n in range(3)]
    first = decisions[0].pk
    window = Compiled(lambda pk: GateDecision.objects.filter(pk__gte=pk, pk__lt=pk + 2))
    for _ in range(2):
        assert sorted(d.pk for d in window.all(first)) == [first, first + 1]
    lowered = Compiled(lambda event: GateDecision.objects.filter(auth_event_id=event.lower()))
    assert [d.pk for d in lowered.all("DERIVED-1")] == [decisions[1].pk]
    assert [d.pk for d in lowered.all("DERIVED-2")] == [decisions[2].pk]
    stripped = Compiled(lambda event: GateDecision.objects.filter(auth_event_id=event.strip()))
    assert [d.pk for d in stripped.all(" derived-1 ")] == [decisions[1].pk]
    assert [d.pk for d in stripped.all("derived-2 ")] == [decisions[2].pk]
