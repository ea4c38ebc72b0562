"""The shipped event calendar: every event rests on a public report, says what is estimated, and the
weekend guides point at events of their own month."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipeline.content.citations import citations, parts, to_html
from pipeline.content.load import load_content
from pipeline.content.model import Content, Event

REPO = Path(__file__).resolve().parents[1]
# Words that give a usual timing or an estimate, not an announced date.
USUAL_TIMING = ("往年", "往届", "按往年", "估计", "估在", "尚未公布", "待公布")
WORK_PLAN = ("工作要点", "工作计划", "2024年工作", "待核实")


@pytest.fixture(scope="module")
def content() -> Content:
    loaded, problems = load_content(REPO)
    assert not problems.errors, "\n".join(p.render() for p in problems.errors)
    return loaded


def _months(first: date, last: date) -> set[tuple[int, int]]:
    months, day = set(), first
    while day <= last:
        months.add((day.year, day.month))
        day += timedelta(days=1)
    return months


# --- the parser the checks rely on -------------------------------------------------------------------

def test_citations_pair_each_address_with_the_date_after_it() -> None:
    text = "http://a.example/x/2020-01-01/p.html（2025-01-17 荆楚网）；https://b.example/y?q=1。（报道2024-07-19的活动）；http://c.example/z"
    found = citations(text)
    assert [c.url for c in found] == ["http://a.example/x/2020-01-01/p.html", "https://b.example/y?q=1",
                                      "http://c.example/z"]
    # a date inside the address is not the report's date; the one in the note after it is
    assert [c.dates for c in found] == [(date(2025, 1, 17),), (date(2024, 7, 19),), ()]
    assert "".join(v for _, v in parts(text)) == text
    assert citations("往年惯例（待核实）") == ()
    assert citations("http://a.example/p（2025-02-30 不存在的日子）")[0].dates == ()


def test_source_html_escapes_text_and_links_each_address_by_host() -> None:
    html = str(to_html('https://www.example.com/a?b=1&c=2（2024-11-21 <湖北日报>）'))
    assert html == ('<a href="https://www.example.com/a?b=1&amp;c=2" rel="noopener nofollow">www.example.com</a>'
                    '（2024-11-21 &lt;湖北日报&gt;）')
    lone = str(to_html("https://example.com/notice", "主办方发布"))
    assert lone == '<a href="https://example.com/notice" rel="noopener nofollow">主办方发布</a>'
    assert "example.com</a>（" in str(to_html("https://example.com/n（2025-01-01）", "主办方发布"))


# --- every shipped event -----------------------------------------------------------------------------

def test_every_event_names_a_dated_web_report(content: Content) -> None:
    bad: list[str] = []
    for event in content.events.values():
        found = citations(event.source_ref)
        if not found:
            bad.append(f"{event.source}: source 里没有网址：{event.source_ref}")
        for cite in found:
            if not cite.dates:
                bad.append(f"{event.source}: {cite.url} 后面没有写报道日期（YYYY-MM-DD）")
            elif max(cite.dates) >= event.start_date:
                bad.append(f"{event.source}: {cite.url} 的日期 {max(cite.dates)} 不早于活动开始日 {event.start_date}")
    assert bad == []


def test_no_verified_date_without_a_source(content: Content) -> None:
    for event in content.events.values():
        if event.verified is not None:
            found = citations(event.source_ref)
            assert found, f"{event.source}: verified = {event.verified}，但 source 没有网址"
            assert event.verified >= max(d for c in found for d in c.dates), event.source


def test_no_event_rests_on_the_work_plan(content: Content) -> None:
    for event in content.events.values():
        text = "\n".join((event.title, event.summary, event.venue, event.body, event.source_ref))
        assert [w for w in WORK_PLAN if w in text] == [], event.source


def test_a_usual_timing_is_tentative_and_says_so(content: Content) -> None:
    for event in content.events.values():
        text = event.summary + event.body
        if any(w in text for w in USUAL_TIMING):
            assert event.tentative, f"{event.source}: 正文写的是往年时间或估计，status 应为 tentative"
        if event.tentative:
            assert "待定" in event.body and "以官方发布为准" in event.body, event.source


def test_ski_seasons_link_routes_in_season(content: Content) -> None:
    """A ski season links only routes whose best months cover every month of the season."""
    for event in content.events.values():
        if not any(w in event.title for w in ("滑雪", "雪季")):
            continue
        months = {m for _, m in _months(event.start_date, event.end_date)}
        assert event.routes, event.source
        for ref in event.routes:
            assert months <= set(content.routes[ref].best_months), (event.id, ref, sorted(months))


# --- the weekend guides ------------------------------------------------------------------------------

def _calendar_span(content: Content) -> tuple[date, date]:
    starts = sorted(e.start_date for e in content.events.values())
    return date(starts[0].year, starts[0].month, 1), date(starts[-1].year, starts[-1].month, 28)


def _in_month(event: Event, year: int, month: int) -> bool:
    first = date(year, month, 1)
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1))
    return event.overlaps(first, last)


def test_guide_event_picks_fall_in_their_month(content: Content) -> None:
    """An evergreen guide is used for its month within the calendar's span; an override for its own month."""
    first, last = _calendar_span(content)
    for guide in content.guides.values():
        years = [guide.year] if guide.year else sorted({y for y, m in _months(first, last) if m == guide.month})
        for pick in guide.picks:
            if pick.kind == "event":
                event = content.events[pick.ref]
                assert any(_in_month(event, y, guide.month) for y in years), (guide.key, pick.ref, years)


def test_december_2027_has_its_own_guide_listing_its_events(content: Content) -> None:
    guide = content.guides.get("2027-12")
    assert guide is not None, "content/weekend/2027-12.md 缺失"
    picked = {p.ref for p in guide.picks if p.kind == "event"}
    december = {e.id for e in content.events.values() if _in_month(e, 2027, 12)}
    assert december and picked == december
    assert len(guide.picks) >= 4


def test_no_old_route_spelling(content: Content) -> None:
    refs = [r for e in content.events.values() for r in e.routes] + list(content.events)
    refs += [p.ref for g in content.guides.values() for p in g.picks]
    assert [r for r in refs if "yanglouodong" in r] == []
    for path in [*(REPO / "content" / "events").glob("*.md"), *(REPO / "content" / "weekend").glob("*.md")]:
        assert not re.search("yanglouodong", path.read_text(encoding="utf-8")), path.name
