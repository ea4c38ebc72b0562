"""The month's publications, derived from the plan: what WeChat renders, what posters cover, what gets reviewed."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline import urls
from pipeline.content.model import Event, Route
from pipeline.plan import MonthPlan


@dataclass(frozen=True, slots=True)
class Article:
    slug: str  # file stem in output/<YYYY-MM>/wechat/ and prefix of its covers in posters/
    kind: str  # "guide" | "events" | "route"
    page: str  # site path the article's 阅读原文 and QR codes point to
    route: Route | None = None


@dataclass(frozen=True, slots=True)
class PosterSubject:
    """Something that gets its own 9:16 and 3:4 posters."""
    slug: str
    kind: str  # "guide" | "route" | "event"
    page: str
    route: Route | None = None
    event: Event | None = None


def month_articles(plan: MonthPlan) -> tuple[Article, ...]:
    articles = [
        Article(f"guide-{plan.month}", "guide", urls.guide_path(plan.month)),
        Article(f"events-{plan.month}", "events", urls.events_month_path(plan.month)),
    ]
    articles += [Article(f"route-{r.id}", "route", urls.route_path(r.id), route=r) for r in plan.featured]
    return tuple(articles)


def poster_subjects(plan: MonthPlan) -> tuple[PosterSubject, ...]:
    subjects = [PosterSubject(f"guide-{plan.month}", "guide", urls.guide_path(plan.month))]
    subjects += [PosterSubject(f"route-{r.id}", "route", urls.route_path(r.id), route=r) for r in plan.featured]
    subjects += [PosterSubject(f"event-{e.id}", "event", urls.event_path(e.id), event=e) for e in plan.events]
    return tuple(subjects)


def cover_files(article: Article) -> dict[str, str]:
    """Cover image paths, relative to the batch folder, for an article (made by the posters channel)."""
    return {
        "900x383": f"posters/{article.slug}-cover-900x383.jpg",
        "500x500": f"posters/{article.slug}-cover-500x500.jpg",
    }
