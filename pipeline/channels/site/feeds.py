"""Files for machines and calendars: Atom feed, iCalendar (all events and one per event), sitemap, robots.txt.

Every timestamp comes from the input (an event's verified date, a guide's month), never from the clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

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
# Written as text, line by line, exactly as the icalendar library writes the same calendar (RFC 5545: properties
# in its canonical order, TEXT escaping, lines folded at 75 octets): building its objects cost more than the
# rest of an event's page. tests/test_site_fastpaths.py compares every event with icalendar's own output.

_PRODID = "-//xnwl//咸宁文旅//ZH"
# China has kept UTC+8 without daylight saving since 1992: one STANDARD rule says it all.
_TIMEZONE = ("BEGIN:VTIMEZONE", f"TZID:{TZID}", "BEGIN:STANDARD", "DTSTART:19920101T000000", "TZNAME:CST",
             "TZOFFSETFROM:+0800", "TZOFFSETTO:+0800", "END:STANDARD", "END:VTIMEZONE")


def _text(value: str) -> str:
    """An iCalendar TEXT value (as icalendar escapes it, `\\N` included)."""
    return (value.replace("\\N", "\n").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after CRLF and a space, never inside a character."""
    if line.isascii():
        return "\r\n ".join(line[i:i + 74] for i in range(0, len(line), 74)) if len(line) > 74 else line
    if len(line.encode()) < 75:
        return line
    parts: list[str] = []
    count = 0
    for char in line:
        size = len(char.encode())
        count += size
        if count >= 75:
            parts.append("\r\n ")
            count = size
        parts.append(char)
    return "".join(parts)


def _stamp(day: date) -> str:
    return f"{day.year:04}{day.month:02}{day.day:02}"


def _when(name: str, day: date, at: time | None) -> str:
    """DTSTART/DTEND: a whole day (VALUE=DATE), or a time of day in Asia/Shanghai."""
    if at is None:
        return f"{name};VALUE=DATE:{_stamp(day)}"
    return f"{name};TZID={TZID}:{_stamp(day)}T{at.hour:02}{at.minute:02}{at.second:02}"


def uid(config: Config, event_id: str) -> str:
    return f"{event_id}@{urlsplit(config.base_url).hostname}"


def _vevent(site: SiteData, view: EventView) -> list[str]:
    e = view.event
    config = site.config
    if e.start_time is None:
        start = _when("DTSTART", e.start_date, None)
        end = _when("DTEND", e.end_date + timedelta(days=1), None)  # DATE end is exclusive
    else:
        start = _when("DTSTART", e.start_date, e.start_time)
        if e.end_time is not None:
            end = _when("DTEND", e.end_date, e.end_time)
        else:  # no closing time given: until the end of the last day
            end = _when("DTEND", e.end_date + timedelta(days=1), time(0, 0))
    # DTSTAMP must not come from the clock: the verified date, else the batch month (when this copy was published)
    stamp = e.verified or site.month.first_day
    url = config.url(view.path)
    return ["BEGIN:VEVENT",
            "SUMMARY:" + _text(e.title + (TENTATIVE_MARK if e.tentative else "")),
            start,
            end,
            f"DTSTAMP:{_stamp(stamp)}T000000Z",
            "UID:" + _text(uid(config, e.id)),
            "DESCRIPTION:" + _text(f"{e.summary}\n日期来源：{e.source_ref}\n详情：{url}"),
            "LOCATION:" + _text(f"咸宁市{view.county.name} {e.venue}"),
            "STATUS:" + ("TENTATIVE" if e.tentative else "CONFIRMED"),
            "TRANSP:TRANSPARENT",
            "URL:" + url,
            "END:VEVENT"]


def _calendar(name: str, timezone: bool, events: list[list[str]]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:" + _text(_PRODID), "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             "X-WR-CALNAME:" + _text(name), f"X-WR-TIMEZONE:{TZID}"]
    if timezone:
        lines += _TIMEZONE
    for event in events:
        lines += event
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()


def events_calendar(site: SiteData) -> bytes:
    return _calendar(f"{site.config.brand_short_name}活动", True, [_vevent(site, view) for view in site.events.values()])


def event_calendar(site: SiteData, view: EventView) -> bytes:
    return _calendar(view.event.title, view.event.start_time is not None, [_vevent(site, view)])


# ---- sitemap and robots ---------------------------------------------------------------------------------

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sitemap(config: Config, pages: list[Page]) -> bytes:
    ET.register_namespace("", SITEMAP_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for page in sorted((p for p in pages if p.indexed), key=lambda p: p.path):
        url = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = config.url(page.path)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def robots(config: Config) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {config.url(SITEMAP_PATH)}\n".encode()
