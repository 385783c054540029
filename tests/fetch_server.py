"""A local stand-in for arXiv and Crossref: canned answers on 127.0.0.1, never the network.

Each test starts its own server on port 0, registers the answers it needs by
request path, and can then look at what was asked (paths and headers) and how
many requests were in flight at once.
"""

from __future__ import annotations

import socket
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


@dataclass
class Canned:
    """One answer: status, body, type, and how long to stall before sending it."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/json"
    delay: float = 0.0

    @classmethod
    def file(cls, name: str, *, status: int = 200) -> Canned:
        """An answer from tests/data, typed by its extension."""
        kind = "application/atom+xml" if name.endswith(".xml") else "application/json"
        return cls((DATA / name).read_bytes(), status=status, content_type=kind)


@dataclass
class Seen:
    """A request as the server received it."""

    path: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)


class CannedServer:
    """A threaded HTTP server answering registered paths; 404 for anything else.

    Paths are matched after percent-decoding, query included, so a test states
    the exact request it expects (`/works/10.1016/j.aiopen.2022.10.001`).
    """

    def __init__(self) -> None:
        self.routes: dict[str, Canned] = {}
        self.seen: list[Seen] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._count_lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _handler_for(self))
        # A short poll interval: shutdown() waits for one poll, and every test shuts one down.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, path: str, answer: Canned) -> None:
        self.routes[path] = answer

    def close(self) -> None:
        self._closing.set()  # wakes handlers stalling for a timeout test
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> CannedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (the timeout tests) is expected, not a failure."""


def _handler_for(server: CannedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with server._count_lock:
                server.seen.append(Seen(self.path, dict(self.headers.items())))
                server._in_flight += 1
                server.max_in_flight = max(server.max_in_flight, server._in_flight)
            try:
                answer = server.routes.get(urllib.parse.unquote(self.path))
                if answer is None:
                    answer = Canned(b"Resource not found.", 404, "text/plain")
                if answer.delay:
                    server._closing.wait(answer.delay)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(answer.body)
            finally:
                with server._count_lock:
                    server._in_flight -= 1

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest output clean

    return Handler


def closed_port() -> int:
    """A local port that nothing listens on, for "connection refused"."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
