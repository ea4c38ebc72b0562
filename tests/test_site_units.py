"""Small pure parts of the site: the route map, relative links, Chinese date wording, Markdown sanitising."""

from __future__ import annotations

import math
import random
from datetime import date, time

from pipeline.channels.site.environment import relative_href
from pipeline.channels.site.routemap import route_map
from pipeline.channels.site.sanitize import markdown_html
from pipeline.channels.site.text import event_when
from pipeline.channels.site.views import amap_marker
from pipeline.content.model import Event, Stop


def _stop(name: str, lnglat=None) -> Stop:  # type: ignore[no-untyped-def]
    return Stop(name=name, county="xianan", kind="scenic", lnglat=lnglat)


def test_map_places_only_stops_with_coordinates() -> None:
    stops = (_stop("甲", (114.32, 29.84)), _stop("乙"), _stop("丙", (114.60, 29.60)))
    m = route_map(stops)
    assert m.kind == "geo"
    assert [p.number for p in m.points] == [1, 3]
    assert m.left_out == ("乙",)
    first, third = m.points
    assert first.x < third.x and first.y < third.y  # west and north of the other: left and above
    assert all(0 <= p.x <= m.width and 0 <= p.y <= m.height for p in m.points)
    assert m.scale_km and 0 < m.scale_px < m.width and m.scale_label.endswith(("公里", "米"))


def test_map_without_enough_coordinates_draws_the_order() -> None:
    m = route_map((_stop("甲", (114.32, 29.84)), _stop("乙"), _stop("丙")))
    assert m.kind == "order" and [p.name for p in m.points] == ["甲", "乙", "丙"]
    assert m.scale_km is None


def _label_boxes(m) -> list[tuple[float, float, float, float]]:  # type: ignore[no-untyped-def]
    """Each label's box, worked out here: CJK glyphs one em (13 px) wide, others 0.62 em; 15 px up, 4 down (the em box of a CJK font at 13 px)."""
    boxes = []
    for p in m.points:
        width = sum(13 if ord(ch) > 0x2E80 else 13 * 0.62 for ch in p.name)
        left = p.label_x if p.anchor == "start" else p.label_x - width if p.anchor == "end" else p.label_x - width / 2
        boxes.append((left, p.label_y - 15, left + width, p.label_y + 4))
    return boxes


def _inside(x: float, y: float, box, grow: float = 0.0) -> bool:  # type: ignore[no-untyped-def]
    return box[0] - grow < x < box[2] + grow and box[1] - grow < y < box[3] + grow


