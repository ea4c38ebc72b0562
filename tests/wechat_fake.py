"""A local stand-in for the official 公众号 API: a real HTTP server on 127.0.0.1 that checks requests as WeChat does.

It speaks the endpoints `wechat push` uses (stable_token, media/uploadimg, material/add_material, draft/add,
draft/update, draft/get, draft/count), answers errors as HTTP 200 + errcode like the real one, and can inject
each error the client must handle. Limits are written out here on purpose, not imported from the pipeline.
"""

from __future__ import annotations

import email.parser
import email.policy
import io
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image

TITLE_MAX, AUTHOR_MAX, DIGEST_MAX = 32, 16, 128
CONTENT_CHARS_BELOW, CONTENT_BYTES_BELOW = 20_000, 1024 * 1024
UPLOADIMG_BELOW, MATERIAL_MAX = 1_000_000, 10 * 1024 * 1024  # uploadimg: a 1,009,725-byte image got 40009
IMAGE_HOST = "http://mmbiz.qpic.cn/fake/"
AUTHORIZED = {"media/uploadimg", "material/add_material", "draft/add", "draft/update", "draft/get", "draft/count"}


@dataclass
class Call:
    endpoint: str
    errcode: int
    token: str | None = None


@dataclass
class FakeWeChat:
    appid: str
    secret: str
    valid_tokens: set[str] = field(default_factory=set)
    expired_tokens: set[str] = field(default_factory=set)
    tokens_issued: int = 0
    materials: dict[str, bytes] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)
    drafts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    inject: dict[str, list[int]] = field(default_factory=dict)  # endpoint -> errcodes to answer next
    expire_after: int | None = None  # expire the current token after this many authorized calls
    problems: list[str] = field(default_factory=list)  # things the real API would silently drop
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, endpoint: str, *codes: int) -> None:
        self.inject.setdefault(endpoint, []).extend(codes)

    def count(self, endpoint: str, errcode: int | None = 0) -> int:
        return sum(1 for c in self.calls if c.endpoint == endpoint and (errcode is None or c.errcode == errcode))

    # endpoints -----------------------------------------------------------------------------------
    def handle(self, endpoint: str, query: dict[str, str], headers: Any, body: bytes) -> dict[str, Any]:
        with self.lock:
            token = query.get("access_token")
            answer = self._answer(endpoint, query, headers, body, token)
            self.calls.append(Call(endpoint, int(answer.get("errcode", 0)), token))
            return answer

    def _answer(self, endpoint: str, query: dict[str, str], headers: Any, body: bytes,
                token: str | None) -> dict[str, Any]:
        if endpoint not in AUTHORIZED and endpoint != "stable_token":
            return _err(40066, "invalid url")
        if endpoint in AUTHORIZED:
            if token in self.expired_tokens:
                return _err(42001, "access_token expired")
            if token not in self.valid_tokens:
                return _err(40001, "invalid credential, access_token is invalid or not latest")
        pending = self.inject.get(endpoint)
        if pending:
            code = pending.pop(0)
            return _err(code, {45009: "reach max api daily quota limit", 40164: "invalid ip 10.1.2.3 ipv6 ::ffff:10.1.2.3, not in whitelist",
                               -1: "system error", 40007: "invalid media_id"}.get(code, "injected"))
        if endpoint in AUTHORIZED and self.expire_after is not None:
            authorized_calls = sum(1 for c in self.calls if c.endpoint in AUTHORIZED and c.errcode == 0)
            if authorized_calls >= self.expire_after:
                self.expire_after = None
                self.expired_tokens |= self.valid_tokens
                self.valid_tokens.clear()
                return _err(42001, "access_token expired")
        return getattr(self, "_" + endpoint.replace("/", "_"))(query, headers, body)

    def _stable_token(self, query: dict[str, str], headers: Any, body: bytes) -> dict[str, Any]:
        data, problem = _json(headers, body)
        if problem:
            return problem
        if data.get("grant_type") != "client_credential":
            return _err(40002, "invalid grant_type")
        if data.get("appid") != self.appid:
            return _err(40013, "invalid appid")
        if data.get("secret") != self.secret:
            return _err(40125, "invalid appsecret")
        if data.get("force_refresh") or not self.valid_tokens:
            self.expired_tokens |= self.valid_tokens
            self.tokens_issued += 1
            self.valid_tokens = {f"FAKE_TOKEN_{self.tokens_issued:03d}_abcdefghijklmnop"}
        return {"access_token": next(iter(self.valid_tokens)), "expires_in": 7200}

    def _media_uploadimg(self, query: dict[str, str], headers: Any, body: bytes) -> dict[str, Any]:
        media, problem = _media(headers, body, ("jpg", "jpeg", "png"), UPLOADIMG_BELOW - 1)
        if problem:
            return problem
        url = f"{IMAGE_HOST}{len(self.images) + 1}.jpg"
        self.images[url] = media
        return {"url": url}

    def _material_add_material(self, query: dict[str, str], headers: Any, body: bytes) -> dict[str, Any]:
        if query.get("type") != "image":
            return _err(40004, "invalid media type")
        media, problem = _media(headers, body, ("bmp", "png", "jpeg", "jpg", "gif"), MATERIAL_MAX)
        if problem:
            return problem
        media_id = f"MATERIAL_{len(self.materials) + 1}"
        self.materials[media_id] = media
        return {"media_id": media_id, "url": f"{IMAGE_HOST}material/{len(self.materials)}.jpg"}

    def _draft_add(self, query: dict[str, str], headers: Any, body: bytes) -> dict[str, Any]:
        data, problem = _json(headers, body)
        if problem:
            return problem
        articles = data.get("articles")
        if not isinstance(articles, list) or not 1 <= len(articles) <= 8:
            return _err(40114, "invalid articles")
        for article in articles:
            problem = self._check_article(article)
            if problem:
                return problem
        media_id = f"DRAFT_{len(self.drafts) + 1}_{'x' * 20}"
        self.drafts[media_id] = [dict(a) for a in articles]
        return {"media_id": media_id}

    def _draft_update(self, query: dict[str, str], headers: Any, body: bytes) -> dict[str, Any]:
        data, problem = _json(headers, body)
        if problem:
            return problem
        draft = self.drafts.get(data.get("media_id"))
        index = data.get("index")
        if draft is None or not isinstance(index, int) or not 0 <= index < len(draft):
            return _err(40007, "invalid media_id")
        problem = self._check_article(data.get("articles"))
        if problem:
            return problem
        draft[index] = dict(data["articles"])
        return {"errcode": 0, "errmsg": "ok"}

    def _draft_get(self, query: dict[str, str], headers: Any, body: bytes) -> dict[str, Any]:
        data, problem = _json(headers, body)
        if problem:
            return problem
        draft = self.drafts.get(data.get("media_id"))
        return _err(40007, "invalid media_id") if draft is None else {"news_item": draft}

    def _draft_count(self, query: dict[str, str], headers: Any, body: bytes) -> dict[str, Any]:
        return {"total_count": len(self.drafts)}

    def _check_article(self, article: Any) -> dict[str, Any] | None:
        if not isinstance(article, dict):
            return _err(40114, "invalid article")
        title, content = article.get("title"), article.get("content")
        if not isinstance(title, str) or not title or len(title) > TITLE_MAX:
            return _err(45003, "title size out of limit")
        if len(article.get("author", "")) > AUTHOR_MAX:
            return _err(45110, "author size out of limit")
        if len(article.get("digest", "")) > DIGEST_MAX:
            return _err(45004, "description size out of limit")
        if not isinstance(content, str) or not content or len(content) >= CONTENT_CHARS_BELOW \
                or len(content.encode("utf-8")) >= CONTENT_BYTES_BELOW:
            return _err(45002, "content size out of limit")
        if len(article.get("content_source_url", "").encode("utf-8")) > 1024:
            return _err(45005, "content_source_url size out of limit")
        if article.get("thumb_media_id") not in self.materials:
            return _err(40007, "invalid media_id")
        if article.get("need_open_comment") not in (0, 1) or article.get("only_fans_can_comment") not in (0, 1, None):
            return _err(40097, "invalid args")
        unknown = set(article) - {"title", "author", "digest", "content", "content_source_url", "thumb_media_id",
                                  "need_open_comment", "only_fans_can_comment", "pic_crop_235_1", "pic_crop_1_1"}
        if unknown:
            self.problems.append(f"unknown article fields {sorted(unknown)}")
        for src in re.findall(r'<img[^>]*\ssrc="([^"]*)"', content):
            if src not in self.images:
                self.problems.append(f"image {src} was not uploaded with uploadimg: WeChat would drop it")
        if re.search(r"<script|<style|\sclass=|\sid=", content):
            self.problems.append("content has script/style/class/id that WeChat strips")
        return None


