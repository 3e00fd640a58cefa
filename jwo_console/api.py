"""DRF wiring shared by every API: domain errors become one JSON error shape."""

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import ApplicationError, ConflictError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        code = status.HTTP_409_CONFLICT if isinstance(exc, ConflictError) else 400
        return Response({"message": exc.message, "extra": exc.extra}, status=code)
    return drf_exception_handler(exc, context)
