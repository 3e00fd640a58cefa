"""What keeps a sale's depletion cheap on PostgreSQL (stock/models.py, migration 0002): the
level's on-hand update stays a HOT update (no index write), and the ledger row pays at commit
for one foreign key check only. The benchmark (bench/stock.py) measures the time; these hold
the shape it depends on."""

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL storage options and constraints"
    ),
]


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_stock_levels_leave_room_for_hot_updates_and_index_no_updated_column():
    (options,) = _fetch("SELECT reloptions FROM pg_class WHERE relname = %s", ["stock_stocklevel"])
    assert "fillfactor=80" in (options[0] or [])
    indexed = {
        column
        for (column,) in _fetch(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
            " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = 'stock_stocklevel'::regclass",
            [],
        )
    }
    # What a sale updates must not be indexed, or the update is not HOT.
    assert not indexed & {"on_hand", "last_movement_at", "updated_at"}, indexed


def test_a_ledger_row_checks_only_its_store_item_at_commit():
    referenced = {
        table
        for (table,) in _fetch(
            "SELECT confrelid::regclass::text FROM pg_constraint"
            " WHERE conrelid = 'stock_stockmovement'::regclass AND contype = 'f'",
            [],
        )
    }
    assert "catalog_storeitem" in referenced
    assert not referenced & {"stores_store", "orders_order"}, referenced


def test_a_sale_writes_no_order_index_entry():
    (definition,) = _fetch(
        "SELECT indexdef FROM pg_indexes WHERE indexname = %s", ["stockmove_order_returns"]
    )
    assert "WHERE" in definition[0] and "REFUND_RETURN" in definition[0]
