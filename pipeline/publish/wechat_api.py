"""A small client for the official 公众号 API: stable access token cached on disk, JSON calls, multipart uploads.

Standard library urllib only: five endpoints, one multipart shape and explicit timeouts do not need a
dependency, and urllib honours the usual proxy variables for offices behind one.
Errors arrive as HTTP 200 with an `errcode`: -1 (busy) is retried with backoff, 40001/40014/42001 (bad or
expired token) refresh the token once and retry; everything else is raised as ApiError for the caller to explain.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

DEFAULT_BASE = "https://api.weixin.qq.com"
BUSY = -1
TOKEN_ERRORS = frozenset({40001, 40014, 42001})
TOKEN_MARGIN = 300  # seconds: refresh a little before WeChat says the token expires
JSON_TIMEOUT = 30.0
UPLOAD_TIMEOUT = 120.0
MAX_RESPONSE = 4 * 1024 * 1024


class ApiError(Exception):
    def __init__(self, code: int | None, message: str, endpoint: str) -> None:
        super().__init__(f"{endpoint}: {code} {message}")
        self.code = code  # None: no answer at all (network)
        self.message = message
        self.endpoint = endpoint


@dataclass(frozen=True)
class Credentials:
    appid: str = field(repr=False)
    secret: str = field(repr=False)

    def key(self, base: str) -> str:
        """Names an (API base, account) pair in the state files without writing the AppID itself."""
        return hashlib.sha256(f"{base}\n{self.appid}".encode()).hexdigest()[:16]


class Redactor:
    """Removes credentials and tokens from any text before it is shown or stored."""

    def __init__(self, *secrets: str) -> None:
        self.secrets = {s for s in secrets if s}

    def add(self, secret: str) -> None:
        if secret:
            self.secrets.add(secret)

    def __call__(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


def write_private(path: Path, data: bytes) -> None:
    """Atomic write of a file only the owner may read (0600 from creation, not chmod-ed afterwards)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