def _line_points(m):  # type: ignore[no-untyped-def]
    """Points every half pixel along the route line and the leader lines."""
    xy = [tuple(map(float, pair.split(","))) for pair in m.line.split()]
    lines = list(zip(xy, xy[1:])) + [((p.leader[0], p.leader[1]), (p.leader[2], p.leader[3])) for p in m.points if p.leader]
    for (x1, y1), (x2, y2) in lines:
        steps = max(1, int(((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5 * 2))
        for i in range(steps + 1):
            yield x1 + (x2 - x1) * i / steps, y1 + (y2 - y1) * i / steps


def assert_labels_clear(m) -> None:  # type: ignore[no-untyped-def]
    """Labels inside the box with room to spare, clear of the line, the circles, each other and the map marks."""
    boxes = _label_boxes(m)
    for p, box in zip(m.points, boxes):
        assert box[0] >= 6 and box[1] >= 6 and box[2] <= m.width - 6 and box[3] <= m.height - 6, (p.name, box, m.height)
        for q in m.points:
            cx, cy = q.x, q.y
            nx, ny = min(max(cx, box[0]), box[2]), min(max(cy, box[1]), box[3])
            assert (nx - cx) ** 2 + (ny - cy) ** 2 >= 9 ** 2, (p.name, "circle", q.name)
        for mark in m.marks:
            assert not (box[0] < mark[2] and mark[0] < box[2] and box[1] < mark[3] and mark[1] < box[3]), (p.name, mark)
    for x, y in _line_points(m):
        for p, box in zip(m.points, boxes):
            assert not _inside(x, y, box, grow=1.0), (p.name, "line", x, y)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    assert m.clear


def test_map_labels_do_not_overlap_for_close_stops() -> None:
    m = route_map((_stop("咸宁温泉", (114.320, 29.840)), _stop("太乙洞", (114.322, 29.842)),
                   _stop("星星竹海", (114.40, 29.80))))
    assert_labels_clear(m)


def test_map_labels_keep_clear_of_a_line_through_them() -> None:
    """The 2027-04 case: a stop whose label lay on the line to the next stop (the 赤壁城区 label)."""
    m = route_map((_stop("三国赤壁古战场", (113.63, 29.88)), _stop("赤壁城区", (113.90, 29.72)),
                   _stop("赤壁北站", (113.94, 29.75)), _stop("羊楼洞古镇", (113.85, 29.56))))
    assert m.kind == "geo"
    assert_labels_clear(m)


def test_order_map_labels_keep_clear_of_its_dashed_line() -> None:
    names = ["向阳湖文化名人旧址", "向阳湖镇", "淦河", "赤壁城区", "羊楼洞古镇", "隐水洞", "九宫山"]
    for n in range(1, len(names) + 1):
        m = route_map(tuple(_stop(name) for name in names[:n]))
        assert m.kind == "order"
        assert_labels_clear(m)


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    lng1, lat1, lng2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_geo_map_is_drawn_to_scale() -> None:
    """Every pair of stops: distance on the map / distance on the ground is one number (the scale), within 1 %,
    and the scale bar says the same."""
    lnglats = [(113.63, 29.88), (113.90, 29.72), (114.32, 29.84), (114.65, 29.40), (114.04, 29.55)]
    m = route_map(tuple(_stop(f"站{i}", ll) for i, ll in enumerate(lnglats)))
    ratios = []
    for i, a in enumerate(m.points):
        for j, b in enumerate(m.points[i + 1:], i + 1):
            ratios.append(math.hypot(a.x - b.x, a.y - b.y) / _km(lnglats[i], lnglats[j]))
    assert max(ratios) / min(ratios) < 1.01, ratios
    assert abs(m.scale_px / m.scale_km / (sum(ratios) / len(ratios)) - 1) < 0.01
    # north is up, east is right
    assert m.points[0].x < m.points[2].x and m.points[3].y > m.points[0].y


def test_random_routes_get_clear_labels() -> None:
    """Routes of 2 to 5 stops (the shipped ones have 3 or 4) with made-up coordinates, near each other or far apart: every label placed clear."""
    rnd = random.Random(23)
    names = ["三国赤壁古战场", "赤壁城区", "羊楼洞古镇", "九宫山", "通山县城", "隐水洞", "咸宁温泉", "太乙洞", "星星竹海",
             "向阳湖文化名人旧址", "淦河", "崇阳提琴戏", "浪口温泉", "潜山国家森林公园"]
    for _ in range(200):
        spread = rnd.choice([0.005, 0.03, 0.1, 0.3])
        lng, lat = 114.0 + rnd.uniform(-0.4, 0.4), 29.6 + rnd.uniform(-0.3, 0.3)
        stops = tuple(_stop(name, (round(lng + rnd.uniform(-spread, spread), 4), round(lat + rnd.uniform(-spread, spread), 4)))
                      for name in rnd.sample(names, rnd.randint(2, 5)))
        m = route_map(stops)
        assert m.kind == "geo" and len(m.points) == len(stops)
        assert_labels_clear(m)


def test_amap_link() -> None:
    assert amap_marker(_stop("陆水湖")) is None
    assert amap_marker(_stop("陆 水&湖", (113.9, 29.7))) == (
        "https://uri.amap.com/marker?position=113.900000,29.700000&name=%E9%99%86%20%E6%B0%B4%26%E6%B9%96"
        "&coordinate=gaode&callnative=1")


def test_relative_links() -> None:
    cases = [
        ("", "routes/a/", "routes/a/"),
        ("", "", "./"),
        ("routes/a/", "", "../../"),
        ("routes/a/", "events/b/b.ics", "../../events/b/b.ics"),
        ("themes/x/2/", "themes/x/", "../"),
        ("404.html", "assets/site.css", "assets/site.css"),
        ("routes/x/", "routes/x", "../x"),
        ("routes/x/2/", "routes/x", "../../x"),
        ("routes/x/", "routes", "../../routes"),
        ("routes/x/", "routes/x/", "./"),
        ("routes/x/", "routes/y/", "../y/"),
        ("routes/x/", "routes/xy/", "../xy/"),
        ("routes/x/", "https://a.b/c", "https://a.b/c"),
    ]
    for page, target, expected in cases:
        assert relative_href(page, target) == expected, (page, target)


def test_markdown_is_sanitised_and_headings_shifted() -> None:
    html = str(markdown_html("# 标题\n\n<script>x</script>\n\n![图](https://cdn.example.com/a.png)\n\n"
                             "[链](javascript:alert(1)) [好](https://example.com/)", top_level=3))
    assert "<h3>标题</h3>" in html and "<script" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "cdn.example.com" not in html
    assert 'href="javascript' not in html and 'href="https://example.com/"' in html


def _event(start: date, end: date, start_time=None, end_time=None) -> Event:  # type: ignore[no-untyped-def]
    return Event(id="e", title="t", summary="s", start_date=start, end_date=end, start_time=start_time,
                 end_time=end_time, county="xianan", venue="v", category="festival", routes=(), status="confirmed",
                 source_ref="x", verified=None, images=(), body="", source="content/events/e.md")


def test_event_wording() -> None:
    assert event_when(_event(date(2027, 4, 3), date(2027, 4, 25))) == "2027年4月3日（周六）至4月25日（周日）"
    assert event_when(_event(date(2027, 6, 12), date(2027, 6, 12), time(19, 30), time(21, 0))) == \
        "2027年6月12日（周六） 19:30—21:00"
    assert event_when(_event(date(2027, 12, 30), date(2028, 1, 2))) == "2027年12月30日（周四）至2028年1月2日（周日）"


def _shipped_site(tmp_path):  # type: ignore[no-untyped-def]
    from conftest import REPO
    from pipeline.channels.site.assets import Assets
    from pipeline.channels.site.views import SiteData
    from pipeline.config import load_config
    from pipeline.content.load import load_content
    from pipeline.plan import Month

    content, problems = load_content(REPO)
    assert not problems.errors
    return SiteData(load_config(REPO), content, Month(2027, 4), {}, {}, Assets())


def test_route_views_work_out_stops_and_map_from_the_route(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A route view's stops and map are exactly what the route's stops and the content's counties give."""
    from dataclasses import fields

    from pipeline.channels.site.views import RouteView

    site = _shipped_site(tmp_path)
    assert {f.name for f in fields(RouteView)} == {"route", "path", "theme", "counties", "cover", "gallery"}
    for view in site.routes.values():
        r = view.route
        assert [(s.number, s.stop, s.county, s.nav_url) for s in view.stops] == [
            (n, stop, site.content.counties[stop.county], amap_marker(stop)) for n, stop in enumerate(r.stops, 1)]
        assert view.map == route_map(r.stops)


def test_events_by_month_are_the_events_overlapping_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from pipeline.plan import Month

    site = _shipped_site(tmp_path)
    views = list(site.events.values())
    months = [Month(2026, 1).shift(n) for n in range(36)]
    for m in months:
        assert site.events_in(m) == [v for v in views if v.event.overlaps(m.first_day, m.last_day)], m
    assert site.event_months == sorted({site.month} | {m for m in months if site.events_in(m)})
    assert any(v.event.start_date.month != v.event.end_date.month for v in views)  # the spanning case is covered


def test_relative_links_lead_to_their_target() -> None:
    """From any page of the site (a folder or a file), the link to any site path, resolved as a browser does
    against the page's address, is that path."""
    import itertools
    import posixpath

    folders = ["", "a/", "a/b/", "ab/", "a/b/c/", "b/a/"]
    pages = folders + [f + "x.html" for f in folders]
    targets = folders + [f + "x.html" for f in folders] + ["a", "a/b", "ab"]
    for page, target in itertools.product(pages, targets):
        link = relative_href(page, target)
        folder = page.rpartition("/")[0]  # the page's folder, as a browser takes it from the address
        base = f"/{folder}/" if folder else "/"
        resolved = posixpath.normpath(posixpath.join(base, link)) + ("/" if link.endswith("/") else "")
        assert resolved.replace("//", "/") == "/" + target, (page, target, link)


def test_sitemap_lists_indexed_pages_in_order() -> None:
    import random
    from types import SimpleNamespace
    from xml.etree import ElementTree as ET

    from pipeline.channels.site.feeds import SITEMAP_NS, sitemap
    from pipeline.channels.site.pages import Page

    rng = random.Random(7)
    alphabet = "ab/-_.&<>\"' %咸宁温泉"
    base = "https://example.org/a&b/"
    config = SimpleNamespace(url=lambda path: base + path.lstrip("/"))
    for size in (0, 1, 2, 17):
        pages = [Page("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))), "x.html", "t", "d",
                      indexed=rng.random() < 0.8) for _ in range(size)]
        root = ET.fromstring(sitemap(config, pages))  # type: ignore[arg-type]
        assert root.tag == f"{{{SITEMAP_NS}}}urlset"
        locs = [loc.text for loc in root.iter(f"{{{SITEMAP_NS}}}loc")]
        assert locs == [config.url(p.path) for p in sorted(pages, key=lambda p: p.path) if p.indexed]
