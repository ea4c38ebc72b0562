"""What editors review in a batch: each article (with its covers) and each poster set, with a content hash.

An article's hash is its approval hash (pipeline/review/payload.py): every field of the draft/add payload in
drafts.json, its cover and body images, and the source files of what it presents. A poster set's hash covers
its files.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.articles import month_articles, poster_subjects
from pipeline.content.model import Content
from pipeline.outputs_layout import POSTERS_FOLDER, WECHAT_DRAFTS, WECHAT_FOLDER
from pipeline.plan import MonthPlan
from pipeline.review.payload import approval_hash, entry_payload_digest, sources_digest

_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|section|h[1-6]|li|figcaption|blockquote|tr|div)>|<br\s*/?>", re.I)


@dataclass(frozen=True)
class ReviewItem:
    id: str  # "wechat/<slug>" or "posters/<slug>"
    kind: str  # "article" | "posters"
    title: str
    files: tuple[str, ...]  # relative to the batch folder
    text: str  # readable text, for diffs
    hash: str
    page: str  # site path of the subject
    route_ids: tuple[str, ...] = ()
    event_ids: tuple[str, ...] = ()

    @property
    def kind_label(self) -> str:
        return "公众号文章" if self.kind == "article" else "海报"


def html_text(fragment: str) -> str:
    """Readable text of an HTML fragment: one line per block, tags dropped, entities decoded."""
    text = _BLOCK_END.sub("\n", fragment)
    text = html.unescape(_TAG.sub("", text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line) + "\n"


def _hash(batch: Path, files: list[str]) -> str:
    digest = hashlib.sha256()
    for rel in files:
        digest.update(rel.encode() + b"\0" + (batch / rel).read_bytes() + b"\0")
    return digest.hexdigest()


def draft_entries(batch: Path) -> dict[str, dict]:
    """drafts.json's articles by slug (what `wechat push` sends); {} when it is missing or unreadable."""
    path = batch / WECHAT_FOLDER / WECHAT_DRAFTS
    try:
        articles = json.loads(path.read_text(encoding="utf-8")).get("articles", [])
    except (OSError, ValueError, AttributeError):
        return {}
    if not isinstance(articles, list):
        return {}
    return {a["slug"]: a for a in articles if isinstance(a, dict) and isinstance(a.get("slug"), str)}


def source_files(content: Content, plan: MonthPlan, route_ids: tuple[str, ...], event_ids: tuple[str, ...],
                 guide: bool) -> dict[str, str]:
    """{path: sha256} of the content files an article presents (and so the site pages it stands for)."""
    known = {f.path: f.sha256 for f in content.inputs}
    paths: list[str] = [plan.guide.source] if guide else []
    subjects = [content.routes.get(r) for r in route_ids] + [content.events.get(e) for e in event_ids]
    for subject in subjects:
        if subject is None:
            continue
        paths.append(subject.source)
        for image in subject.images:
            try:
                paths.append(Path(image.path).resolve().relative_to(content.root.resolve()).as_posix())
            except ValueError:
                paths.append(str(image.path))
    found = {}
    for rel in paths:
        digest = known.get(rel)
        if not digest:
            try:
                digest = hashlib.sha256((content.root / rel).read_bytes()).hexdigest()
            except OSError:
                digest = "missing"
        found[rel] = digest
    return found


def month_items(content: Content, plan: MonthPlan, batch: Path, only: str | None = None) -> list[ReviewItem]:
    """The batch's review items; `only`: just the one with this id (the others' files are not read)."""
    items: list[ReviewItem] = []
    drafts = draft_entries(batch)
    for article in month_articles(plan):
        if only is not None and only != f"wechat/{article.slug}":
            continue
        fragment = batch / WECHAT_FOLDER / f"{article.slug}.html"
        if not fragment.is_file():
            continue
        covers = sorted(p.relative_to(batch).as_posix() for p in (batch / POSTERS_FOLDER).glob(f"{article.slug}-cover-*"))
        files = [f"wechat/{article.slug}.html", *covers]
        entry = drafts.get(article.slug)
        title = entry["title"] if entry and isinstance(entry.get("title"), str) else article.slug
        body = entry.get("content") if entry else None
        if not isinstance(body, str):
            body = fragment.read_text(encoding="utf-8")
        text = f"{title}\n" + html_text(body)
        routes, events = _subjects(plan, article.kind, article.route.id if article.route else None)
        payload = entry_payload_digest(entry, batch) if entry else _hash(batch, files)
        sources = sources_digest(source_files(content, plan, routes, events, article.kind == "guide"))
        items.append(ReviewItem(f"wechat/{article.slug}", "article", title, tuple(files), text,
                                approval_hash(payload, sources), article.page, routes, events))
    for subject in poster_subjects(plan):
        if only is not None and only != f"posters/{subject.slug}":
            continue
        files = sorted(p.relative_to(batch).as_posix() for p in (batch / POSTERS_FOLDER).glob(f"{subject.slug}-*")
                       if "-cover-" not in p.name)
        if not files:
            continue
        if subject.route is not None:
            title, routes, events = subject.route.title, (subject.route.id,), ()
        elif subject.event is not None:
            title, routes, events = subject.event.title, (), (subject.event.id,)
        else:
            title = plan.guide.title
            routes, events = _subjects(plan, "guide", None)
        text = f"{title}\n" + "\n".join(files) + "\n"
        items.append(ReviewItem(f"posters/{subject.slug}", "posters", title, tuple(files), text, _hash(batch, files),
                                subject.page, routes, events))
    return items


def _subjects(plan: MonthPlan, kind: str, route_id: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if kind == "route" and route_id:
        return (route_id,), ()
    if kind == "events":
        return (), tuple(e.id for e in plan.events)
    # the guide shows every event of the month (plan.events), picked or not; picks outside it are left out
    return tuple(p.ref for p in plan.guide.picks if p.kind == "route"), tuple(e.id for e in plan.events)