def _err(code: int, message: str) -> dict[str, Any]:
    return {"errcode": code, "errmsg": f"{message} rid: fake"}


def _json(headers: Any, body: bytes) -> tuple[dict[str, Any], dict[str, Any] | None]:
    if re.search(rb"\\u[0-9a-fA-F]{4}", body):
        return {}, _err(40033, "invalid charset. please check your request, if include \\uxxxx will create fail!")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}, _err(47001, "data format error")
    if not isinstance(data, dict):
        return {}, _err(47001, "data format error")
    return data, None


def _media(headers: Any, body: bytes, extensions: tuple[str, ...], max_bytes: int
           ) -> tuple[bytes, dict[str, Any] | None]:
    content_type = headers.get("Content-Type", "")
    if not content_type.startswith("multipart/form-data") or "boundary=" not in content_type:
        return b"", _err(41005, "media data missing")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") != "media":
            continue
        filename = part.get_filename() or ""
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        if extension not in extensions:
            return b"", _err(40005, "invalid file type")
        data = part.get_payload(decode=True) or b""
        if len(data) > max_bytes:
            return b"", _err(40009, "invalid image size")
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
        except Exception:
            return b"", _err(40005, "invalid file type")
        return data, None
    return b"", _err(41005, "media data missing")


class _Handler(BaseHTTPRequestHandler):
    fake: FakeWeChat

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        endpoint = parts.path.removeprefix("/cgi-bin/")
        answer = self.server.fake.handle(endpoint, query, self.headers, body)  # type: ignore[attr-defined]
        data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        self.send_response(200)
        # uploadimg really answers JSON labelled text/plain
        self.send_header("Content-Type", "text/plain" if endpoint == "media/uploadimg" else "application/json; encoding=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # quiet: the test reads fake.calls instead


class FakeServer:
    def __init__(self, fake: FakeWeChat) -> None:
        self.fake = fake
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.fake = fake  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
