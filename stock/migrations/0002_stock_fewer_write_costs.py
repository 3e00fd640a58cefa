"""Fewer write costs on the pricing path (stock/models.py says why): stock levels' created_at
unindexed and their pages left room (fillfactor 80, PostgreSQL) so a sale's update of on hand
is a HOT update; the ledger's copied store and its order referenced without a constraint
checked at each commit, and its order indexed for refund returns only."""

import django.db.models.deletion
from django.db import migrations, models


def _fillfactor(value: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":  # SQLite has no such thing
            schema_editor.execute(f"ALTER TABLE stock_stocklevel SET (fillfactor = {value})")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0010_order_delegation_mode_choices"),
        ("stock", "0001_stock_initial"),
        ("stores", "0006_stock_settings"),
    ]

    operations = [
        migrations.AlterField(
            model_name="stocklevel",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True),
        ),
        migrations.AlterField(
            model_name="stockmovement",
            name="order",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="orders.order",
            ),
        ),
        migrations.AlterField(
            model_name="stockmovement",
            name="store",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="stores.store",
            ),
        ),
        migrations.AddIndex(
            model_name="stockmovement",
            index=models.Index(
                condition=models.Q(("kind", "REFUND_RETURN")),
                fields=["order"],
                name="stockmove_order_returns",
            ),
        ),
        migrations.RunPython(_fillfactor(80), _fillfactor(100)),
    ]
