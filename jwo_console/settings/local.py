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
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405

# Serve static files straight from the apps (no collectstatic) when not in production.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
