"""Give the console's roles their shoppers and connector permissions (jwo_console/roles.py)."""

from django.db import migrations

from jwo_console.roles import roles_migrate


class Migration(migrations.Migration):
    dependencies = [
        ("connector", "0001_initial"),
        ("shoppers", "0001_initial"),
        ("catalog", "0002_roles"),
    ]

    operations = [migrations.RunPython(roles_migrate, migrations.RunPython.noop)]
