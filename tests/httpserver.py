"""A real HTTP server on 127.0.0.1 for crawler tests.

Tests register routes (path → handler) that answer in the zoo's own wire format, and can script
failures (429 with Retry-After, 5xx, delays, truncated bodies) per route. The server runs in a
thread on a free port; requests it received are recorded so tests can assert what was fetched.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: Declared Content-Length when it is not ``len(body)``: a larger value makes a truncated
    #: body (the server sends ``body`` and closes the connection).
    content_length: int | None = None


Handler = Callable[["Request"], Reply]


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


class LocalServer:
    """``with LocalServer() as server: server.route("/x", handler); server.url("/x")``."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.prefix_routes: list[tuple[str, Handler]] = []
        self.failures: dict[str, list[Reply]] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as two writes; with Nagle's algorithm a keep-alive client
            # waits for a delayed ACK (~40 ms) between them on every request.
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    parts.path,
                    parts.query,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                reply = outer._dispatch(request)
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                declared = len(reply.body) if reply.content_length is None else reply.content_length
                self.send_header("Content-Length", str(declared))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)
                if declared != len(reply.body):
                    self.close_connection = True  # the client sees the body cut short

            do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for the serve loop to notice, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, handler: Handler | Reply) -> None:
        """Answer ``path`` exactly (query string ignored) with a handler or a fixed reply."""
        self.routes[path] = handler if callable(handler) else (lambda _request, r=handler: r)

    def route_prefix(self, prefix: str, handler: Handler) -> None:
        self.prefix_routes.append((prefix, handler))

    def fail_next(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``path`` with these replies before the real handler."""
        self.failures.setdefault(path, []).extend(replies)

    def _dispatch(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            queued = self.failures.get(request.path)
            if queued:
                return queued.pop(0)
        handler = self.routes.get(request.path)
        if handler is None:
            for prefix, candidate in self.prefix_routes:
                if request.path.startswith(prefix):
                    handler = candidate
                    break
        if handler is None:
            return Reply(404, b"not found")
        return handler(request)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
