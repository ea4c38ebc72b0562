"""Small pure parts of the site: the route map, relative links, Chinese date wording, Markdown sanitising."""

from __future__ import annotations

from datetime import date, time

from pipeline.channels.site.render import relative_href
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
    assert m.scale_km and 0 < m.scale_px < m.width


def test_map_without_enough_coordinates_draws_the_order() -> None:
    m = route_map((_stop("甲", (114.32, 29.84)), _stop("乙"), _stop("丙")))
    assert m.kind == "order" and [p.name for p in m.points] == ["甲", "乙", "丙"]
    assert m.scale_km is None


def test_map_labels_do_not_overlap_for_close_stops() -> None:
    m = route_map((_stop("咸宁温泉", (114.320, 29.840)), _stop("太乙洞", (114.322, 29.842)),
                   _stop("星星竹海", (114.40, 29.80))))
    boxes = []
    for p in m.points:
        width = len(p.name) * 13 + 18
        left = p.label_x if p.anchor == "start" else p.label_x - width if p.anchor == "end" else p.label_x - width / 2
        boxes.append((left, p.label_y - 13, left + width, p.label_y + 3))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


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
        ("routes/x/", "routes/x", "."),
        ("routes/x/2/", "routes/x", ".."),
        ("routes/x/", "routes", ".."),
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
    return SiteData(load_config(REPO), content, Month(2027, 4), {}, {}, Assets(tmp_path))


def test_route_views_work_out_stops_and_map_from_the_route(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A route view holds only what it is made from (a page's fingerprint describes those): its stops and map are
    exactly what the route's stops and the content's counties give."""
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


def test_relative_links_equal_the_general_answer() -> None:
    """relative_href's short way (comparing strings) gives exactly general_href's answer for every kind of path:
    files named like a folder, '.' and '..' parts, leading and doubled '/', links off the site."""
    import itertools
    import random

    from pipeline.channels.site.render import general_href

    parts = ["", ".", "..", "a", "b", "ab", "a.b", "#x", "http:", "mailto:x"]
    paths = {"", "/", "404.html", "a/404.html"}
    for n in range(1, 4):
        for combo in itertools.product(parts, repeat=n):
            paths.add("/".join(combo))
            paths.add("/".join(combo) + "/")
    rng = random.Random(3)
    ordered = sorted(paths)
    pages = [p for p in ordered if "#" not in p and ":" not in p]
    for page in pages:
        for target in rng.sample(ordered, 60) + ["", "a/", "a/b/", "a", "a/b", "b/a/"]:
            assert relative_href(page, target) == general_href(page, target), (page, target)


def _sitemap_by_elementtree(locs: list[str]) -> bytes:
    from xml.etree import ElementTree as ET

    from pipeline.channels.site.feeds import SITEMAP_NS

    ET.register_namespace("", SITEMAP_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for loc in locs:
        url = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = loc
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def test_sitemap_is_what_elementtree_writes() -> None:
    import random
    from types import SimpleNamespace

    from pipeline.channels.site.feeds import sitemap
    from pipeline.channels.site.pages import Page

    rng = random.Random(7)
    alphabet = "ab/-_.&<>\"' %咸宁温泉"
    base = "https://example.org/a&b/"
    config = SimpleNamespace(url=lambda path: base + path.lstrip("/"))
    for size in (0, 1, 2, 17):
        pages = [Page("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))), "x.html", "t", "d",
                      indexed=rng.random() < 0.8) for _ in range(size)]
        expected = _sitemap_by_elementtree([config.url(p.path) for p in sorted(pages, key=lambda p: p.path) if p.indexed])
        assert sitemap(config, pages) == expected  # type: ignore[arg-type]


def test_compiled_templates_survive_the_cache_folder_being_deleted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """state/cache/ may be deleted while a long-running process keeps its environment (scheduler, serve)."""
    import shutil

    from jinja2 import DictLoader, Environment

    from pipeline.templates import bytecode_cache, bytecode_folder

    cache = bytecode_cache(tmp_path, "test")
    env = Environment(loader=DictLoader({"a.html": "{{ 1 + 1 }}", "b.html": "{{ 2 + 2 }}"}), bytecode_cache=cache)
    assert env.get_template("a.html").render() == "2"
    shutil.rmtree(tmp_path / "state")
    assert env.get_template("b.html").render() == "4"
    assert any(bytecode_folder(tmp_path, "test").iterdir())
