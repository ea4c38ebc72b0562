"""What editors review in a batch: each article (with its covers) and each poster set, with a content hash."""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.articles import month_articles, poster_subjects
from pipeline.plan import MonthPlan

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


def _article_titles(batch: Path) -> dict[str, str]:
    path = batch / "wechat" / "drafts.json"
    if not path.is_file():
        return {}
    articles = json.loads(path.read_text(encoding="utf-8")).get("articles", [])
    return {a["slug"]: a["title"] for a in articles if isinstance(a, dict) and "slug" in a and "title" in a}


def month_items(plan: MonthPlan, batch: Path, only: str | None = None) -> list[ReviewItem]:
    """The batch's review items; `only`: just the one with this id (the others' files are not read)."""
    items: list[ReviewItem] = []
    titles = _article_titles(batch)
    for article in month_articles(plan):
        if only is not None and only != f"wechat/{article.slug}":
            continue
        fragment = batch / "wechat" / f"{article.slug}.html"
        if not fragment.is_file():
            continue
        covers = sorted(p.relative_to(batch).as_posix() for p in (batch / "posters").glob(f"{article.slug}-cover-*"))
        files = [f"wechat/{article.slug}.html", *covers]
        title = titles.get(article.slug, article.slug)
        text = f"{title}\n" + html_text(fragment.read_text(encoding="utf-8"))
        routes, events = _subjects(plan, article.kind, article.route.id if article.route else None)
        items.append(ReviewItem(f"wechat/{article.slug}", "article", title, tuple(files), text, _hash(batch, files),
                                article.page, routes, events))
    for subject in poster_subjects(plan):
        if only is not None and only != f"posters/{subject.slug}":
            continue
        files = sorted(p.relative_to(batch).as_posix() for p in (batch / "posters").glob(f"{subject.slug}-*")
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
