from django.apps import AppConfig


class ConnectorConfig(AppConfig):
    name = "connector"
    verbose_name = "Connector (endpoints Amazon calls)"
