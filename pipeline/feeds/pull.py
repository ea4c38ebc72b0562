"""Pull every feed into content/inbox/: one report per feed; one bad feed never stops the others."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Sequence
from zoneinfo import ZoneInfo

from pipeline.feeds.clean import plain_text, safe_url, to_markdown
from pipeline.feeds.fetch import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, FetchError, fetch
from pipeline.feeds.parse import RawEntry, parse_feed
from pipeline.feeds.state import FeedState, content_hash, entry_keys
from pipeline.inbox import Candidate, candidate_path, write_candidate
from pipeline.lock import exclusive

TZ = ZoneInfo("Asia/Shanghai")
STATE_FILE = "feeds.json"


@dataclass
class FeedReport:
    url: str
    ok: bool
    summary: str  # Chinese, one line
    added: list[str] = field(default_factory=list)  # candidate ids written to content/inbox/
    known: int = 0  # entries seen in an earlier pull
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        mark = "[完成]" if self.ok else "[失败]"
        lines = [f"{mark} {self.url}：{self.summary}"]
        lines += [f"    [提醒] {note}" for note in self.notes]
        lines += [f"    新候选 {cid}" for cid in self.added]
        return lines


def pull_feeds(root: Path, urls: Sequence[str], state_dir: Path, *, timeout: float = DEFAULT_TIMEOUT,
               max_bytes: int = DEFAULT_MAX_BYTES, now: datetime | None = None) -> tuple[list[FeedReport], list[str]]:
    """Returns a report per feed and general notes (e.g. a state file that had to be set aside)."""
    now = now or datetime.now(TZ)
    with exclusive(state_dir / "feeds.lock", "订阅源拉取", wait=120):
        state = FeedState.load(state_dir / STATE_FILE)
        general = [state.problem] if state.problem else []
        reports = []
        for url in dict.fromkeys(urls):  # each feed once, in the given order
            try:
                report = _pull_one(root, url, state, timeout, max_bytes, now)
            except FetchError as exc:
                report = FeedReport(url, False, str(exc))
            except Exception as exc:  # noqa: BLE001 - a feed must never stop the others
                report = FeedReport(url, False, f"处理时出错（{exc.__class__.__name__}: {exc}）")
            state.record(url, checked=now.strftime("%Y-%m-%d %H:%M"), result=report.summary)
            state.save()
            reports.append(report)
    return reports, general


def _pull_one(root: Path, url: str, state: FeedState, timeout: float, max_bytes: int, now: datetime) -> FeedReport:
    etag, last_modified = state.validators(url)
    fetched = fetch(url, etag=etag, last_modified=last_modified, timeout=timeout, max_bytes=max_bytes)
    if fetched.status == 304:
        return FeedReport(url, True, "无更新（服务器答复 304，未重新解析）")
    feed = parse_feed(fetched.body, fetched.headers, fetched.url)
    if feed.unreadable:
        return FeedReport(url, False, feed.unreadable, notes=feed.notes)
    report = FeedReport(url, True, "", notes=list(feed.notes))
    feed_title = plain_text(feed.title)
    unusable = 0
    for raw in feed.entries:
        candidate, keys = _candidate(raw, url, feed_title, now)
        if candidate is None:
            unusable += 1
            continue
        if state.known(keys) is not None:
            report.known += 1
            continue
        if raw.link and candidate.link is None:
            report.notes.append(f"条目“{candidate.title}”的链接不安全或不是网址，已去掉：{raw.link[:80]}")
        if not candidate_path(root, candidate.id).exists():
            write_candidate(root, candidate)
            report.added.append(candidate.id)
        state.remember(keys, candidate.id)
    # Only a feed that was read is conditional next time: a broken one is fetched whole again.
    state.record(url, etag=fetched.headers.get("etag"), last_modified=fetched.headers.get("last-modified"))
    report.summary = f"读到 {len(feed.entries)} 条，新增 {len(report.added)} 条，已见过 {report.known} 条"
    if unusable:
        report.summary += f"，{unusable} 条没有标题和正文已略过"
    return report


def _candidate(raw: RawEntry, feed_url: str, feed_title: str, now: datetime) -> tuple[Candidate | None, list[str]]:
    text = to_markdown(raw.content_html)
    title = plain_text(raw.title_html) or plain_text(raw.content_html)[:30]
    if not title:
        return None, []
    published = raw.published.strftime("%Y-%m-%d %H:%M") if raw.published else None
    link = safe_url(raw.link)
    keys = entry_keys(feed_url, raw.entry_id, link, content_hash(title, published or "", text))
    day = (raw.published or now).strftime("%Y-%m-%d")
    candidate_id = f"{day}-{keys[0][:8]}"
    return Candidate(candidate_id, title, link, feed_url, feed_title, published, now.strftime("%Y-%m-%d %H:%M"),
                     text), keys
