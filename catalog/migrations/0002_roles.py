"""Give the console's roles their catalog permissions (see jwo_console/roles.py)."""

from django.db import migrations

from jwo_console.roles import roles_migrate


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial"), ("stores", "0002_roles")]

    operations = [migrations.RunPython(roles_migrate, migrations.RunPython.noop)]
