"""Once a data migration for the console's roles; now a no-op kept for its place in the graph.

The roles are kept by ``post_migrate`` alone (jwo_console/apps.py calls
``jwo_console.roles.roles_sync`` after every ``migrate``, once every permission exists). A
migration that imports live code breaks when that code changes and repeated the same sync, so
this one does nothing; later migrations still depend on its name.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("connector", "0001_initial"),
        ("shoppers", "0001_initial"),
        ("catalog", "0002_roles"),
    ]

    operations = []
