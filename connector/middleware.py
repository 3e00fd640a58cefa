"""Amazon's paths (connector/urls.py) with a Host header outside ``ALLOWED_HOSTS``.

Django raises ``DisallowedHost`` from ``request.get_host()``, which CommonMiddleware calls for
every request; Django then answers its HTML 400 and the request is lost. This middleware runs
before it: such a request to ``/v1/`` is stored and answered in JSON (connector/pipeline.py
``refuse_host``), as every other refusal is. The rest of the site keeps Django's behaviour."""

import logging
from collections.abc import Callable

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from .models import Endpoint
from .pipeline import refuse_host

PREFIX = "/v1/"
security_logger = logging.getLogger("django.security.DisallowedHost")


class ConnectorHostMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(PREFIX):
            try:
                request.get_host()
            except DisallowedHost as exc:
                security_logger.warning(str(exc)[:300], extra={"path": request.path[:200]})
                return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return refuse_host(request, Endpoint.UNKNOWN)
        request.resolver_match = match  # counted by ops/middleware.py under its endpoint
        route = getattr(match.func, "route", None)
        if match.url_name == "connector-openapi":
            return refuse_host(request, Endpoint.UNKNOWN, store=False)
        return refuse_host(request, route.endpoint if route else Endpoint.UNKNOWN)
