"""`xnwl serve`: a local preview of output/site with live reload, rebuilding when content or templates change.

The reload script is added to pages as they are served; the built files never contain it.

It obeys only its user. Every request (GET, HEAD, POST) must name the server itself in `Host`: its own
address and port (and `localhost` when it listens on loopback); a page elsewhere that rebinds its own name
to 127.0.0.1 sends its name and gets 403. The approve/reject form must carry the token the server put into
the review page as it served it (random per server start, never in the built files) and an `Origin` that
is the server itself; anything else is refused with 403.
"""

from __future__ import annotations

import hmac
import html
import ipaddress
import secrets
import sys
import threading
import time
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, unquote, urlsplit

from pipeline.site_build import base_path, build_and_swap, site_dir
from pipeline.content.problems import UserError
from pipeline.plan import Month
from pipeline.review.commands import decide_from_form
from pipeline.review.page import built_review_months, review_link_bar

VERSION_PATH = "/__xnwl/version"
OUTPUT_PREFIX = "/_output/"  # the batch folders (review pages, posters, article previews), read-only
DECIDE_PATH = "/_review/decide"  # the review page's approve / reject form
MAX_FORM_BYTES = 64 * 1024
TOKEN_FIELD = b'name="token" value=""'  # the review form's empty token field, filled in as the page is served
WATCHED = ("routes", "content", "templates", "xnwl.toml")
POLL_S = 0.5
RELOAD_SNIPPET = (
    "<script>(function(){var seen=null;function poll(){fetch('" + VERSION_PATH + "',{cache:'no-store'})"
    ".then(function(r){return r.text()}).then(function(v){if(seen===null)seen=v;else if(v!==seen)location.reload()})"
    ".catch(function(){}).then(function(){setTimeout(poll,800)})}poll()})();</script>"
)


