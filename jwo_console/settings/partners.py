"""Partners other than Amazon: the loyalty providers and the card processor."""

from .environment import env

# Loyalty providers (integrations/loyalty). With the sandbox on, it plays both and accepts
# SANDBOX_LOYALTY_API_KEY, the default of both keys; production.py requires real keys.
SANDBOX_LOYALTY_API_KEY = env("SANDBOX_LOYALTY_API_KEY", default="sandbox-loyalty-key")
YINZCAM_URL = env("YINZCAM_URL", default="")
YINZCAM_API_KEY = env("YINZCAM_API_KEY", default=SANDBOX_LOYALTY_API_KEY)
VENUENEXT_URL = env("VENUENEXT_URL", default="")
VENUENEXT_API_KEY = env("VENUENEXT_API_KEY", default=SANDBOX_LOYALTY_API_KEY)

# The retailer's card processor for balance payoffs (integrations/processor): a hosted payment
# page, so no card number reaches this server. With the sandbox on and no URL, it plays the
# processor at /sandbox/processor.
PROCESSOR_URL = env("PROCESSOR_URL", default="")
PROCESSOR_API_KEY = env("PROCESSOR_API_KEY", default="sandbox-processor-key")
SANDBOX_PROCESSOR_API_KEY = env("SANDBOX_PROCESSOR_API_KEY", default="sandbox-processor-key")
