import socket

import pytest

from tests.factories import JwoStoreMappingFactory, StoreFactory


@pytest.fixture
def wired(sandbox, settings):
    """The sandbox plays Amazon and the connector is reached through the live server's URL."""
    settings.JWO_CONNECTOR_PUBLIC_URL = sandbox.url
    settings.JWO_HTTP_CONNECT_TIMEOUT = 1.0
    settings.JWO_HTTP_READ_TIMEOUT = 5.0
    return sandbox


@pytest.fixture
def payment_store():
    """Payment Service, Amazon-managed F&A (so the Feedback API too), app and card entry."""
    return JwoStoreMappingFactory(
        store=StoreFactory(name="Arena Market", time_zone="America/Chicago"),
        jwo_store_id="jwo-conn-1",
        payment_mode="PAYMENT_SERVICE",
        fa_strategy="AMAZON_MANAGED",
    )


@pytest.fixture
def checkout_store():
    """Checkout Service, retailer-managed F&A with card entry (so the F&A endpoint too)."""
    return JwoStoreMappingFactory(
        store=StoreFactory(name="Stadium Express"),
        jwo_store_id="jwo-conn-2",
        payment_mode="CHECKOUT_SERVICE",
        fa_strategy="RETAILER_MANAGED",
        entry_app=False,
        entry_card=True,
    )


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Answer:
    """What the fake server answers (set by the test): a status, a body and its type, or a
    trickle (one byte of the status line every ``trickle`` seconds)."""

    def __init__(self) -> None:
        self.status = 200
        self.body = b"<html><head><title>Welcome to nginx!</title></head></html>"
        self.content_type = "text/html"
        self.trickle = 0.0
        self.requests: list[tuple[str, dict]] = []


@pytest.fixture
def fake_server():
    """A tiny HTTP server on 127.0.0.1 that is not Amazon's API nor the console: it answers
    every POST with ``server.answer`` (an nginx welcome page by default)."""
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    answer = _Answer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            answer.requests.append((self.path, dict(self.headers)))
            if answer.trickle:
                try:
                    for byte in b"HTTP/1.1 200 OK\r\n" * 20:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(answer.trickle)
                except OSError:
                    pass
                return
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.answer = answer
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()
