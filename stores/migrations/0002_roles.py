"""Create the console's two roles as groups: Merchant admin (configures) and Staff (reads)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from jwo_console.roles import MERCHANT_ADMIN, STAFF, roles_sync


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now so groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    roles_sync(apps)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[MERCHANT_ADMIN, STAFF]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stores", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
