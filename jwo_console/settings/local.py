"""The embedded default of `make run`: DEBUG, SQLite, the filesystem broker, the sandbox."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="local-development-only-not-secret")
JWO_SANDBOX = env.bool("JWO_SANDBOX", default=True)
JWO_CONNECTOR_SECRET = env("JWO_CONNECTOR_SECRET", default="local-connector-secret")
# make run starts moto's server: the sandbox publishes catalog upload results to a real SQS API.
SANDBOX_SQS_ENDPOINT_URL = env("SANDBOX_SQS_ENDPOINT_URL", default="http://127.0.0.1:5001")
# ... and the console consumes them from there, as from Amazon's SNS → SQS in production.
JWO_CATALOG_SQS_ENDPOINT_URL = env("JWO_CATALOG_SQS_ENDPOINT_URL", default=SANDBOX_SQS_ENDPOINT_URL)
JWO_CATALOG_SQS_QUEUE_NAME = env("JWO_CATALOG_SQS_QUEUE_NAME", default="jwo-catalog-notifications")
LOG_FORMAT = env("LOG_FORMAT", default="text")
# Sign-in links and receipts are printed in the terminal `make run` runs in.
# With the sandbox on, every mail is also kept for Sandbox → Outbox (sandbox/mail.py), which
# hands it on to the configured backend.
SANDBOX_EMAIL_DELEGATE_BACKEND = env(
    "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_BACKEND = "sandbox.mail.OutboxBackend" if JWO_SANDBOX else SANDBOX_EMAIL_DELEGATE_BACKEND
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405
# make run's terminal: a line per request (runserver), per beat tick and per periodic task is
# noise; they are at WARNING unless JWO_RUN_VERBOSE=1 asks for them (Procfile.dev).
_QUIET = "INFO" if env.bool("JWO_RUN_VERBOSE", default=False) else "WARNING"
for _name in ("django.server", "celery.beat", "celery.app.trace", "botocore", "werkzeug"):
    LOGGING["loggers"].setdefault(_name, {"level": _QUIET})  # noqa: F405

# Serve static files straight from the apps (no collectstatic) when not in production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
