"""Where each item lives on the site. WeChat links, poster QR codes and the site itself all use these."""

from __future__ import annotations

from pipeline.plan import Month


def route_path(route_id: str) -> str:
    return f"routes/{route_id}/"


def event_path(event_id: str) -> str:
    return f"events/{event_id}/"


def guide_path(month: Month) -> str:
    return f"weekend/{month}/"


def events_month_path(month: Month) -> str:
    return f"events/{month}/"


def theme_path(theme_id: str) -> str:
    return f"themes/{theme_id}/"


def county_path(county_id: str) -> str:
    return f"counties/{county_id}/"


def tagged_url(url: str, channel: str) -> str:
    """The page URL with the channel tag that tells which poster a visitor scanned (?from=xhs)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}from={channel}"
