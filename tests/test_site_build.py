"""The built site, read as a machine would: every page, link, asset, feed and calendar."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import icalendar
import pytest

from conftest import snapshot, xnwl
from sitecheck import BASE_URL, build_tree, html_pages, json_ld, resolve, resource_urls

EXPECTED_EVENTS = {"2027-04-azalea", "2027-04-gala", "2027-06-heritage-day"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tree(tmp_path_factory.mktemp("site") / "tree")


@pytest.fixture(scope="module")
def site(built: Path) -> Path:
    return built


def test_every_page_has_the_basics(site: Path) -> None:
    pages = html_pages(site)
    assert len(pages) > 30
    for page in pages:
        soup = page.soup
        assert soup.html.get("lang") == "zh-CN", page.rel
        assert soup.title and soup.title.string.strip(), page.rel
        viewport = soup.find("meta", attrs={"name": "viewport"})
        assert viewport and "width=device-width" in viewport["content"], page.rel
        canonical = soup.find("link", rel="canonical")
        assert canonical and canonical["href"] == BASE_URL + page.url_path, page.rel
        assert len(soup.find_all("h1")) == 1, page.rel
        assert soup.find("a", class_="skip", href="#main") and soup.find(id="main"), page.rel
        assert soup.find("meta", property="og:title") and soup.find("meta", property="og:url"), page.rel
        for img in soup.find_all("img"):
            assert img.get("alt"), (page.rel, img)
            assert img.get("width") and img.get("height") and img.get("srcset"), (page.rel, img)
            assert img.get("loading") == "lazy" or img.get("fetchpriority") == "high", (page.rel, img)


def test_headings_never_skip_a_level(site: Path) -> None:
    for page in html_pages(site):
        levels = [int(h.name[1]) for h in page.soup.find_all(re.compile(r"^h[1-6]$"))]
        assert levels[0] == 1, page.rel
        for before, after in zip(levels, levels[1:]):
            assert after <= before + 1, (page.rel, levels)


def test_no_resource_comes_from_another_host(site: Path) -> None:
    for page in html_pages(site):
        for url in resource_urls(page):
            assert not re.match(r"^([a-z][a-z0-9+.-]*:)?//", url, re.I), (page.rel, url)
            assert not url.startswith(("data:", "javascript:")) or url == "", (page.rel, url)
    css = next((site / "assets").glob("site.*.css")).read_text(encoding="utf-8")
    assert "url(" not in css and "@import" not in css and "@font-face" not in css


def test_internal_links_and_assets_resolve(site: Path) -> None:
    checked = 0
    for page in html_pages(site):
        if page.rel == "404.html":
            continue  # served at any address: its links start from the site root (checked below)
        links = [a["href"] for a in page.soup.find_all("a", href=True)] + resource_urls(page)
        for link in links:
            target = resolve(site, page, link)
            if target is not None:
                assert target.is_file(), f"{page.rel}: {link} -> {target}"
                checked += 1
    assert checked > 500
    not_found = next(p for p in html_pages(site) if p.rel == "404.html")
    for a in not_found.soup.find_all("a", href=True):
        assert a["href"].startswith(("/", "#")), a["href"]
        assert resolve(site, not_found, a["href"]).is_file(), a["href"]


def test_assets_are_fingerprinted(site: Path) -> None:
    for path in (site / "assets").rglob("*"):
        if path.is_file():
            assert re.search(r"\.[0-9a-f]{10}\.[a-z]+$", path.name), path.name


def test_html_and_css_of_every_page_stay_under_30_kb(site: Path) -> None:
    css = next((site / "assets").glob("site.*.css")).stat().st_size
    for page in html_pages(site):
        assert len(page.raw) + css < 30 * 1024, page.rel


def test_json_ld_types(site: Path) -> None:
    by_rel = {p.rel: p for p in html_pages(site)}
    for page in by_rel.values():
        for data in json_ld(page):
            assert data["@context"] == "https://schema.org"
    trip = json_ld(by_rel["routes/chibi-sanguo/index.html"])
    types = [d["@type"] for d in trip]
    assert types == ["TouristTrip", "BreadcrumbList"]
    assert trip[0]["itinerary"]["itemListElement"][0]["item"]["geo"] == {
        "@type": "GeoCoordinates", "longitude": 113.64, "latitude": 29.86}
    assert "geo" not in trip[0]["itinerary"]["itemListElement"][1]["item"]
    assert [c["name"] for c in trip[1]["itemListElement"]] == ["首页", "精品线路", "三国文化", "赤壁怀古一日行"]
    event = json_ld(by_rel["events/2027-04-gala/index.html"])
    assert [d["@type"] for d in event] == ["Event", "BreadcrumbList"]
    assert event[0]["startDate"] == "2027-03-28T19:30:00+08:00"
    assert event[0]["eventStatus"] == "https://schema.org/EventScheduled"
    tentative = json_ld(by_rel["events/2027-04-azalea/index.html"])[0]
    assert tentative["startDate"] == "2027-04-10" and "eventStatus" not in tentative
    assert json_ld(by_rel["index.html"])[0]["@type"] == "WebSite"


def test_sitemap_lists_every_page(site: Path) -> None:
    root = ET.parse(site / "sitemap.xml").getroot()
    listed = {loc.text for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    pages = {BASE_URL + p.url_path for p in html_pages(site) if p.rel != "404.html"}
    assert listed == pages
    assert f"Sitemap: {BASE_URL}sitemap.xml" in (site / "robots.txt").read_text()


def test_atom_feed_parses(site: Path) -> None:
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.feed.title == "咸宁文旅·周末好去处"
    links = {e.link for e in feed.entries}
    assert BASE_URL + "weekend/2027-04/" in links and BASE_URL + "weekend/2026-10/" in links
    assert BASE_URL + "events/2027-04-azalea/" in links
    assert BASE_URL + "events/2027-06-heritage-day/" not in links  # not published before its month
    assert all(e.updated_parsed for e in feed.entries)


def test_events_ics_holds_every_event(site: Path) -> None:
    cal = icalendar.Calendar.from_ical((site / "events.ics").read_bytes())
    events = {str(c["uid"]): c for c in cal.walk("VEVENT")}
    assert set(events) == {f"{i}@xnwl.example.com" for i in EXPECTED_EVENTS}
    assert [str(t["tzid"]) for t in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    azalea = events["2027-04-azalea@xnwl.example.com"]
    assert azalea.decoded("dtstart").isoformat() == "2027-04-10"
    assert azalea.decoded("dtend").isoformat() == "2027-04-26"  # exclusive
    assert str(azalea["status"]) == "TENTATIVE" and str(azalea["summary"]).endswith("（日期待定）")
    gala = events["2027-04-gala@xnwl.example.com"]
    assert gala["dtstart"].params["TZID"] == "Asia/Shanghai"
    assert gala.decoded("dtstart").isoformat() == "2027-03-28T19:30:00+08:00"
    assert str(gala["status"]) == "CONFIRMED"
    assert gala.decoded("dtstamp").isoformat() == "2026-11-01T00:00:00+00:00"  # from `verified`, not the clock
    raw = (site / "events.ics").read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and b"\r\nEND:VCALENDAR\r\n" in raw


def test_each_event_has_its_own_calendar_file_and_link(site: Path) -> None:
    for event_id in EXPECTED_EVENTS:
        page = next(p for p in html_pages(site) if p.rel == f"events/{event_id}/index.html")
        link = page.soup.find("a", string="添加到日历")
        assert link is not None and link.has_attr("download")
        target = resolve(site, page, link["href"])
        cal = icalendar.Calendar.from_ical(target.read_bytes())
        assert [str(e["uid"]) for e in cal.walk("VEVENT")] == [f"{event_id}@xnwl.example.com"]


def test_route_page_shows_stops_map_and_navigation(site: Path) -> None:
    page = next(p for p in html_pages(site) if p.rel == "routes/chibi-sanguo/index.html")
    stops = page.soup.select("ol.timeline > li")
    assert [li.h3.get_text(strip=True) for li in stops] == ["1三国赤壁古战场", "2赤壁城区", "3陆水湖"]
    assert "约3小时" in stops[0].get_text()
    navs = page.soup.select("a.navi")
    assert [a["href"] for a in navs] == [
        "https://uri.amap.com/marker?position=113.640000,29.860000&name=%E4%B8%89%E5%9B%BD%E8%B5%A4%E5%A3%81%E5%8F%A4%E6%88%98%E5%9C%BA"
        "&coordinate=gaode&callnative=1"]
    # one stop with coordinates: never invent the others', draw the order instead
    svg = page.soup.select_one("figure.map svg")
    assert svg is not None and len(svg.find_all("circle")) == 3
    assert "站点顺序示意图" in page.soup.select_one("figure.map figcaption").get_text()
    text = page.soup.get_text()
    assert "武汉站乘京广高铁至赤壁北站约半小时" in text and "3月、4月、5月、10月" in text


def test_home_shows_month_guide_events_and_themes(site: Path) -> None:
    page = next(p for p in html_pages(site) if p.rel == "index.html")
    assert page.soup.h1.get_text() == "四月·山花烂漫"
    assert len(page.soup.select("ul.themes li")) == 8
    assert page.soup.select("ul.events li")
    assert page.soup.find("a", href="weekend/2027-04/")


def test_rebuild_follows_edits_and_removes_deleted_pages(built: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "tree"
    shutil.copytree(built.parent.parent, root)
    site = root / "output" / "site"
    before = snapshot(site)

    again = xnwl("site", "build", "--month", "2027-04", root=root)
    assert again.code == 0 and "网站已生成" in again.out, again.text
    assert snapshot(site) == before  # the same inputs give the batch's site, byte for byte

    route = root / "routes" / "tongshan-cool.md"
    route.write_text(route.read_text(encoding="utf-8").replace("stay:", "stay: 改过的", 1), encoding="utf-8")
    (root / "routes" / "chibi-sanguo.md").unlink()
    for guide in (root / "content" / "weekend").glob("*.md"):
        guide.write_text(re.sub(r"  - route: chibi-sanguo\n    reason: .*\n", "", guide.read_text(encoding="utf-8")),
                         encoding="utf-8")
    for event in (root / "content" / "events").glob("*.md"):
        event.write_text(event.read_text(encoding="utf-8").replace("routes: [chibi-sanguo]", "routes: []"),
                         encoding="utf-8")
    run = xnwl("site", "build", "--month", "2027-04", "--no-search", root=root)
    assert run.code == 0, run.text
    assert not (site / "routes/chibi-sanguo").exists()
    assert "改过的" in (site / "routes/tongshan-cool/index.html").read_text(encoding="utf-8")
    assert not (site / "search-index").exists()
    assert (site / "counties/jiayu/index.html").read_bytes() == before["counties/jiayu/index.html"]
    assert not list((root / "output").glob(".staging/*"))


def test_failed_site_build_changes_nothing(built: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "tree"
    shutil.copytree(built.parent.parent, root)
    before = snapshot(root / "output")
    body = "长" * 12000
    route = root / "routes" / "tongshan-cool.md"
    route.write_text(route.read_text(encoding="utf-8") + body, encoding="utf-8")
    for command in (["site", "build"], ["batch", "--month", "2027-04"]):
        run = xnwl(*command, root=root)
        assert run.code == 1 and "Traceback" not in run.text, run.text
        assert "routes/tongshan-cool/" in run.err and "30 KB" in run.err
    assert snapshot(root / "output") == before


def test_same_input_gives_identical_site(built: Path, tmp_path: Path) -> None:
    other = build_tree(tmp_path / "again")
    assert snapshot(other) == snapshot(built)


def test_the_search_index_is_the_same_on_another_kind_of_file_system(built: Path) -> None:
    """The index numbers its pages in ranking order, never in the order a file system lists names in (a hash of
    each name on ext4, the order they were made on tmpfs): its files are the same on either."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or Path(tempfile.gettempdir()).resolve().is_relative_to(shm):
        if os.environ.get("CI") == "true":
            pytest.fail("CI 需要 /dev/shm（tmpfs）与另一种文件系统上的临时目录，用来对比搜索索引")
        pytest.skip("没有 /dev/shm（tmpfs）与另一种文件系统上的临时目录，无法对比")
    with tempfile.TemporaryDirectory(dir=shm) as folder:
        other = build_tree(Path(folder) / "tree")
        index = snapshot(built / "search-index")
        assert "search-index/meta.json" not in index and "meta.json" in index
        assert snapshot(other / "search-index") == index


