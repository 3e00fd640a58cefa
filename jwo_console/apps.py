from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs) -> None:
    from django.apps import apps

    from .roles import roles_sync

    # post_migrate is sent once per app, and each app's permissions are created in its own turn:
    # sync once, in the last app's turn, when every permission exists.
    if sender.label == list(apps.get_app_configs())[-1].label:
        roles_sync(apps)


class JwoConsoleConfig(AppConfig):
    name = "jwo_console"
    verbose_name = "JWO Console"

    def ready(self) -> None:
        # After every migrate (and every test flush), the role groups hold their permissions.
        post_migrate.connect(_sync_roles, dispatch_uid="jwo_console.sync_roles")

        # Every call the Amazon client makes is stored (read-only in the admin).
        from integrations.amazon.recording import add_recorder

        from .calllog import amazon_call_record

        add_recorder(amazon_call_record)