def watched_state(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every file under the watched folders: any difference means rebuild."""
    state: dict[str, tuple[int, int]] = {}
    for name in WATCHED:
        top = root / name
        paths = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
        for path in paths:
            if path.is_file():
                info = path.stat()
                state[path.relative_to(root).as_posix()] = (info.st_mtime_ns, info.st_size)
    return state


class Preview:
    """Builds the site and keeps a version number that changes after every successful rebuild."""

    def __init__(self, root: Path, month: Month | None, with_search: bool = True,
                 log: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)) -> None:
        self.root = root
        self.month = month
        self.with_search = with_search
        self.log = log
        self.version = 0
        self._lock = threading.Lock()

    def rebuild(self) -> bool:
        with self._lock:
            try:
                result = build_and_swap(self.root, self.month, self.with_search)
            except UserError as exc:
                self.log(exc.render())
                self.log("网站未更新：请修改上面的问题，保存后会自动重试。")
                return False
            self.version += 1
            self.log(f"已重新生成网站：{result.pages} 个页面，共 {result.files} 个文件。")
            return True

    def watch(self, stop: threading.Event) -> None:
        state = watched_state(self.root)
        while not stop.wait(POLL_S):
            current = watched_state(self.root)
            if current != state:
                time.sleep(0.2)  # let an editor finish saving a group of files
                state = watched_state(self.root)
                self.rebuild()


def allowed_hosts(host: str, port: int) -> frozenset[str] | None:
    """The Host header values naming this server; None: any IP address with this port (listening on all)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return frozenset({f"{host.lower()}:{port}"})
    if address.is_unspecified:
        return None
    names = {f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"}
    if address.is_loopback:
        names.add(f"localhost:{port}")
    return frozenset(names)


def host_ok(value: str | None, allowed: frozenset[str] | None, port: int) -> bool:
    if not value:
        return False
    value = value.strip().lower()
    if allowed is not None:
        return value in allowed
    # listening on every address: an IP literal with our port (a name could be anyone's, rebound to us)
    name, _, given_port = value.rpartition(":")
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return given_port == str(port)


class PreviewHandler(SimpleHTTPRequestHandler):
    preview: Preview
    base_path: str

    def __init__(self, *args, preview: Preview, base_path: str, token: str = "",  # type: ignore[no-untyped-def]
                 **kwargs) -> None:
        self.preview = preview
        self.base_path = base_path
        self.token = token
        super().__init__(*args, **kwargs)

    def _refuse_foreign_host(self) -> bool:
        """403 for a request that does not name this server in Host (DNS rebinding); True when refused."""
        host, port = self.server.server_address[:2]
        if host_ok(self.headers.get("Host"), allowed_hosts(str(host), int(port)), int(port)):
            return False
        self._send(HTTPStatus.FORBIDDEN, "只接受发给本机预览地址的请求。".encode(), "text/plain; charset=utf-8")
        return True

    def do_HEAD(self) -> None:  # noqa: N802
        if not self._refuse_foreign_host():
            super().do_HEAD()

    def log_message(self, format: str, *args) -> None:  # type: ignore[no-untyped-def]  # quiet: one line per rebuild is enough
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self._refuse_foreign_host():
            return
        path = urlsplit(self.path).path
        if path.startswith(OUTPUT_PREFIX):
            self._output_file(unquote(path[len(OUTPUT_PREFIX):]))
            return
        if path == VERSION_PATH:
            self._send(HTTPStatus.OK, str(self.preview.version).encode(), "text/plain; charset=utf-8")
            return
        if self.base_path != "/":
            if path in ("/", self.base_path.rstrip("/")):
                self.send_response(HTTPStatus.FOUND)
                self.send_header("Location", self.base_path)
                self.end_headers()
                return
            if not path.startswith(self.base_path):
                self._not_found()
                return
            self.path = "/" + self.path[len(self.base_path):]
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            if not urlsplit(self.path).path.endswith("/"):
                super().do_GET()  # redirects to the address with a slash
                return
            target = target / "index.html"
        if target.suffix == ".html":
            if target.is_file():
                bar = review_link_bar(  # preview only: the built files have no link
                    Path(self.directory).parent, OUTPUT_PREFIX).encode()
                self._send(HTTPStatus.OK, _inject(target.read_bytes(), bar), "text/html; charset=utf-8")
            else:
                self._not_found()
            return
        if not target.exists():
            self._not_found()
            return
        super().do_GET()

    def do_POST(self) -> None:  # noqa: N802
        if self._refuse_foreign_host():
            return
        if urlsplit(self.path).path != DECIDE_PATH:
            self._send(HTTPStatus.NOT_FOUND, "页面不存在".encode(), "text/plain; charset=utf-8")
            return
        origin = self.headers.get("Origin")
        if not origin or urlsplit(origin).scheme != "http" or urlsplit(origin).netloc.lower() != (
                self.headers.get("Host") or "").strip().lower():
            self._send(HTTPStatus.FORBIDDEN, "只接受本机审核页提交的表单（缺少或不符的 Origin）。".encode(),
                       "text/plain; charset=utf-8")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if not 0 < length <= MAX_FORM_BYTES:
            self._send(HTTPStatus.BAD_REQUEST, "表单为空或过大。".encode(), "text/plain; charset=utf-8")
            return
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode("utf-8", "replace")).items()}
        if not self.token or not hmac.compare_digest(form.get("token", "").encode(), self.token.encode()):
            self._send(HTTPStatus.FORBIDDEN, "表单缺少本次预览的令牌：请重新打开审核页（刷新）后再提交。".encode(),
                       "text/plain; charset=utf-8")
            return
        try:
            location = decide_from_form(self.preview.root, form)
        except UserError as exc:
            body = (f"<!doctype html><html lang=zh-CN><meta charset=utf-8><title>未能记录</title>"
                    f"<p>未能记录：{html.escape(exc.render())}</p><p><a href=\"javascript:history.back()\">返回</a></p>")
            self._send(HTTPStatus.BAD_REQUEST, body.encode(), "text/html; charset=utf-8")
            return
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", OUTPUT_PREFIX + location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _output_file(self, rel: str) -> None:
        output_root = Path(self.directory).parent.resolve()
        target = (output_root / rel).resolve()
        inside = output_root in target.parents and not any(part.startswith(".") for part in Path(rel).parts)
        if target.is_dir():
            target = target / "index.html"
        if not inside or not target.is_file():
            self._send(HTTPStatus.NOT_FOUND, "页面不存在".encode(), "text/plain; charset=utf-8")
            return
        content_type = self.extensions_map.get(target.suffix, "application/octet-stream")
        body = target.read_bytes()
        if target.suffix == ".html":
            content_type = "text/html; charset=utf-8"
            if self.token:  # the review page's forms get this server's token, as served (never on disk)
                body = body.replace(TOKEN_FIELD, b'name="token" value="' + self.token.encode("ascii") + b'"')
        self._send(HTTPStatus.OK, body, content_type)

    def _not_found(self) -> None:
        page = Path(self.directory) / "404.html"
        body = _inject(page.read_bytes()) if page.is_file() else "页面不存在".encode()
        self._send(HTTPStatus.NOT_FOUND, body, "text/html; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _inject(html: bytes, extra: bytes = b"") -> bytes:
    snippet = extra + RELOAD_SNIPPET.encode()
    at = html.rfind(b"</body>")
    return html[:at] + snippet + html[at:] if at >= 0 else html + snippet


PreviewHandler.extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".ics": "text/calendar; charset=utf-8",
                                 ".xml": "application/xml; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml",
                                 ".json": "application/json", ".txt": "text/plain; charset=utf-8"}


