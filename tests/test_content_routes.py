"""The shipped routes stay true, sourced and distinct (issue 24).

Definitions used here:
- A stop is identified by its `name`; the same place is always written with the same name.
- Fixed places are stops of every `kind` except `food` and `stay`: those two describe a meal or a
  night in a town, not a place to put on a map. A fixed place carries `lnglat` (GCJ-02) with a
  `lnglat_source`, unless it is listed in NO_PUBLIC_COORDINATES below with the reason.
"""

from __future__ import annotations

import itertools
import re

from test_shipped_content import content  # noqa: F401 - the shipped content, loaded once per module

from pipeline.content.model import STOP_KINDS, Content, Route

CJK = re.compile(r"[\u4e00-\u9fff]")

FIXED_KINDS = frozenset(STOP_KINDS) - {"food", "stay"}

# Fixed places for which no public source giving coordinates was found (searched 2026-12-07).
# Coordinates are never guessed: a place leaves this list only together with a cited lnglat.
NO_PUBLIC_COORDINATES = {
    name: "未找到给出坐标的公开来源"
    for name in (
        "三国赤壁古战场", "拜风台", "凤雏庵", "大湖咀遗址", "陆水湖", "陆水水库大坝", "雪峰山",
        "羊楼洞古镇", "观音泉", "松峰山", "簰洲湾", "陆溪口", "官桥八组", "山湖温泉", "牛头山",
        "三湖连江水库", "九宫山", "云中湖", "石龙峡", "闯王陵", "隐水洞", "富水湖", "咸宁温泉",
        "潜山国家森林公园", "淦河", "大幕山", "大幕乡", "桂花镇", "梓山湖", "梓山湖玫瑰园", "星星竹海",
        "太乙洞", "向阳湖文化名人旧址", "向阳湖镇", "汀泗桥北伐战役遗址", "贺胜桥北伐战役遗址",
        "黄袍山", "黄袍山油茶产业示范园", "隽水河", "药姑山", "内冲瑶族村", "通城县城", "白霓",
        "洪下十里画廊", "青山水库", "大泉洞", "浪口温泉", "桂花森林公园",
    )
}

XIANNING = (113.5, 114.9, 29.0, 30.2)  # lng min, lng max, lat min, lat max
COUNTY_BOXES = {  # generous boxes around each county, to catch a stop put in the wrong county
    "xianan": (114.0, 114.6, 29.6, 30.1),
    "chibi": (113.5, 114.15, 29.45, 29.95),
    "jiayu": (113.6, 114.25, 29.8, 30.2),
    "tongcheng": (113.6, 114.1, 29.0, 29.45),
    "chongyang": (113.85, 114.45, 29.2, 29.7),
    "tongshan": (114.25, 114.9, 29.2, 29.85),
}

# The bureau's internal 2024 work plan is not visitor copy, nor are its targets current facts.
WORK_PLAN_WORDS = ("工作要点", "文旅局", "文化和旅游局", "2024", "全年建设", "1万间", "正在开展",
                   "正在加快", "市里还安排", "专项考古调查")
# Words that make a claim a reader may want to check: the route must name its sources.
CLAIM_WORDS = ("源头", "示范", "首个", "A级", "入选", "地理标志")
NOT_A_PLACE = ("附近", "周边", "乡间", "提琴戏", "一带")


def _visitor_text(route: Route) -> str:
    return route.title + route.summary + route.body + "".join(s.name + (s.note or "") for s in route.stops)


def _paragraphs(body: str) -> list[str]:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", body)]
    return [b for b in blocks if b and not b.startswith("#")]


def _sentences(body: str) -> set[str]:
    parts = re.split(r"[。！？\n]", body)
    return {p.strip(" -") for p in parts if len(CJK.findall(p)) >= 12}


def test_route_ids_use_the_yangloudong_spelling(content: Content) -> None:
    assert "chadao-yangloudong-origin" in content.routes
    assert [r for r in content.routes if "yanglouodong" in r] == []
    for guide in content.guides.values():
        assert all("yanglouodong" not in p.ref for p in guide.picks if p.kind == "route"), guide.key
    for event in content.events.values():
        assert all("yanglouodong" not in ref for ref in event.routes), event.id


