from django.apps import AppConfig


class ShoppersConfig(AppConfig):
    name = "shoppers"
    verbose_name = "Shoppers"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the settings check)
