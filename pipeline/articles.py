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


# Event posters per month. A month normally has a handful of events, and each gets its own posters; a month
# with more (a festival season, a feed accepted wholesale) gets posters for the events chosen by
# poster_events, never hundreds: posters are the costliest output of a batch, and an editor posts a few.
EVENT_POSTERS_PER_MONTH = 12


def poster_events(plan: MonthPlan) -> tuple[Event, ...]:
    """The month's events that get posters: all of them when there are at most EVENT_POSTERS_PER_MONTH, else
    that many, chosen in this order: the events the month's guide picks (its featured events), then confirmed
    events before tentative ones, then the earliest first (by start, then id). In the plan's order."""
    events = plan.events
    if len(events) <= EVENT_POSTERS_PER_MONTH:
        return events
    picked = {pick.ref for pick in plan.guide.picks if pick.kind == "event"}
    ranked = sorted(range(len(events)), key=lambda n: (events[n].id not in picked, events[n].status != "confirmed", n))
    chosen = sorted(ranked[:EVENT_POSTERS_PER_MONTH])
    return tuple(events[n] for n in chosen)


def is_large(plan: MonthPlan) -> bool:
    """A month with more events than get posters: a batch that already failed a quick check (a WeChat limit)
    does not go on to the costly channels for it (minutes of pages and posters, for a month that must change
    anyway). An ordinary month runs them all, so that every problem is reported in one run."""
    return len(plan.events) > EVENT_POSTERS_PER_MONTH


def poster_subjects(plan: MonthPlan) -> tuple[PosterSubject, ...]:
    subjects = [PosterSubject(f"guide-{plan.month}", "guide", urls.guide_path(plan.month))]
    subjects += [PosterSubject(f"route-{r.id}", "route", urls.route_path(r.id), route=r) for r in plan.featured]
    subjects += [PosterSubject(f"event-{e.id}", "event", urls.event_path(e.id), event=e) for e in poster_events(plan)]
    return tuple(subjects)


def cover_files(article: Article) -> dict[str, str]:
    """Cover image paths, relative to the batch folder, for an article (made by the posters channel)."""
    return {
        "900x383": f"posters/{article.slug}-cover-900x383.jpg",
        "500x500": f"posters/{article.slug}-cover-500x500.jpg",
    }
