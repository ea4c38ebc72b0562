"""A local HTTP server on 127.0.0.1 serving the fixture feeds, including ones that misbehave."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
ETAG = '"sanguo-v1"'
LAST_MODIFIED = "Mon, 01 Nov 2027 01:00:00 GMT"
HUGE_BYTES = 6 * 1024 * 1024  # over the 5 MB cap


@dataclass
class Log:
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    statuses: list[tuple[str, int]] = field(default_factory=list)

    def headers_for(self, path: str) -> list[dict[str, str]]:
        return [headers for p, headers in self.requests if p == path]


class FeedServer:
    def __init__(self) -> None:
        self.log = Log()
        self.release = threading.Event()  # lets the never-answering handler go at shutdown
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                server.log.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = ROUTES.get(self.path)
                if route is None:
                    self._send(404, b"not found", "text/plain")
                else:
                    route(self)

            def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
                server.log.statuses.append((self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up, as it should
                    self.close_connection = True

            def file(self, name: str, content_type: str = "application/rss+xml") -> None:
                self._send(200, (FEEDS / name).read_bytes(), content_type)

            def etag(self) -> None:
                if self.headers.get("If-None-Match") == ETAG:
                    server.log.statuses.append((self.path, 304))
                    self.send_response(304)
                    self.send_header("ETag", ETAG)
                    self.end_headers()
                    return
                self._send(200, (FEEDS / "etag.xml").read_bytes(), "application/rss+xml",
                           {"ETag": ETAG, "Last-Modified": LAST_MODIFIED})

            def huge(self) -> None:
                # no Content-Length: the client must stop reading at its cap by itself
                server.log.statuses.append((self.path, 200))
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Connection", "close")
                self.end_headers()
                head = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>big</title>'
                try:
                    self.wfile.write(head)
                    filler = b"<item><title>x</title><description>" + b"y" * 4000 + b"</description></item>"
                    sent = len(head)
                    while sent < HUGE_BYTES:
                        self.wfile.write(filler)
                        sent += len(filler)
                    self.wfile.write(b"</channel></rss>")
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            def huge_declared(self) -> None:
                self._send(200, b"<rss/>" + b" " * HUGE_BYTES, "application/rss+xml")

            def hang(self) -> None:
                server.release.wait(30)  # never answers within any client timeout
                self.close_connection = True

        ROUTES = {
            "/rss2.xml": lambda h: h.file("rss2.xml"),
            "/atom.xml": lambda h: h.file("atom.xml", "application/atom+xml"),
            "/gbk.xml": lambda h: h.file("gbk.xml", "application/xml"),
            "/mislabeled.xml": lambda h: h.file("mislabeled-gb18030.xml", "application/rss+xml; charset=utf-8"),
            "/malformed.xml": lambda h: h.file("malformed.xml"),
            "/unsafe.xml": lambda h: h.file("unsafe.xml"),
            "/etag.xml": lambda h: h.etag(),
            "/huge.xml": lambda h: h.huge(),
            "/huge-declared.xml": lambda h: h.huge_declared(),
            "/hang.xml": lambda h: h.hang(),
            "/page.html": lambda h: h._send(200, "<html><body>这不是订阅源</body></html>".encode(), "text/html"),
        }
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
