"""What the templates show for a route, an event, a month: the typed content plus what pages derive from it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Mapping
from urllib.parse import quote

from pipeline import urls
from pipeline.channels.site.assets import Assets, Picture
from pipeline.channels.site.routemap import RouteMap, route_map
from pipeline.config import Config
from pipeline.content.model import County, Content, Event, Route, Stop, Theme
from pipeline.plan import Month, MonthPlan, event_order, events_by_month

COVER_SUFFIX = "-cover-900x383.jpg"
# Text-free scenes drawn in site.css (class s-<name>): one per theme, "event" for events without a route and
# "xianning" for the rest. A page's hero and a list's cards show a scene, or a photo from `images:`, never a
# poster cover (covers have their title drawn in: they are only the pages' share images, og:image).
SCENES = frozenset({"sanguo", "chadao", "kangyang", "xiangcun", "bishu", "shanghua", "quanxue", "hongse", "event",
                    "xianning"})


def scene_of(theme_id: str | None, default: str = "xianning") -> str:
    return theme_id if theme_id in SCENES else default


def amap_marker(stop: Stop) -> str | None:
    """高德地图 marker link for a stop with coordinates (GCJ-02, as the content stores them)."""
    if stop.lnglat is None:
        return None
    lng, lat = stop.lnglat
    return (f"https://uri.amap.com/marker?position={lng:.6f},{lat:.6f}&name={quote(stop.name, safe='')}"
            "&coordinate=gaode&callnative=1")


@dataclass(frozen=True, slots=True)
class StopView:
    number: int
    stop: Stop
    county: County
    nav_url: str | None  # amap_marker(stop): a template asks for it twice, worked out once


@dataclass(frozen=True, slots=True)
class RouteView:
    """A route as its pages show it; `stops` and `map` are worked out from the fields when a page asks."""
    route: Route
    path: str
    theme: Theme
    counties: tuple[County, ...]  # the route's counties, in its order: every stop is in one of them
    cover: Picture | None
    gallery: tuple[Picture, ...]

    @property
    def stops(self) -> tuple[StopView, ...]:
        by_id = {c.id: c for c in self.counties}
        return tuple(StopView(n, s, by_id[s.county], amap_marker(s)) for n, s in enumerate(self.route.stops, 1))

    @property
    def map(self) -> RouteMap:
        return route_map(self.route.stops)

    @property
    def photo(self) -> Picture | None:
        """The route's first own picture (a photograph, no title drawn in), for its hero and cards."""
        return self.gallery[0] if self.gallery else None

    @property
    def scene(self) -> str:
        return scene_of(self.theme.id)


@dataclass(frozen=True, slots=True)
class EventView:
    event: Event
    path: str
    ics_path: str
    county: County
    routes: tuple[Route, ...]
    cover: Picture | None
    gallery: tuple[Picture, ...]

    @property
    def photo(self) -> Picture | None:
        return self.gallery[0] if self.gallery else None

    @property
    def scene(self) -> str:
        """The first related route's theme scene, or the events' own."""
        return scene_of(self.routes[0].theme if self.routes else None, "event")

    @property
    def month(self) -> Month:
        return Month(self.event.start_date.year, self.event.start_date.month)


class SiteData:
    """Everything one build of the site knows; views are built once and shared by every page."""

    def __init__(self, config: Config, content: Content, month: Month, plans: dict[Month, MonthPlan],
                 covers: Mapping[str, Path], assets: Assets, pending: frozenset[Month] = frozenset()) -> None:
        self.config = config
        self.pending = pending  # months whose guide is not approved yet (preview only)
        self.content = content
        self.month = month
        self.plans = plans
        self.covers = covers
        self.assets = assets

    @property
    def plan(self) -> MonthPlan:
        return self.plans[self.month]

    def cover(self, slug: str, alt: str) -> Picture | None:
        source = self.covers.get(slug)
        return self.assets.picture(source, slug, alt) if source else None

    def _pictures(self, key: str, images) -> tuple[Picture, ...]:  # type: ignore[no-untyped-def]
        return tuple(self.assets.picture(i.path, f"{key}-{n}", i.alt, i.credit) for n, i in enumerate(images, 1))

    @cached_property
    def routes(self) -> dict[str, RouteView]:
        views = {}
        for rid in sorted(self.content.routes):
            r = self.content.routes[rid]
            gallery = self._pictures(f"route-{rid}", r.images)
            cover = self.cover(f"route-{rid}", r.title) or (gallery[0] if gallery else None)
            views[rid] = RouteView(r, urls.route_path(rid), self.content.themes[r.theme],
                                   tuple(self.content.counties[c] for c in r.counties), cover, gallery)
        return views

    @cached_property
    def events(self) -> dict[str, EventView]:
        """Every event, in date order."""
        views = {}
        ordered = sorted(self.content.events.values(), key=event_order)
        for e in ordered:
            gallery = self._pictures(f"event-{e.id}", e.images)
            path = urls.event_path(e.id)
            views[e.id] = EventView(e, path, f"{path}{e.id}.ics", self.content.counties[e.county],
                                    tuple(self.content.routes[r] for r in e.routes if r in self.content.routes),
                                    gallery[0] if gallery else None, gallery)
        return views

    @cached_property
    def _by_theme(self) -> dict[str, list[RouteView]]:
        groups: dict[str, list[RouteView]] = {}
        for v in self.routes.values():
            groups.setdefault(v.route.theme, []).append(v)
        return groups

    @cached_property
    def _by_county(self) -> dict[str, list[RouteView]]:
        groups: dict[str, list[RouteView]] = {}
        for v in self.routes.values():
            for county in v.route.counties:
                groups.setdefault(county, []).append(v)
        return groups

    @cached_property
    def _by_route(self) -> dict[str, list[EventView]]:
        groups: dict[str, list[EventView]] = {}
        for v in self.events.values():
            for route_id in dict.fromkeys(v.event.routes):
                groups.setdefault(route_id, []).append(v)
        return groups

    # Lists are indexed once: a page per route asking for its theme's routes would otherwise cost N².
    def routes_of_theme(self, theme_id: str) -> list[RouteView]:
        return list(self._by_theme.get(theme_id, ()))

    def routes_of_county(self, county_id: str) -> list[RouteView]:
        return list(self._by_county.get(county_id, ()))

    def events_of_route(self, route_id: str) -> list[EventView]:
        return list(self._by_route.get(route_id, ()))

    def upcoming(self, events: list[EventView] | None = None, limit: int | None = None) -> list[EventView]:
        """Events not over before the batch month begins."""
        pool = list(self.events.values()) if events is None else events
        chosen = [v for v in pool if v.event.end_date >= self.month.first_day]
        return chosen[:limit] if limit else chosen

    @cached_property
    def _by_month(self) -> dict[Month, list[EventView]]:
        """Each month's events, by the plan's one rule (plan.events_by_month, which MonthPlan.events uses too)."""
        groups = events_by_month(v.event for v in self.events.values())
        return {m: [self.events[e.id] for e in found] for m, found in groups.items()}

    @cached_property
    def event_months(self) -> list[Month]:
        """Months with a calendar page: every month an event touches, and the batch month."""
        return sorted({self.month, *self._by_month})

    def events_in(self, month: Month) -> list[EventView]:
        return list(self._by_month.get(month, ()))

    @property
    def guide_months(self) -> list[Month]:
        return sorted(self.plans)

