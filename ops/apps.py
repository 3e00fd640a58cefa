from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations (metrics and alert rules)"

    def ready(self) -> None:
        # Amazon calls are counted and timed as they are recorded; Celery tasks are timed by
        # its signals (ops/metrics.py).
        from integrations.amazon.recording import add_recorder

        from . import metrics

        add_recorder(metrics.amazon_call_observe)
        metrics.celery_signals_connect()