class TokenCache:
    """state/wechat/token.json: the stable access token and when it expires (epoch seconds)."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key

    def load(self, now: float) -> str | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        entry = data.get(self.key) if isinstance(data, dict) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("access_token"), str):
            return None
        expires = entry.get("expires_at")
        if not isinstance(expires, (int, float)) or expires - TOKEN_MARGIN <= now:
            return None
        return entry["access_token"]

    def save(self, token: str, expires_at: float) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                data = {}
        except (OSError, ValueError):
            data = {}
        data[self.key] = {"access_token": token, "expires_at": int(expires_at)}
        write_private(self.path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))

    def forget(self) -> None:
        self.save("", 0)


@dataclass
class Upload:
    filename: str  # with its extension: WeChat decides the type from it
    data: bytes
    content_type: str


class WeChatClient:
    def __init__(self, base: str, credentials: Credentials, token_cache: TokenCache, redact: Redactor, *,
                 retries: int = 3, backoff: float = 1.0, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base = base.rstrip("/")
        self.credentials = credentials
        self.cache = token_cache
        self.redact = redact
        self.retries = retries
        self.backoff = backoff
        self.clock = clock
        self.sleep = sleep
        self._token: str | None = None

    # tokens ----------------------------------------------------------------------------------
    def token(self) -> str:
        if self._token is None:
            self._token = self.cache.load(self.clock()) or self._fetch_token(force=False)
            self.redact.add(self._token)
        return self._token

    def _refresh(self, bad: str) -> None:
        """The token was refused: ask again; if WeChat still hands out the same one, force a new one."""
        self.cache.forget()
        token = self._fetch_token(force=False)
        if token == bad:
            token = self._fetch_token(force=True)
        self._token = token
        self.redact.add(token)

    def _fetch_token(self, force: bool) -> str:
        body = {"grant_type": "client_credential", "appid": self.credentials.appid,
                "secret": self.credentials.secret, "force_refresh": force}
        result = self._with_retries("stable_token", lambda: self._send(
            "/cgi-bin/stable_token", {}, _json_body(body), "application/json; charset=utf-8", JSON_TIMEOUT))
        token = result.get("access_token")
        expires_in = result.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int):
            raise ApiError(None, "stable_token 的应答里没有 access_token", "stable_token")
        self.redact.add(token)
        self.cache.save(token, self.clock() + expires_in)
        return token

    # calls ---------------------------------------------------------------------------------
    def call(self, path: str, body: dict[str, Any], query: dict[str, str] | None = None) -> dict[str, Any]:
        data = _json_body(body)
        return self._authorized(path, query or {}, lambda q: self._send(
            path, q, data, "application/json; charset=utf-8", JSON_TIMEOUT))

    def upload(self, path: str, upload: Upload, query: dict[str, str] | None = None) -> dict[str, Any]:
        data, content_type = _multipart("media", upload)
        return self._authorized(path, query or {}, lambda q: self._send(path, q, data, content_type, UPLOAD_TIMEOUT))

    def _authorized(self, path: str, query: dict[str, str], send: Callable[[dict[str, str]], dict[str, Any]]
                    ) -> dict[str, Any]:
        endpoint = path.rsplit("/cgi-bin/", 1)[-1]
        refreshed = False
        while True:
            token = self.token()
            try:
                return self._with_retries(endpoint, lambda: send({**query, "access_token": token}))
            except ApiError as exc:
                if exc.code in TOKEN_ERRORS and not refreshed:
                    refreshed = True
                    self._refresh(token)
                    continue
                raise

    def _with_retries(self, endpoint: str, send: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """-1 (busy), 5xx and connection failures are retried with exponential backoff; the rest is raised."""
        attempt = 0
        while True:
            try:
                result = send()
                code = result.get("errcode", 0)
                if not isinstance(code, int):
                    raise ApiError(None, f"应答中的 errcode 不是整数：{code!r}", endpoint)
                if code == 0:
                    return result
                error = ApiError(code, self.redact(str(result.get("errmsg", ""))), endpoint)
                retry = code == BUSY
            except _Transient as exc:
                error = ApiError(None, self.redact(exc.reason), endpoint)
                retry = exc.retry
            if not retry or attempt >= self.retries:
                raise error
            self.sleep(self.backoff * (2 ** attempt))
            attempt += 1

    def _send(self, path: str, query: dict[str, str], data: bytes, content_type: str, timeout: float
              ) -> dict[str, Any]:
        url = f"{self.base}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": content_type, "User-Agent": "xnwl"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (base is http/https)
                raw = response.read(MAX_RESPONSE + 1)
        except urllib.error.HTTPError as exc:
            raise _Transient(f"HTTP {exc.code}", retry=exc.code >= 500) from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise _Transient(f"无法连接：{reason}", retry=True) from None
        if len(raw) > MAX_RESPONSE:
            raise ApiError(None, "应答过大", path)
        try:
            # WeChat sometimes labels JSON as text/plain: parse the bytes whatever the content type says.
            result = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(None, "应答不是 JSON", path) from None
        if not isinstance(result, dict):
            raise ApiError(None, "应答不是 JSON 对象", path)
        return result


class _Transient(Exception):
    def __init__(self, reason: str, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


def _json_body(body: dict[str, Any]) -> bytes:
    # Real UTF-8: WeChat answers 40033 to \uXXXX escapes.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _multipart(field_name: str, upload: Upload) -> tuple[bytes, str]:
    boundary = f"----xnwl{uuid.uuid4().hex}"
    head = (f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{field_name}"; filename="{upload.filename}"\r\n'
            f"Content-Type: {upload.content_type}\r\n\r\n").encode("utf-8")
    tail = f"\r\n--{boundary}--\r\n".encode("ascii")
    return head + upload.data + tail, f"multipart/form-data; boundary={boundary}"