def test_no_two_routes_share_more_than_half_their_stops(content: Content) -> None:
    stops = {rid: {s.name for s in r.stops} for rid, r in content.routes.items()}
    crowded = []
    for (a, sa), (b, sb) in itertools.combinations(sorted(stops.items()), 2):
        shared = sa & sb
        if 2 * len(shared) > min(len(sa), len(sb)):
            crowded.append((a, b, sorted(shared)))
    assert crowded == []


def test_every_stop_is_a_place(content: Content) -> None:
    vague = [(r.id, s.name) for r in content.routes.values() for s in r.stops
             if any(word in s.name for word in NOT_A_PLACE)]
    assert vague == []
    for route in content.routes.values():
        names = [s.name for s in route.stops]
        assert len(names) == len(set(names)), route.id


def test_no_route_cites_the_work_plan(content: Content) -> None:
    found = [(r.id, w) for r in content.routes.values() for w in WORK_PLAN_WORDS if w in _visitor_text(r)]
    assert found == []


def test_claims_and_verified_dates_carry_sources(content: Content) -> None:
    for route in content.routes.values():
        assert all("http" in source for source in route.sources), route.id
        if route.verified is not None:
            assert route.sources, f"{route.id}: verified {route.verified} but no sources"
        claims = [w for w in CLAIM_WORDS if w in route.body + route.summary]
        if claims:
            assert route.sources, f"{route.id}: {claims} without sources"


def test_fixed_place_stops_have_coordinates_inside_xianning(content: Content) -> None:
    missing, outside, unsourced, used = [], [], [], set()
    for route in content.routes.values():
        for stop in route.stops:
            if stop.lnglat is None:
                if stop.kind in FIXED_KINDS:
                    if stop.name in NO_PUBLIC_COORDINATES:
                        used.add(stop.name)
                    else:
                        missing.append((route.id, stop.name))
                continue
            assert stop.name not in NO_PUBLIC_COORDINATES, f"{stop.name} has coordinates now: drop it from the list"
            lng, lat = stop.lnglat
            x0, x1, y0, y1 = XIANNING
            c0, c1, d0, d1 = COUNTY_BOXES[stop.county]
            if not (x0 <= lng <= x1 and y0 <= lat <= y1 and c0 <= lng <= c1 and d0 <= lat <= d1):
                outside.append((route.id, stop.name, stop.county, stop.lnglat))
            source = stop.lnglat_source or ""
            if "http" not in source or "GCJ-02" not in source:
                unsourced.append((route.id, stop.name))
    assert missing == []
    assert outside == []
    assert unsourced == []
    assert sorted(set(NO_PUBLIC_COORDINATES) - used) == [], "stale entries in NO_PUBLIC_COORDINATES"


def test_same_place_same_coordinates(content: Content) -> None:
    seen: dict[str, tuple[float, float]] = {}
    for route in content.routes.values():
        for stop in route.stops:
            if stop.lnglat is not None:
                assert seen.setdefault(stop.name, stop.lnglat) == stop.lnglat, (route.id, stop.name)


def test_no_two_routes_share_a_paragraph_or_sentence(content: Content) -> None:
    owner: dict[str, str] = {}
    repeated = []
    for route in sorted(content.routes.values(), key=lambda r: r.id):
        for text in set(_paragraphs(route.body)) | _sentences(route.body):
            other = owner.setdefault(text, route.id)
            if other != route.id:
                repeated.append((other, route.id, text[:30]))
    assert repeated == []


def test_each_route_has_its_own_closing(content: Content) -> None:
    closings = {rid: _paragraphs(r.body)[-1] for rid, r in content.routes.items()}
    assert len(set(closings.values())) == len(closings)
    templated = [rid for rid, r in content.routes.items()
                 if all(label in r.body for label in ("何时去：", "怎么走：", "带什么："))]
    assert templated == []


def test_named_errors_stay_fixed(content: Content) -> None:
    river = content.routes["sanguo-changjiang-jiayu-chibi"].body
    assert "向西南" not in river and "西南流向东北" in river
    for route in content.routes.values():
        text = _visitor_text(route)
        if "李自成" in text and any(w in text for w in ("殒命", "遇难", "死于", "葬于")):
            assert "相传" in text, route.id
        assert "知名的乡村旅游示范村" not in text, route.id
    origin = content.routes["chadao-yangloudong-origin"]
    assert origin.body.count("源头") == 1 and origin.sources
