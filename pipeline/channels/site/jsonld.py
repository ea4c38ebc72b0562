"""schema.org JSON-LD for pages: TouristTrip for routes, Event for events, BreadcrumbList everywhere."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.channels.site.views import EventView, RouteView
from pipeline.config import Config

SHANGHAI = ZoneInfo("Asia/Shanghai")


def breadcrumbs(config: Config, crumbs: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": config.url(path)}
            for n, (name, path) in enumerate(crumbs, 1)
        ],
    }


def _image(config: Config, view: RouteView | EventView) -> dict[str, Any]:
    return {"image": config.url(view.cover.largest.path)} if view.cover else {}


def tourist_trip(config: Config, view: RouteView) -> dict[str, Any]:
    r = view.route
    items = []
    for view_stop in view.stops:
        number, stop = view_stop.number, view_stop.stop
        place: dict[str, Any] = {"@type": "TouristAttraction", "name": stop.name,
                                 "address": {"@type": "PostalAddress", "addressRegion": "湖北省",
                                             "addressLocality": f"咸宁市{view_stop.county.name}"}}
        if stop.lnglat:
            place["geo"] = {"@type": "GeoCoordinates", "longitude": stop.lnglat[0], "latitude": stop.lnglat[1]}
        items.append({"@type": "ListItem", "position": number, "item": place})
    return {
        "@context": "https://schema.org",
        "@type": "TouristTrip",
        "name": r.title,
        "description": r.summary,
        "url": config.url(view.path),
        "touristType": view.theme.name,
        **_image(config, view),
        "itinerary": {"@type": "ItemList", "numberOfItems": len(items), "itemListElement": items},
    }


def _when(day, clock) -> str:  # type: ignore[no-untyped-def]
    if clock is None:
        return day.isoformat()
    return datetime.combine(day, clock, SHANGHAI).isoformat()


def event(config: Config, view: EventView) -> dict[str, Any]:
    e = view.event
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": e.title,
        "description": e.summary,
        "url": config.url(view.path),
        "startDate": _when(e.start_date, e.start_time),
        "endDate": _when(e.end_date, e.end_time),
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": {"@type": "Place", "name": e.venue,
                     "address": {"@type": "PostalAddress", "addressRegion": "湖北省",
                                 "addressLocality": f"咸宁市{view.county.name}"}},
        **_image(config, view),
    }
    if not e.tentative:  # schema.org has no "date not yet fixed"; tentative events simply carry no status
        data["eventStatus"] = "https://schema.org/EventScheduled"
    return data


def website(config: Config, search_path: str) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": config.site_title,
        "url": config.url(""),
        "inLanguage": "zh-CN",
        "potentialAction": {"@type": "SearchAction", "target": config.url(search_path) + "?q={search_term_string}",
                            "query-input": "required name=search_term_string"},
    }
