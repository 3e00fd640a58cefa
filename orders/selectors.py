"""Reads of one order by its id, the back office's most frequent query (a paid order is read about
ten times between pricing and its receipt): compiled once per connection and shape
(jwo_console/compiledsql.py), the same instances the ORM would give."""

from django.db import connection
from django.db.transaction import TransactionManagementError

from jwo_console.compiledsql import Compiled

from .models import Order

_READS: dict[tuple[tuple[str, ...], bool], Compiled[Order]] = {}


def _read(related: tuple[str, ...], lock: bool) -> Compiled[Order]:
    compiled = _READS.get((related, lock))
    if compiled is None:

        def build(pk: int):
            orders = Order.objects.all()
            if lock:
                orders = orders.select_for_update(of=("self",))
            if related:
                orders = orders.select_related(*related)
            return orders.filter(pk=pk)[:1]

        compiled = _READS.setdefault((related, lock), Compiled(build))
    return compiled


def order_find(order_id: int, *related: str, lock: bool = False) -> Order | None:
    """``Order.objects.select_related(*related).filter(pk=order_id).first()``; with ``lock``,
    ``select_for_update(of=("self",))`` too (inside a transaction, as the ORM requires)."""
    if lock and connection.get_autocommit():
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    return _read(related, lock).first(order_id)


def order_get(order_id: int, *related: str, lock: bool = False) -> Order:
    """As ``order_find``, raising ``Order.DoesNotExist`` as ``.get(pk=…)`` does."""
    order = order_find(order_id, *related, lock=lock)
    if order is None:
        raise Order.DoesNotExist(f"Order matching query does not exist (pk={order_id!r}).")
    return order
