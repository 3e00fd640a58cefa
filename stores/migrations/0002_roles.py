"""Create the console's two roles as groups: Merchant admin (configures) and Staff (reads)."""

from django.db import migrations

from jwo_console.roles import MERCHANT_ADMIN, STAFF, roles_migrate


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[MERCHANT_ADMIN, STAFF]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stores", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(roles_migrate, remove_roles)]