def make_server(site_dir: Path, preview: Preview, base_path: str, host: str = "127.0.0.1",
                port: int = 8000) -> ThreadingHTTPServer:
    token = secrets.token_urlsafe(32)
    handler = partial(PreviewHandler, preview=preview, base_path=base_path, token=token, directory=str(site_dir))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def refresh_preview_site(root: Path) -> None:
    """Rebuild the preview site in output/site (if there is one) so that its 待审 banners follow a decision."""
    if (site_dir(root) / "index.html").is_file():
        build_and_swap(root, None, with_search=True)


def serve(root: Path, month: Month | None, host: str, port: int, with_search: bool = True) -> int:
    preview = Preview(root, month, with_search)
    if not preview.rebuild() and not (site_dir(root) / "index.html").is_file():
        return 1
    try:
        server = make_server(site_dir(root), preview, base_path(root), host, port)
    except OSError as exc:
        raise UserError(f"无法在 {host}:{port} 上启动预览服务器（{exc.strerror}）；可用 --port 换一个端口。") from None
    bound_host, bound_port = server.server_address[:2]
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"注意：预览服务器监听 {host}，同一网络中的其他设备也能访问。", flush=True)
    print(f"正在预览：http://{bound_host}:{bound_port}{base_path(root)}（修改内容或模板后自动刷新；Ctrl+C 退出）", flush=True)
    months = built_review_months(site_dir(root).parent)
    for month_text in months:
        print(f"审核页（{month_text}）：http://{bound_host}:{bound_port}{OUTPUT_PREFIX}{month_text}/review/index.html"
              "（可在页面上通过或退回）", flush=True)
    if not months:
        print("审核页：还没有生成过批次；运行 xnwl batch --month 月份 后，审核页在 "
              f"http://{bound_host}:{bound_port}{OUTPUT_PREFIX}月份/review/index.html", flush=True)
    stop = threading.Event()
    watcher = threading.Thread(target=preview.watch, args=(stop,), daemon=True)
    watcher.start()
    try:
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        print("预览已停止。", flush=True)
    finally:
        stop.set()
        server.server_close()
    return 0
