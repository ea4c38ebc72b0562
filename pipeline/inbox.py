"""content/inbox/: candidates pulled from feeds, waiting for an editor.

A candidate is a Markdown file with front matter (title, link, feed, dates) and sanitized text.
Accepting one as an event writes content/events/<id>.md with every field an editor must still fill
set to the marker 待填写, which validation rejects until it is replaced.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipeline.content.fields import PLACEHOLDER
from pipeline.content.model import EVENT_CATEGORIES
from pipeline.content.problems import ProblemList, UserError
from pipeline.content.sources import read_text, split_front_matter

INBOX = Path("content/inbox")
EVENTS = Path("content/events")
# Short county names to point the editor at counties the text mentions (ids: the data contract).
_COUNTY_NAMES = {"xianan": "咸安", "chibi": "赤壁", "jiayu": "嘉鱼", "tongcheng": "通城", "chongyang": "崇阳",
                 "tongshan": "通山"}
# Fields of an accepted event that only an editor can fill, with the hint written beside each.
EDITOR_FIELDS = ("summary", "start", "end", "county", "venue", "category")


@dataclass(frozen=True)
class Candidate:
    id: str
    title: str
    link: str | None
    feed: str
    feed_title: str
    published: str | None  # "YYYY-MM-DD HH:MM", Beijing time
    fetched: str
    text: str  # sanitized Markdown

    def front_matter(self) -> dict[str, str | None]:
        return {"id": self.id, "title": self.title, "link": self.link, "feed": self.feed,
                "feed_title": self.feed_title, "published": self.published, "fetched": self.fetched}


def candidate_path(root: Path, candidate_id: str) -> Path:
    return root / INBOX / f"{candidate_id}.md"


def render_candidate(candidate: Candidate) -> str:
    meta = yaml.safe_dump(candidate.front_matter(), allow_unicode=True, sort_keys=False, width=10_000)
    source = f"来源：[原文链接]({candidate.link})" if candidate.link else f"来源：订阅源 {candidate.feed}（条目没有可用的链接）"
    body = candidate.text.strip()
    return f"---\n{meta}---\n{body}\n\n{source}\n" if body else f"---\n{meta}---\n{source}\n"


def write_candidate(root: Path, candidate: Candidate) -> Path:
    path = candidate_path(root, candidate.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(render_candidate(candidate), encoding="utf-8")
    os.replace(temporary, path)
    return path


def read_candidate(root: Path, path: Path) -> tuple[Candidate | None, ProblemList]:
    problems = ProblemList()
    source = read_text(root, path, problems)
    page = split_front_matter(source, problems) if source else None
    if page is None:
        return None, problems
    meta = page.meta
    body = page.body.strip()
    # the source line at the end is generated from `link`; keep only the text above it
    head, _, last = body.rpartition("\n\n")
    text = head if last.startswith("来源：") else ("" if body.startswith("来源：") else body)

    def field(name: str) -> str | None:
        value = meta.get(name)
        return None if value is None else str(value)

    candidate = Candidate(
        id=field("id") or path.stem, title=field("title") or "", link=field("link"), feed=field("feed") or "",
        feed_title=field("feed_title") or "", published=field("published"), fetched=field("fetched") or "",
        text=text,
    )
    return candidate, problems


def list_candidates(root: Path) -> tuple[list[Candidate], list[str]]:
    """Candidates sorted by id (date first), and a line per file that could not be read."""
    folder = root / INBOX
    if not folder.is_dir():
        return [], []
    found: list[Candidate] = []
    unreadable: list[str] = []
    for path in sorted(folder.glob("*.md")):
        candidate, problems = read_candidate(root, path)
        if candidate is None:
            unreadable += [p.render() for p in problems.items]
        else:
            found.append(candidate)
    return found, unreadable


def accept_as_event(root: Path, candidate_id: str) -> Path:
    """Turn a candidate into content/events/<id>.md and remove it from the inbox."""
    path = candidate_path(root, candidate_id)
    if not path.is_file():
        raise UserError(f"收件箱里没有编号为“{candidate_id}”的候选（{INBOX.as_posix()}/{candidate_id}.md 不存在）；"
                        "用 xnwl inbox list 查看现有候选。")
    candidate, problems = read_candidate(root, path)
    if candidate is None:
        raise UserError(f"无法读取候选文件 {INBOX.as_posix()}/{candidate_id}.md。", problems.items)
    target = root / EVENTS / f"{candidate_id}.md"
    if target.exists():
        raise UserError(f"{EVENTS.as_posix()}/{candidate_id}.md 已存在，未覆盖；请先改名或删除它。")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(event_draft(candidate), encoding="utf-8")
    path.unlink()
    return target


def _scalar(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def event_draft(candidate: Candidate) -> str:
    mentioned = [f"{cid} {name}" for cid, name in _COUNTY_NAMES.items() if name in candidate.title + candidate.text]
    county_hint = "、".join(f"{cid} {name}" for cid, name in _COUNTY_NAMES.items())
    if mentioned:
        county_hint += f"（原文提到：{'、'.join(mentioned)}）"
    categories = "、".join(f"{key} {name}" for key, name in EVENT_CATEGORIES.items())
    published = f"原文发布于 {candidate.published}，" if candidate.published else ""
    source = candidate.link or candidate.feed
    lines = [
        "---",
        f"# 由收件箱候选 {candidate.id} 转来（{published}来自订阅源 {candidate.feed}）。",
        f"# 标为“{PLACEHOLDER}”的字段必须由编辑补全，否则 xnwl validate 和批处理都会报错。",
        f"id: {candidate.id}",
        f"title: {_scalar(candidate.title or PLACEHOLDER)}",
        f"summary: {PLACEHOLDER}  # 一句话简介，最多 160 字",
        f"start: {PLACEHOLDER}  # 开始日期，如 2027-04-10，或带时间 \"2027-04-10 19:30\"（北京时间）",
        f"end: {PLACEHOLDER}  # 结束日期（含当天），格式同上",
        f"county: {PLACEHOLDER}  # 县市区编号：{county_hint}",
        f"venue: {PLACEHOLDER}  # 举办地点，最多 60 字",
        f"category: {PLACEHOLDER}  # 活动类别：{categories}",
        "routes: []  # 相关线路编号，可留空",
        "status: tentative  # 日期经官方发布核实后改为 confirmed",
        f"source: {_scalar(source)}",
        "verified:  # 核实日期，如 2026-11-20",
        "---",
        candidate.text.strip() or "（原文没有正文，请补写活动介绍。）",
        "",
    ]
    return "\n".join(lines)
