"""Trigram indexes for the order grid's search by part of a shopper's e-mail or name
(``orders/filters.py``: ``email__icontains`` / ``name__icontains``, which PostgreSQL runs as
``UPPER(col::text) LIKE UPPER('%…%')``): GIN over ``upper(col::text) gin_trgm_ops`` answers
that LIKE without reading every shopper. PostgreSQL only; a no-op on SQLite."""

from django.db import migrations

INDEXES = {
    "shopper_email_trgm": "email",
    "shopper_name_trgm": "name",
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON shoppers_shopper "
            f"USING gin ((upper(({column})::text)) gin_trgm_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("shoppers", "0004_issue17_connector_contract")]

    operations = [migrations.RunPython(forwards, backwards)]
