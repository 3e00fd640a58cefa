"""Give the console's roles their orders and pricing permissions (jwo_console/roles.py)."""

from django.db import migrations

from jwo_console.roles import roles_migrate


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial"), ("connector", "0002_roles")]

    operations = [migrations.RunPython(roles_migrate, migrations.RunPython.noop)]
