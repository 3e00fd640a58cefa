from django.conf import settings
from django.core import checks


@checks.register()
def scan_key_window(app_configs, **kwargs):
    """Amazon asks for a Scan Key Code freshness window between 30 and 90 seconds."""
    if not 30 <= settings.JWO_SCAN_KEY_MAX_AGE_SECONDS <= 90:
        return [
            checks.Error(
                "JWO_SCAN_KEY_MAX_AGE_SECONDS must be between 30 and 90 (Amazon's rule).",
                id="shoppers.E001",
            )
        ]
    return []
