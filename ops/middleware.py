import time

from . import metrics


class ConnectorMetricsMiddleware:
    """Times and counts every request answered by a connector endpoint (connector/urls.py), by
    its URL name, so Amazon's unknown paths are one label, not one per path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        name = match.url_name if match else None
        if name and name.startswith("connector-") and name != "connector-openapi":
            metrics.connector_request_observe(
                endpoint=name.removeprefix("connector-"),
                status=response.status_code,
                seconds=time.monotonic() - started,
            )
        return response
