"""HTTP GET of one feed: a total time limit, a size cap read in chunks, and a conditional request.

urllib from the standard library is enough for one GET per feed; it adds no dependency, and reading
the body ourselves in chunks is what gives the size cap and the overall deadline.
"""

from __future__ import annotations

import http.client
import socket
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass

from pipeline import __version__

CHUNK = 64 * 1024
DEFAULT_TIMEOUT = 20.0  # seconds for the whole request, per feed
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


class FetchError(Exception):
    """The feed could not be fetched; the message is Chinese and shown to the user."""


@dataclass(frozen=True)
class Fetched:
    status: int  # 200, or 304 when the feed did not change since the stored ETag / Last-Modified
    body: bytes
    headers: dict[str, str]  # lower-case names
    url: str  # after redirects


def fetch(url: str, *, etag: str | None = None, last_modified: str | None = None,
          timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES) -> Fetched:
    request = urllib.request.Request(url, headers={
        "User-Agent": f"xnwl/{__version__} (feeds pull)",
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1",
        "Accept-Encoding": "gzip, identity",
    })
    if etag:
        request.add_header("If-None-Match", etag)
    if last_modified:
        request.add_header("If-Modified-Since", last_modified)
    deadline = time.monotonic() + timeout
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 304:
            return Fetched(304, b"", _headers(exc.headers), url)
        raise FetchError(f"服务器返回 HTTP {exc.code}（{exc.reason}）") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise FetchError(f"超时：{timeout:g} 秒内没有响应") from None
        raise FetchError(f"无法连接：{exc.reason}") from None
    except (TimeoutError, socket.timeout):
        raise FetchError(f"超时：{timeout:g} 秒内没有响应") from None
    except (http.client.HTTPException, OSError) as exc:
        raise FetchError(f"连接出错：{exc.__class__.__name__} {exc}") from None
    with response:
        headers = _headers(response.headers)
        body = _read_capped(response, headers, deadline, timeout, max_bytes)
        final_url = response.geturl()
    return Fetched(response.status, _decompress(body, headers, max_bytes), headers, final_url)


def _headers(message) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {name.lower(): value for name, value in message.items()} if message is not None else {}


def _too_big(max_bytes: int) -> FetchError:
    return FetchError(f"内容超过大小上限 {max_bytes / 1024 / 1024:g} MB，已放弃")


def _read_capped(response, headers: dict[str, str], deadline: float, timeout: float,  # type: ignore[no-untyped-def]
                 max_bytes: int) -> bytes:
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_big(max_bytes)
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            if time.monotonic() > deadline:
                raise FetchError(f"超时：{timeout:g} 秒内没有传完")
            chunk = response.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise _too_big(max_bytes)
            chunks.append(chunk)
    except (TimeoutError, socket.timeout):
        raise FetchError(f"超时：{timeout:g} 秒内没有传完") from None
    except (http.client.HTTPException, OSError) as exc:
        raise FetchError(f"传输中断：{exc.__class__.__name__} {exc}") from None
    return b"".join(chunks)


def _decompress(body: bytes, headers: dict[str, str], max_bytes: int) -> bytes:
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return body
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    try:
        data = inflater.decompress(body, max_bytes + 1)
    except zlib.error:
        raise FetchError(f"压缩数据（{encoding}）已损坏") from None
    if len(data) > max_bytes:
        raise _too_big(max_bytes)
    return data
