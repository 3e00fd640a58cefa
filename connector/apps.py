from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _forget_mapping(sender, instance, **kwargs) -> None:
    from .serializers import _MAPPINGS

    _MAPPINGS.clear()  # the id itself may have changed: forget every entry


class ConnectorConfig(AppConfig):
    name = "connector"
    verbose_name = "Connector (endpoints Amazon calls)"

    def ready(self) -> None:
        # A mapping change is seen at once in this process (others within the cache's 10 s).
        from stores.models import JwoStoreMapping

        post_save.connect(_forget_mapping, sender=JwoStoreMapping, dispatch_uid="connector.map")
        post_delete.connect(_forget_mapping, sender=JwoStoreMapping, dispatch_uid="connector.unmap")
