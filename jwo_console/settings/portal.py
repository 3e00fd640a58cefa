"""The shopper portal (portal/) and outgoing e-mail."""

from .environment import LOCAL_BASE_URL, env

# The shopper portal (portal/): one-time sign-in links, how long a portal session lasts without
# use, the rate limits on asking for a link and on card lookups, and the address links use.
PORTAL_LINK_TTL_MINUTES = env.int("PORTAL_LINK_TTL_MINUTES", default=15)
PORTAL_SESSION_IDLE_MINUTES = env.int("PORTAL_SESSION_IDLE_MINUTES", default=30)
PORTAL_SIGNIN_RATE_PER_EMAIL = env("PORTAL_SIGNIN_RATE_PER_EMAIL", default="5/15minutes")
PORTAL_SIGNIN_RATE_PER_IP = env("PORTAL_SIGNIN_RATE_PER_IP", default="30/hour")
PORTAL_LOOKUP_RATE_PER_IP = env("PORTAL_LOOKUP_RATE_PER_IP", default="10/hour")
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default=LOCAL_BASE_URL)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="JWO Console <receipts@jwo-console.example>")
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
