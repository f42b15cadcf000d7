"""The HTTP server the local Slack stand-ins run on: loopback, a free port, one thread per request.

Each stand-in decides its answers; this module only reads requests and writes answers, so the
webhook receiver and the Web API speak HTTP the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    content_type: str
    retry_after: int | None = None
    location: str | None = None


# (path, headers, body) -> the answer to a POST; a stand-in may block in it (a held answer).
PostHandler = Callable[[str, Mapping[str, str], bytes], Answer]
# (path, headers) -> the status of a GET, which only a client following a redirect sends; the body is "ok".
GetHandler = Callable[[str, Mapping[str, str]], int]


class LoopbackServer:
    """Serves ``on_post`` and ``on_get`` on 127.0.0.1 from ``start`` until ``close``."""

    def __init__(self, on_post: PostHandler, on_get: GetHandler) -> None:
        self._on_post = on_post
        self._on_get = on_get
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        """Listens on a free port and returns the server's base URL, ``http://127.0.0.1:PORT``."""
        on_post, on_get = self._on_post, self._on_get

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                answer = on_post(self.path, dict(self.headers.items()), self.rfile.read(length))
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(answer.body)))
                    if answer.retry_after is not None:
                        self.send_header("Retry-After", str(answer.retry_after))
                    if answer.location is not None:
                        self.send_header("Location", answer.location)
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up waiting (a timeout fault)

            def do_GET(self) -> None:
                self.send_response(on_get(self.path, dict(self.headers.items())))
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
