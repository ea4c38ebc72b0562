"""Files for machines and calendars: Atom feed, iCalendar (all events and one per event), sitemap, robots.txt.

Every timestamp comes from the input (an event's verified date, a guide's month), never from the clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import icalendar

from pipeline import urls
from pipeline.channels.site.pages import Page
from pipeline.channels.site.text import event_when
from pipeline.channels.site.views import EventView, SiteData
from pipeline.config import Config
from pipeline.plan import Month

SHANGHAI = ZoneInfo("Asia/Shanghai")
TZID = "Asia/Shanghai"
ATOM = "http://www.w3.org/2005/Atom"
FEED_PATH = "feed.xml"
ICS_PATH = "events.ics"
SITEMAP_PATH = "sitemap.xml"
TENTATIVE_MARK = "（日期待定）"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), SHANGHAI)


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat()


# ---- Atom ----------------------------------------------------------------------------------------------

def _announced(view: EventView) -> datetime:
    """When an event entered the feed: the first day of its month, or its verified date if later."""
    first = _midnight(view.event.start_date.replace(day=1))
    verified = _midnight(view.event.verified) if view.event.verified else first
    return max(first, verified)


def atom_feed(site: SiteData) -> bytes:
    """Monthly guides of the archive, and the events published so far (start month up to the batch month)."""
    config = site.config
    entries: list[tuple[datetime, str, str, str, str]] = []  # (updated, title, path, summary, category)
    for month in site.guide_months:
        plan = site.plans[month]
        entries.append((_midnight(month.first_day), f"{month.label}周末好去处：{plan.guide.title}",
                        urls.guide_path(month), _first_paragraph(plan.guide.body), "周末好去处"))
    archive_start = site.guide_months[0].first_day if site.guide_months else site.month.first_day
    for view in site.events.values():
        e = view.event
        if Month(e.start_date.year, e.start_date.month) <= site.month and e.end_date >= archive_start:
            title = e.title + (TENTATIVE_MARK if e.tentative else "")
            entries.append((_announced(view), title, view.path, f"{event_when(e)}，{e.venue}。{e.summary}", "活动"))
    entries.sort(key=lambda item: (item[0], item[2]), reverse=True)

    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})
    _sub(feed, "id", config.url(""))
    _sub(feed, "title", config.site_title)
    _sub(feed, "subtitle", f"{config.brand_name}：每月周末好去处与节庆活动")
    _sub(feed, "updated", _rfc3339(entries[0][0]) if entries else _rfc3339(_midnight(site.month.first_day)))
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "type": "application/atom+xml", "href": config.url(FEED_PATH)})
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": config.url("")})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _sub(author, "name", config.brand_short_name)
    for updated, title, path, summary, category in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        _sub(entry, "id", config.url(path))
        _sub(entry, "title", title)
        _sub(entry, "updated", _rfc3339(updated))
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": config.url(path)})
        ET.SubElement(entry, f"{{{ATOM}}}category", {"term": category})
        _sub(entry, "summary", summary)
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    child = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    child.text = text
    return child


def _first_paragraph(markdown: str) -> str:
    for block in markdown.split("\n\n"):
        block = block.strip()
        if block and not block.startswith("#"):
            return block[:200]
    return ""


# ---- iCalendar ------------------------------------------------------------------------------------------

def _timezone() -> icalendar.Timezone:
    """China has kept UTC+8 without daylight saving since 1992: one STANDARD rule says it all."""
    tz = icalendar.Timezone()
    tz.add("tzid", TZID)
    standard = icalendar.TimezoneStandard()
    standard.add("dtstart", datetime(1992, 1, 1))
    standard.add("tzoffsetfrom", timedelta(hours=8))
    standard.add("tzoffsetto", timedelta(hours=8))
    standard.add("tzname", "CST")
    tz.add_component(standard)
    return tz


def _calendar(config: Config, name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//xnwl//咸宁文旅//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", TZID)
    return cal


def uid(config: Config, event_id: str) -> str:
    return f"{event_id}@{urlsplit(config.base_url).hostname}"


def _vevent(site: SiteData, view: EventView) -> icalendar.Event:
    e = view.event
    config = site.config
    item = icalendar.Event()
    item.add("uid", uid(config, e.id))
    # DTSTAMP must not come from the clock: the verified date, else the batch month (when this copy was published)
    stamp = e.verified or site.month.first_day
    item.add("dtstamp", datetime.combine(stamp, time(0, 0), ZoneInfo("UTC")))
    if e.start_time is None:
        item.add("dtstart", e.start_date)
        item.add("dtend", e.end_date + timedelta(days=1))  # DATE end is exclusive
    else:
        item.add("dtstart", datetime.combine(e.start_date, e.start_time, SHANGHAI))
        if e.end_time is not None:
            end = datetime.combine(e.end_date, e.end_time, SHANGHAI)
        else:  # no closing time given: until the end of the last day
            end = datetime.combine(e.end_date + timedelta(days=1), time(0, 0), SHANGHAI)
        item.add("dtend", end)
    item.add("summary", e.title + (TENTATIVE_MARK if e.tentative else ""))
    item.add("location", f"咸宁市{view.county.name} {e.venue}")
    item.add("description", f"{e.summary}\n日期来源：{e.source_ref}\n详情：{config.url(view.path)}")
    item.add("url", config.url(view.path))
    item.add("status", "TENTATIVE" if e.tentative else "CONFIRMED")
    item.add("transp", "TRANSPARENT")
    return item


def events_calendar(site: SiteData) -> bytes:
    """events.ics: every event of the site, for a calendar app to subscribe to."""
    cal = _calendar(site.config, f"{site.config.brand_short_name}活动")
    cal.add_component(_timezone())
    for view in site.events.values():
        cal.add_component(_vevent(site, view))
    return cal.to_ical()


def event_calendar(site: SiteData, view: EventView) -> bytes:
    """One event's .ics (its page's "add to calendar" link); the time zone only when the event has a time."""
    cal = _calendar(site.config, view.event.title)
    if view.event.start_time is not None:
        cal.add_component(_timezone())
    cal.add_component(_vevent(site, view))
    return cal.to_ical()


# ---- sitemap and robots ---------------------------------------------------------------------------------

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sitemap(config: Config, pages: list[Page]) -> bytes:
    ET.register_namespace("", SITEMAP_NS)
    urlset = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for page in sorted((p for p in pages if p.indexed), key=lambda p: p.path):
        url = ET.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = config.url(page.path)
    ET.indent(urlset)
    return ET.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n"


def robots(config: Config) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {config.url(SITEMAP_PATH)}\n".encode()
