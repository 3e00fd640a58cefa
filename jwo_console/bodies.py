"""Reading a machine endpoint's request body without Django's own limit, which answers an HTML
400 and loses the request (``DATA_UPLOAD_MAX_MEMORY_SIZE``), and without ever holding more than
the endpoint's cap. Used by the connector (connector/views.py) and the event feed
(feeds/views.py)."""

from django.http import HttpRequest


def read_capped_body(request: HttpRequest, *, cap: int, preview: int) -> tuple[bytes, int, bool]:
    """(the body, or its first ``preview`` bytes when too large; bytes received or declared;
    too large?).

    A body sent with ``Transfer-Encoding: chunked`` has no Content-Length; Django then reads it
    as empty, so it is read from the server's input stream (gunicorn hands it over de-chunked)."""
    try:
        declared = max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        declared = 0
    if declared > cap:
        return request.read(preview), declared, True
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if not declared and chunked and "wsgi.input" in request.META:
        data = request.META["wsgi.input"].read(cap + 1)
    else:
        data = request.read(cap + 1)
    if len(data) > cap:
        return data[:preview], len(data), True
    return data, len(data), False
