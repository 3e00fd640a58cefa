"""Settings for pytest: fast hashing, the sandbox on, whatever DATABASE_URL / REDIS_URL say."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, REDIS_URL, VAR_DIR, env, filesystem_broker_options

DEBUG = False
SECRET_KEY = "test-only-not-secret"
JWO_SANDBOX = True
JWO_CONNECTOR_SECRET = "test-connector-secret"
JWO_EVENT_FEED_KEY = "test-event-feed-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True  # end-to-end tests switch it off and start a real worker
CELERY_TASK_EAGER_PROPAGATES = True
# Outbound calls go to a closed port unless a test points them somewhere (the ``sandbox``
# fixture points them at its live server): a test that forgot the fixture gets "connection
# refused", never the `make run` console that may be serving on 127.0.0.1:8000 meanwhile.
CLOSED_PORT_URL = "http://127.0.0.1:9"
JWO_SANDBOX_URL = env("JWO_SANDBOX_URL", default=f"{CLOSED_PORT_URL}/sandbox")
JWO_SANDBOX_CONNECTOR_URL = env("JWO_SANDBOX_CONNECTOR_URL", default=CLOSED_PORT_URL)
JWO_CONNECTOR_PUBLIC_URL = env("JWO_CONNECTOR_PUBLIC_URL", default=CLOSED_PORT_URL)
# Each pytest-xdist worker counts (and resets) its own rate limits in the one Redis.
RATE_LIMIT_KEY_PREFIX = f"LIMITS-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
# Pricing tests look at PRICED orders; the payment tests (and the end-to-end ones) turn it on.
JWO_PAYMENT_ON_PRICED = False
if not REDIS_URL and not env("CELERY_BROKER_DIR", default=""):
    # Keep the tests' messages apart from a running `make run`.
    CELERY_BROKER_TRANSPORT_OPTIONS = filesystem_broker_options(VAR_DIR / "test-broker")
# Tests close connections after each request (live servers, threads, flushes between tests).
DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not shared-cache memory: the live server and a real worker run in other threads,
    # and shared-cache memory locks whole tables across them ("database table is locked").
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
LOG_FORMAT = "text"
LOGGING["handlers"]["console"]["formatter"] = "text"  # noqa: F405
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# Serve static files straight from the apps (no collectstatic) when not in production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
