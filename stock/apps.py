from django.apps import AppConfig


class StockConfig(AppConfig):
    name = "stock"
    verbose_name = "Stock"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from stores.models import JwoStoreMapping

        from .services import stock_source_cache_clear

        # This process sees a changed stock source at once; others within seconds.
        post_save.connect(
            stock_source_cache_clear, sender=JwoStoreMapping, dispatch_uid="stock.source_cache"
        )
