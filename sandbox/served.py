"""The sandbox served on a free local port for as long as a block runs, for work that happens
before ``make run`` serves anything (the demo seeds in the Makefile's ``migrate`` target): the
console's Amazon clients then reach the sandbox over real HTTP, signed, as they always do."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.test.utils import override_settings

from integrations.amazon import config


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


class _ClosingHandler(WSGIHandler):
    """Each request's thread gives its database connection back when it is answered."""

    def __call__(self, environ, start_response):
        try:
            return super().__call__(environ, start_response)
        finally:
            connections.close_all()


@contextmanager
def sandbox_served() -> Iterator[str]:
    """Serve the project on 127.0.0.1 (a free port) and point the Amazon clients at its sandbox;
    yields the base URL. The explicit service URLs are cleared inside the block."""
    server = make_server(
        "127.0.0.1", 0, _ClosingHandler(), server_class=_ThreadingServer, handler_class=_Quiet
    )
    url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="sandbox-served", daemon=True)
    thread.start()
    overrides = {
        "JWO_SANDBOX": True,
        "JWO_SANDBOX_URL": f"{url}/sandbox",
        "JWO_CATALOG_URL": "",
        "JWO_PAYMENTS_URL": "",
        "JWO_CHECKOUT_URL": "",
        "JWO_FEEDBACK_URL": "",
    }
    try:
        with override_settings(**overrides):
            config.credentials.cache_clear()
            yield url
    finally:
        server.shutdown()
        server.server_close()
        config.credentials.cache_clear()
