from django.apps import AppConfig


class ConnectivityConfig(AppConfig):
    name = "connectivity"
    verbose_name = "Connectivity test (Amazon, SQS, connector)"