def test_site_build_without_guide_is_a_message(built: Path) -> None:
    run = xnwl("site", "build", "--month", "2027-09", root=built.parent.parent)
    assert run.code == 1 and "content/weekend/09.md" in run.err and "Traceback" not in run.text


def test_site_help_is_chinese() -> None:
    run = xnwl("site", "build", "--help")
    assert run.code == 0 and "--no-search" in run.out and "用法" in run.out


def test_poster_covers_are_share_images_and_never_heroes(built: Path, tmp_path: Path) -> None:
    """A poster cover has its title drawn in: it is the page's og:image, while the hero shows the route's own
    photo (from `images:`) or a drawn scene, so the title is never shown twice."""
    import shutil

    from PIL import Image

    root = tmp_path / "tree"
    shutil.copytree(built.parent.parent, root)
    posters = root / "output" / "2027-04" / "posters"
    shutil.rmtree(posters, ignore_errors=True)  # only the covers below, whatever the batch made
    posters.mkdir(parents=True)
    for slug in ("route-chibi-sanguo", "route-tongshan-cool", "guide-2027-04"):
        Image.new("RGB", (900, 383), (40, 90, 120)).save(posters / f"{slug}-cover-900x383.jpg", quality=85)
    run = xnwl("site", "build", "--no-search", root=root)
    assert run.code == 0, run.text
    site = root / "output" / "site"
    pages = {p.rel: p for p in html_pages(site)}
    route = pages["routes/chibi-sanguo/index.html"]
    og = route.soup.find("meta", property="og:image")["content"]
    assert og.startswith(BASE_URL + "assets/img/route-chibi-sanguo-900.") and og.endswith(".jpg")
    hero = route.soup.select_one("header.hero img")  # the route's own photo, with its srcset
    assert hero is not None and hero["alt"] == "江边的石壁" and hero["fetchpriority"] == "high"
    assert "route-chibi-sanguo-1-" in hero["src"]
    for item in hero["srcset"].split(","):
        assert resolve(site, route, item.split()[0]).is_file()
    for rel in ("index.html", "weekend/2027-04/index.html", "routes/tongshan-cool/index.html"):
        page = pages[rel]
        assert page.soup.find("meta", property="og:image"), rel  # the cover is still the share image
        assert page.soup.select_one("header.hero img") is None, rel
        assert page.soup.select_one("header.hero .scene"), rel
    covers = {re.sub(r"-\d+\.[0-9a-f]{10}\.jpg$", "", og.rsplit("/", 1)[1])
              for page in pages.values() for og in [m["content"] for m in page.soup.find_all("meta", property="og:image")]}
    assert {"route-chibi-sanguo", "route-tongshan-cool", "guide-2027-04"} <= covers
    for page in pages.values():  # no hero or card anywhere shows a cover
        for img in page.soup.select("header.hero img, .thumb img"):
            for item in [img["src"]] + [i.split()[0] for i in img["srcset"].split(",")]:
                name = item.rsplit("/", 1)[1]
                assert re.sub(r"-\d+\.[0-9a-f]{10}\.jpg$", "", name) not in covers, (page.rel, name)


