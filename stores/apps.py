from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class StoresConfig(AppConfig):
    name = "stores"
    verbose_name = "Stores"

    def ready(self) -> None:
        # A mapping change is seen at once in this process (others within the cache's 10 s).
        from .models import JwoStoreMapping
        from .selectors import mapping_cache_clear

        post_save.connect(mapping_cache_clear, sender=JwoStoreMapping, dispatch_uid="stores.map")
        post_delete.connect(
            mapping_cache_clear, sender=JwoStoreMapping, dispatch_uid="stores.unmap"
        )
