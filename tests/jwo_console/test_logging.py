"""A refused request is logged as one line; a server error keeps its traceback."""

import io
import logging

import pytest

from jwo_console.logging import ClientErrorWithoutTraceback


def _formatted(status_code: int) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ClientErrorWithoutTraceback())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.refused")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise PermissionError("nope")
        except PermissionError as exc:
            logger.warning("Forbidden: /x/", exc_info=exc, extra={"status_code": status_code})
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_a_4xx_is_one_line_and_a_5xx_keeps_its_traceback():
    assert _formatted(403) == "WARNING Forbidden: /x/\n"
    assert "Traceback" in _formatted(500)


@pytest.mark.django_db
def test_a_staff_403_is_logged_without_a_traceback(staff_client, caplog):
    from django.conf import settings

    handler_filters = settings.LOGGING["handlers"]["console"]["filters"]
    assert "client_error" in handler_filters
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = staff_client.post("/settings/integrations/jwo/", {})
    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.status_code == 403