def _card_style(li) -> tuple:  # type: ignore[no-untyped-def]
    """What a card is made of: its thumbnail's kind, heading level, chip, paragraphs."""
    thumb = li.select_one(".thumb")
    kind = None if thumb is None else "photo" if thumb.find("img") else "scene" if thumb.select_one(".scene") else "other"
    marks = li.select(".mark")  # the old placeholders with a theme name or a date drawn in
    heading = li.find(re.compile(r"^h[2-6]$"))
    return (kind, heading.name if heading else None, bool(li.select_one(".meta .chip")), len(li.find_all("p")), len(marks))


def test_cards_in_one_list_share_one_style(site: Path) -> None:
    lists = 0
    for page in html_pages(site):
        for ul in page.soup.select("ul.cards"):
            styles = {_card_style(li) for li in ul.find_all("li", recursive=False)}
            assert len(styles) == 1, (page.rel, styles)
            kind, _, chip, _, marks = next(iter(styles))
            assert kind in ("photo", "scene") and chip and marks == 0, (page.rel, styles)
            lists += 1
    assert lists >= 5


def test_cards_show_photos_only_when_every_item_has_one(site: Path) -> None:
    """chibi-sanguo has a photo and tongshan-cool none: a list holding both shows both as drawn scenes."""
    theme_lists = [ul for page in html_pages(site) for ul in page.soup.select("ul.cards")
                   if ul.select_one('a[href$="chibi-sanguo/"]') and len(ul.find_all("li", recursive=False)) > 1]
    mixed = [ul for ul in theme_lists if ul.select_one('a[href$="tongshan-cool/"]')]
    for ul in mixed:
        assert not ul.select(".thumb img") and len(ul.select(".thumb .scene")) == len(ul.find_all("li", recursive=False))


