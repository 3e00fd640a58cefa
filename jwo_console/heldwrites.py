"""Writes held back to go with a request's last statement: one round trip, one transaction
(PostgreSQL).

A gate call reads, decides, writes its decision and stores its answer. Sent one by one inside
``transaction.atomic()`` that is BEGIN, the read, the decision, the answer and COMMIT: five
round trips on the path a shopper waits on at the gate. Inside ``held_writes()`` a service's
INSERT (``insert_or_hold``) is held instead, reads run in autocommit, and ``flush`` sends
``BEGIN; <held inserts>; <last statement>; COMMIT`` in one execute (psycopg's client-side
binding, Django's default, allows several statements with parameters): two round trips.

All or nothing still: the held inserts and the last statement commit together or not at all,
and while writes are held any other write is refused before it reaches the database
(``HeldWriteRefused``), so a held request can never commit half its work on its own. Outside
``held_writes()`` (SQLite, or a caller already inside a transaction) ``insert_or_hold`` simply
saves, and the caller's transaction holds the writes together as before.
"""

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Model

from .compiledsql import insert_sql

logger = logging.getLogger(__name__)


class HeldWriteRefused(RuntimeError):
    """A write other than a held INSERT was sent while writes are held."""


@dataclass
class _Held:
    sql: str
    params: Sequence[Any]
    obj: Model


@dataclass
class HeldWrites:
    """What a request holds back: INSERTs, in order, with the instance each one saves, and what
    is to run once they are committed (``on_commit``)."""

    inserts: list[_Held] = field(default_factory=list)
    after: list[Callable[[], Any]] = field(default_factory=list)

    def flush(self, sql: str, params: Sequence[Any]) -> None:
        """Send the held INSERTs and ``sql`` (the request's last statement) in one transaction,
        one round trip; each held instance gets its new primary key. On failure the
        transaction is rolled back (the connection is left usable) and the error raised, as
        Django's."""
        statements = ["BEGIN", *(h.sql for h in self.inserts), sql, "COMMIT"]
        values = [v for h in self.inserts for v in h.params] + list(params)
        with connection.cursor() as cursor:
            try:
                cursor.execute("; ".join(statements), values)
                raw = cursor.cursor  # psycopg's: one result per statement, BEGIN's first
                for held in self.inserts:
                    raw.nextset()
                    held.obj.pk = raw.fetchone()[0]
                    held.obj._state.adding = False
                    held.obj._state.db = connection.alias
            except Exception:
                cursor.execute("ROLLBACK")  # never leave the connection inside a transaction
                self.after.clear()  # nothing was committed
                raise
        self.inserts.clear()
        callbacks, self.after = self.after, []
        for callback in callbacks:
            # Committed: nothing may fail the request now (its answer is stored). A callback
            # only makes things sooner (a task queued); the sweep finds what it would have done.
            try:
                callback()
            except Exception:
                logger.exception("after-commit callback failed; the sweep will take over")


_current: ContextVar[HeldWrites | None] = ContextVar("held_writes", default=None)


def _reads_only(execute, sql, params, many, context):
    if sql.lstrip()[:6].upper() != "SELECT":
        raise HeldWriteRefused(
            f"a write while writes are held (use insert_or_hold): {sql.lstrip()[:60]}"
        )
    return execute(sql, params, many, context)


def can_hold() -> bool:
    """Writes can be held here: PostgreSQL, and no transaction open around the caller."""
    return connection.vendor == "postgresql" and connection.get_autocommit()


@contextmanager
def held_writes() -> Iterator[HeldWrites]:
    """Hold INSERTs made through ``insert_or_hold`` until ``flush``; refuse any other write.
    Call ``flush`` after the block (what is not flushed is dropped: nothing was sent)."""
    held = HeldWrites()
    token = _current.set(held)
    try:
        with connection.execute_wrapper(_reads_only):
            yield held
    finally:
        _current.reset(token)


def on_commit(callback: Callable[[], Any]) -> None:
    """Run ``callback`` once the request's writes are committed: after the flush while writes
    are held (Django's on_commit would run it at once, before anything is written), else
    Django's ``transaction.on_commit``."""
    held = _current.get()
    if held is None:
        transaction.on_commit(callback)
    else:
        held.after.append(callback)


def reserve_ids(*models: type[Model]) -> list[int] | None:
    """While writes are held: the next primary key of each model's table, taken from its
    sequence in one read, so held rows can refer to each other (and an answer can name one)
    before any is written. None outside ``held_writes()``: the INSERTs assign them."""
    if _current.get() is None:
        return None
    calls = ", ".join(["nextval(pg_get_serial_sequence(%s, %s))"] * len(models))
    params = [v for m in models for v in (m._meta.db_table, m._meta.pk.column)]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {calls}", params)
        return list(cursor.fetchone())


def _insert_sql(obj: Model) -> tuple[str, tuple]:
    """The ORM's own INSERT of ``obj`` (its fields' defaults, auto_now and conversions), with
    RETURNING of the primary key; compiled once per model (jwo_console/compiledsql.py), not
    run. A primary key already set (``reserve_ids``) is written; otherwise the table's sequence
    assigns it."""
    return insert_sql(obj, connection.alias)


def insert_or_hold(obj: Model) -> Model:
    """Save ``obj`` as a new row: held for the request's flush inside ``held_writes()``
    (its pk is set then), saved now otherwise."""
    held = _current.get()
    if held is None:
        obj.save(force_insert=True)
        return obj
    sql, params = _insert_sql(obj)
    held.inserts.append(_Held(sql, params, obj))
    return obj
