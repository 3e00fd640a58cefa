"""The Celery app. Broker: REDIS_URL when set, otherwise the embedded filesystem broker.

Periodic schedules are declared in settings (``CELERY_BEAT_SCHEDULE``), in one place.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_console.settings.local")

app = Celery("jwo_console")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