@pytest.mark.parametrize("template, edit, named", [
    ("base.html", ("<main", "{{ 1|nosuchfilter }}<main"), "No filter named 'nosuchfilter'"),
    ("route.html", ("{% block main %}", "{% block main %}{{ page.nosuchfield }}"), "nosuchfield"),
])
def test_broken_site_template_is_a_message_and_changes_nothing(built: Path, tmp_path: Path, template: str,
                                                               edit: tuple[str, str], named: str) -> None:
    """An office's own template with a mistake: the file and line are named once (not once per page), no
    traceback, and the published output stays as it was."""
    import shutil

    from conftest import REPO

    root = tmp_path / "tree"
    shutil.copytree(built.parent.parent, root)
    before = snapshot(root / "output")
    (root / "templates" / "site").mkdir(parents=True)
    source = (REPO / "templates" / "site" / template).read_text(encoding="utf-8")
    assert edit[0] in source
    (root / "templates" / "site" / template).write_text(source.replace(edit[0], edit[1], 1), encoding="utf-8")
    for command in (["site", "build"], ["batch", "--month", "2027-04"]):
        run = xnwl(*command, root=root)
        assert run.code == 1 and "Traceback" not in run.text, run.text
        assert re.search(rf"网站模板出错（\S*templates/site/{template} 第 \d+ 行）", run.err), run.err
        assert named in run.err and run.err.count("网站模板出错") == 1, run.err
    assert snapshot(root / "output") == before
