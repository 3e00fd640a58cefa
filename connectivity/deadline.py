"""A ``requests`` session whose calls all end by one deadline, however slowly the other side
answers.

requests' read timeout bounds each read, not the answer: a server sending one header byte every
few seconds holds a call for ever. Each connection this session opens registers its socket; a
timer shuts the sockets down when the deadline passes, which ends any read under way (the call
then fails as a dropped connection, and ``expired`` says why).
"""

import contextlib
import socket
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class _Watch:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            late = self.expired
            self._sockets.append(sock)
        if late:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _pools(watch: _Watch) -> dict[str, type]:
    class _Http(HTTPConnection):
        def connect(self) -> None:
            super().connect()
            watch.add(self.sock)

    class _Https(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            watch.add(self.sock)

    class _HttpPool(HTTPConnectionPool):
        ConnectionCls = _Http

    class _HttpsPool(HTTPSConnectionPool):
        ConnectionCls = _Https

    return {"http": _HttpPool, "https": _HttpsPool}


class _Adapter(HTTPAdapter):
    def __init__(self, watch: _Watch, **kwargs: Any) -> None:
        self._watch = watch
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pools(self._watch)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self._watch.expired:
            raise requests.ConnectionError("the deadline had passed before the call")
        return super().send(request, **kwargs)


class DeadlineSession(requests.Session):
    """``with DeadlineSession(seconds) as session: ...``: every call ends within ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.watch = _Watch(seconds)
        adapter = _Adapter(self.watch)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    @property
    def expired(self) -> bool:
        return self.watch.expired

    def close(self) -> None:
        self.watch.cancel()
        super().close()
