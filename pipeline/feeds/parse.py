"""Feed bytes -> entries, with feedparser. Mis-declared encodings (GBK / GB18030 sent as UTF-8) are
repaired first; dates without a zone are taken as Beijing time (feedparser would take them as UTC)."""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo

import feedparser

TZ = ZoneInfo("Asia/Shanghai")
_XML_DECL = re.compile(rb"^(\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
_CHINESE_DATE = re.compile(r"^(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?"
                           r"(?:\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?:\s*[:：分]\s*(\d{1,2}))?)?")
# The names Chinese sites declare that Python decodes more narrowly than the sites mean.
_WIDER = {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030"}


@dataclass
class RawEntry:
    entry_id: str | None
    link: str | None  # as given; checked later
    title_html: str
    content_html: str
    published: datetime | None  # aware, Asia/Shanghai


@dataclass
class ParsedFeed:
    title: str
    entries: list[RawEntry]
    notes: list[str] = field(default_factory=list)  # Chinese, for the feed's report
    unreadable: str | None = None  # set when nothing usable came out


def parse_feed(body: bytes, headers: dict[str, str], url: str) -> ParsedFeed:
    body, headers, note = repair_encoding(body, headers)
    notes = [note] if note else []
    response_headers = {k: v for k, v in headers.items() if k in ("content-type", "content-language")}
    response_headers["content-location"] = url
    result = feedparser.parse(io.BytesIO(body), response_headers=response_headers)
    entries = [_entry(e) for e in result.entries]
    if not result.get("version") and not entries:
        kind = headers.get("content-type", "").split(";")[0].strip() or "未知类型"
        return ParsedFeed("", [], notes, f"不是 RSS 或 Atom 订阅源（内容类型 {kind}），未读到任何条目")
    if result.get("bozo"):
        reason = _bozo_reason(result.get("bozo_exception"))
        if entries:
            notes.append(f"格式不规范（{reason}），已尽量读取")
        else:
            return ParsedFeed("", [], notes, f"无法解析（{reason}），未读到任何条目")
    title = str(result.feed.get("title", "")).strip()
    return ParsedFeed(title, entries, notes)


def _bozo_reason(exc: Any) -> str:
    name = exc.__class__.__name__ if exc is not None else "未知错误"
    text = str(exc) if exc is not None else ""
    return f"{name}: {text}"[:160] if text else name


def declared_encoding(body: bytes, headers: dict[str, str]) -> str | None:
    match = _CHARSET.search(headers.get("content-type", ""))
    if match:
        return match.group(1).lower()
    declaration = _XML_DECL.match(body[:200])
    if declaration:
        return declaration.group(2).decode("ascii").lower()
    return None


def repair_encoding(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str], str | None]:
    """When the bytes are not in the declared encoding but are UTF-8 or GB18030, re-encode as UTF-8."""
    declared = declared_encoding(body, headers) or "utf-8"
    codec = _WIDER.get(declared, declared)
    try:
        codecs.lookup(codec)
        body.decode(codec)
        return body, headers, None
    except (LookupError, UnicodeDecodeError):
        pass
    for fallback in ("utf-8", "gb18030"):
        if fallback == codec:
            continue
        try:
            text = body.decode(fallback)
        except UnicodeDecodeError:
            continue
        fixed = _XML_DECL.sub(b'<?xml version="1.0" encoding="utf-8"', text.lstrip("\ufeff").encode("utf-8"), count=1)
        repaired = {**headers, "content-type": _with_utf8(headers.get("content-type", "application/xml"))}
        return fixed, repaired, f"声明的编码 {declared} 与内容不符，已按 {fallback.upper()} 读取"
    return body, headers, None


def _with_utf8(content_type: str) -> str:
    base = content_type.split(";")[0].strip() or "application/xml"
    return f"{base}; charset=utf-8"


def _entry(entry: Any) -> RawEntry:
    content = entry.get("content") or []
    html = content[0].get("value", "") if content else entry.get("summary", "")
    link = entry.get("link")
    return RawEntry(
        entry_id=(str(entry.get("id")).strip() or None) if entry.get("id") else None,
        link=str(link).strip() if link else None,
        title_html=str(entry.get("title", "")),
        content_html=str(html or ""),
        published=entry_time(entry),
    )


def entry_time(entry: Any) -> datetime | None:
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if raw:
            moment = parse_time(str(raw))
            if moment is not None:
                return moment
            parsed = entry.get(f"{key}_parsed")
            if parsed:  # feedparser read a format we do not; it gives UTC
                return datetime(*parsed[:6], tzinfo=timezone.utc).astimezone(TZ)
    return None


def parse_time(raw: str) -> datetime | None:
    """RFC 822, ISO 8601 or a Chinese date; a time without a zone is Beijing time."""
    text = raw.strip()
    moment: datetime | None = None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is None:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
    if moment is None:
        match = _CHINESE_DATE.match(text)
        if match:
            try:
                moment = datetime(int(match[1]), int(match[2]), int(match[3]), int(match[4] or 0),
                                  int(match[5] or 0), int(match[6] or 0))
            except ValueError:
                return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=TZ)
    return moment.astimezone(TZ)
