"""The curated content that ships: coverage, references, gazetteer agreement, house style."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from pipeline.content.load import load_content
from pipeline.content.model import COUNTY_IDS, THEME_IDS, Content

REPO = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")

# The county of every place in ../shared/facts/gazetteer.md ("Places by county").
GAZETTEER = {
    "三国赤壁古战场": "chibi", "羊楼洞": "chibi", "陆水湖": "chibi", "大湖咀遗址": "chibi",
    "九宫山": "tongshan", "闯王陵": "tongshan", "隐水洞": "tongshan", "富水湖": "tongshan",
    "咸宁温泉": "xianan", "潜山国家森林公园": "xianan", "大幕山": "xianan", "桂花镇": "xianan",
    "向阳湖": "xianan", "汀泗桥": "xianan", "贺胜桥": "xianan", "星星竹海": "xianan", "太乙洞": "xianan",
    "梓山湖": "xianan", "淦河": "xianan",
    "官桥八组": "jiayu", "簰洲湾": "jiayu", "山湖温泉": "jiayu",
    "黄袍山": "tongcheng", "药姑山": "tongcheng", "隽水河": "tongcheng",
    "白霓": "chongyang", "崇阳提琴戏": "chongyang", "浪口温泉": "chongyang",
}
ABSOLUTE_CLAIMS = ("最佳", "第一", "顶级", "最高级", "最美", "唯一", "国家级")


@pytest.fixture(scope="module")
def content() -> Content:
    loaded, problems = load_content(REPO)
    assert not problems.errors, "\n".join(p.render() for p in problems.errors)
    return loaded


def test_thirty_routes_cover_every_theme_and_county(content: Content) -> None:
    assert len(content.routes) == 30
    themes = Counter(r.theme for r in content.routes.values())
    counties = Counter(c for r in content.routes.values() for c in r.counties)
    assert {t: themes[t] for t in THEME_IDS if themes[t] < 3} == {}
    assert {c: counties[c] for c in COUNTY_IDS if counties[c] < 3} == {}


def test_routes_follow_the_brief(content: Content) -> None:
    for route in content.routes.values():
        assert 1 <= route.days <= 3, route.id
        assert len(route.stops) >= 3, route.id
        assert route.from_wuhan.rail or route.from_wuhan.drive, route.id
        assert 300 <= len(CJK.findall(route.body)) <= 800, (route.id, len(CJK.findall(route.body)))
        assert len(route.title) <= 32, route.id
        assert route.source == f"routes/{route.id}.md"


def test_twelve_guides_with_enough_picks(content: Content) -> None:
    assert sorted(k for k in content.guides if len(k) == 2) == [f"{m:02d}" for m in range(1, 13)]
    for key in (f"{m:02d}" for m in range(1, 13)):
        guide = content.guides[key]
        assert len(guide.picks) >= 4, key
        assert all(p.reason for p in guide.picks)
        assert 150 <= len(CJK.findall(guide.body)) <= 400, key


def test_every_reference_resolves(content: Content) -> None:
    for guide in content.guides.values():
        for pick in guide.picks:
            known = content.routes if pick.kind == "route" else content.events
            assert pick.ref in known, (guide.key, pick.ref)
    for event in content.events.values():
        assert all(ref in content.routes for ref in event.routes), event.id


def test_guide_route_picks_are_in_season(content: Content) -> None:
    for guide in content.guides.values():
        for pick in guide.picks:
            if pick.kind == "route":
                assert guide.month in content.routes[pick.ref].best_months, (guide.key, pick.ref)


def test_a_year_of_events(content: Content) -> None:
    in_range = [e for e in content.events.values() if date(2026, 12, 1) <= e.start_date <= date(2027, 12, 31)]
    assert len(in_range) >= 10
    assert sum(e.category == "festival" for e in in_range) >= 4
    seasons = {(e.start_date.month % 12) // 3 for e in in_range}  # 0 winter, 1 spring, 2 summer, 3 autumn
    assert seasons == {0, 1, 2, 3}
    assert any(e.start_date.month == 12 and e.start_date.year == 2026 for e in in_range)
    assert any(e.start_date.month == 12 and e.start_date.year == 2027 for e in in_range)
    assert any(e.category == "village-gala" for e in in_range)
    heritage_day = [e for e in in_range if e.category == "heritage" and e.start_date == date(2027, 6, 12)]
    assert heritage_day, "文化和自然遗产日 is the second Saturday of June 2027"
    text = " ".join(e.title + e.summary + e.body for e in in_range)
    assert "温泉文化旅游节" in text and "桂花" in text and "滑雪" in text


def test_tentative_events_say_so(content: Content) -> None:
    for event in content.events.values():
        if event.tentative:
            assert "以官方发布为准" in event.body, event.id


def test_places_agree_with_the_gazetteer(content: Content) -> None:
    checked = 0
    for route in content.routes.values():
        for index, stop in enumerate(route.stops):
            for place, county in GAZETTEER.items():
                if place in stop.name:
                    assert stop.county == county, f"{route.source} stops[{index}] {stop.name}: {stop.county} ≠ {county}"
                    checked += 1
    for event in content.events.values():
        for place, county in GAZETTEER.items():
            if place in event.venue:
                assert event.county == county, f"{event.source} venue {event.venue}: {event.county} ≠ {county}"
                checked += 1
    assert checked >= 60


def test_house_style(content: Content) -> None:
    texts = [(r.source, r.title + r.summary + r.body + "".join(s.name + (s.note or "") for s in r.stops))
             for r in content.routes.values()]
    texts += [(e.source, e.title + e.summary + e.body) for e in content.events.values()]
    texts += [(g.source, g.title + g.body + "".join(p.reason for p in g.picks)) for g in content.guides.values()]
    for source, text in texts:
        for word in ABSOLUTE_CLAIMS:
            assert word not in text, (source, word)
        assert not re.search(r"[\u4e00-\u9fff] +[\u4e00-\u9fff]", text), source
        assert not re.search(r"[\u4e00-\u9fff][,.;:!?]", text), source


def _luminance(hex_color: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_theme_and_county_colours_carry_white_text(content: Content) -> None:
    for item in [*content.themes.values(), *content.counties.values()]:
        ratio = 1.05 / (_luminance(item.color) + 0.05)
        assert ratio >= 4.5, (item.id, item.color, round(ratio, 2))


def test_validate_summary_shows_coverage() -> None:
    from conftest import xnwl

    run = xnwl("validate", root=REPO)
    assert run.code == 0, run.text
    assert "30 条线路" in run.out and "13 份周末指南" in run.out and "2026-12 至 2027-12" in run.out
