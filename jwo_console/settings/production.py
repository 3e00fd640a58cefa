"""Production: secrets come from the environment only, and the sandbox is refused (not installed,
so its URLs are not mounted and its tables not migrated)."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY")  # no default: refuse to start without one
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY is empty; production needs a real secret key.")
JWO_SANDBOX = env.bool("JWO_SANDBOX", default=False)
if JWO_SANDBOX:
    raise ImproperlyConfigured(
        "JWO_SANDBOX is on: the sandbox plays Amazon and must never run in production."
    )
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")
JWO_CONNECTOR_SECRET = env("JWO_CONNECTOR_SECRET")
# The event feed's key has no default: without it /feeds/events answers 401 to everyone.
JWO_EVENT_FEED_KEY = env("JWO_EVENT_FEED_KEY", default="")

STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"  # noqa: F405
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
# The card processor for portal payoffs: its real address and key, never the sandbox's.
PROCESSOR_URL = env("PROCESSOR_URL")
PROCESSOR_API_KEY = env("PROCESSOR_API_KEY")
if not PROCESSOR_API_KEY:
    raise ImproperlyConfigured("PROCESSOR_API_KEY is empty; the portal's payoffs need it.")
# The loyalty providers' keys: required, never the sandbox's (base's default).
YINZCAM_API_KEY = env("YINZCAM_API_KEY", default="")
VENUENEXT_API_KEY = env("VENUENEXT_API_KEY", default="")
_LOYALTY_KEYS = {"YINZCAM_API_KEY": YINZCAM_API_KEY, "VENUENEXT_API_KEY": VENUENEXT_API_KEY}
for _name, _value in _LOYALTY_KEYS.items():
    if not _value or _value == SANDBOX_LOYALTY_API_KEY:  # noqa: F405
        raise ImproperlyConfigured(
            f"{_name} is empty or the sandbox's key; production needs the provider's real key."
        )

# The sandbox plays Amazon: never installed here (jwo_console/urls.py mounts it only when on).
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "sandbox"]  # noqa: F405
