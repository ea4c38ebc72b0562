"""The site in Debian's headless Chromium, as a phone shows it: layout, search, calendar download.

Layout at 375 px: no sideways scroll, numbers with their units never split across lines, heroes without a second
title, one card style per list, route-map labels clear (by the browser's own text boxes) and maps to scale.
Screenshots of the home page, a route page and a map are saved to a temporary folder for a person to look at
(its path is printed; set XNWL_SCREENSHOTS to choose the folder).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import icalendar
import pytest

from conftest import FIXTURE, REPO, xnwl
from sitecheck import build_tree, served_files
from test_site_xss import PAYLOADS, plant

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 375, "height": 812}


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30)
    return bool(listed.stdout.strip())


def _require_chromium() -> None:
    if not Path(CHROMIUM).is_file() or not _has_cjk_font():
        message = "需要 Debian 的 chromium 与 fonts-noto-cjk（apt-get install chromium fonts-noto-cjk）"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    _require_chromium()
    with served_files(build_tree(tmp_path_factory.mktemp("shipped") / "tree", shipped=True)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(base):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture
def phone(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    page.requests = []  # type: ignore[attr-defined]
    page.on("request", lambda request: page.requests.append(request.url))  # type: ignore[attr-defined]
    yield page
    context.close()


def _no_horizontal_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: never into the project (a test writes only inside temporary folders)."""
    chosen = os.environ.get("XNWL_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder


def test_home_and_route_fit_a_phone(phone, base, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    for path, shot in (("", "home.png"), ("routes/quanxue-jiugongshan-ski/", "route.png"),
                       ("events/2027-04-xianning-marathon/", None), ("weekend/2027-04/", None)):
        phone.goto(base + path)
        phone.wait_for_load_state("load")
        assert _no_horizontal_scroll(phone), path
        if shot:
            phone.screenshot(path=str(screenshots / shot), full_page=True)
    assert all(url.startswith(base) for url in phone.requests), [u for u in phone.requests if not u.startswith(base)]
    assert (screenshots / "home.png").stat().st_size > 10_000


def test_search_finds_hot_springs(phone, base) -> None:  # type: ignore[no-untyped-def]
    phone.goto(base + "search/")
    phone.fill("#q", "温泉")
    phone.wait_for_selector("#results li a", timeout=15_000)
    hrefs = phone.eval_on_selector_all("#results li a", "links => links.map(a => a.getAttribute('href'))")
    assert "/routes/quanxue-xianning-hotspring/" in hrefs, hrefs
    assert any(h.startswith("/events/") and "hotspring" in h for h in hrefs), hrefs
    assert "找到" in phone.inner_text("#search-status")
    assert phone.locator("#results mark").count() > 0
    assert all(url.startswith(base) for url in phone.requests)
    phone.click("#results li a >> nth=0")
    phone.wait_for_load_state("load")
    assert phone.url.startswith(base) and phone.title()


def test_add_to_calendar_downloads_a_valid_ics(phone, base, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    phone.goto(base + "events/2027-04-xianning-marathon/")
    with phone.expect_download() as info:
        phone.click("text=添加到日历")
    download = info.value
    assert download.suggested_filename == "2027-04-xianning-marathon.ics"
    target = tmp_path / "event.ics"
    download.save_as(target)
    cal = icalendar.Calendar.from_ical(target.read_bytes())
    events = cal.walk("VEVENT")
    assert [str(e["uid"]) for e in events] == ["2027-04-xianning-marathon@xnwl.example.com"]
    assert str(events[0]["status"]) == "TENTATIVE"


def test_search_results_show_planted_markup_as_text(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "tree"
    shutil.copytree(FIXTURE, root)
    plant(root, PAYLOADS["onerror"])
    assert xnwl("site", "build", "--month", "2027-04", root=root).code == 0  # the payload is too long for WeChat
    with served_files(root / "output" / "site") as url:
        page = browser.new_page(viewport=PHONE)
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(url + "search/?q=onerror")
        page.wait_for_selector("#results li a", timeout=15_000)
        page.wait_for_timeout(300)  # give a broken image's onerror the chance to fire
        assert PAYLOADS["onerror"] in page.inner_text("#results")
        assert page.locator("#results img").count() == 0
        page.goto(url + "routes/chibi-sanguo/")
        page.wait_for_timeout(300)
        assert page.locator("main img:not([srcset])").count() == 0
        assert dialogs == []
        page.close()


# --- Layout on a phone (issue 23): words kept whole, heroes without a second title, one card style, clear maps ---

# Numbers with their units and the words editors saw split (「11／月」「日期／待定」「停／留」): never across lines.
KEEP_TOGETHER = r"\d+(?:[.:]\d+)?(?:月\d+日|\s?(?:年|月|日|天|公里|米|小时|条|项|处|站))|日期待定|停留|一日游"
SPLIT_WORDS_JS = r"""
(pattern) => {
  const re = new RegExp(pattern, 'g');
  const split = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('script,style,title,svg,[hidden]') || el.getClientRects().length === 0) continue;
    for (const m of node.data.matchAll(re)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const bottoms = [...range.getClientRects()].filter(r => r.width > 0).map(r => r.bottom);
      if (bottoms.length > 1 && Math.max(...bottoms) - Math.min(...bottoms) > 6) split.push(m[0] + ' in <' + el.tagName.toLowerCase() + ' class="' + el.className + '">');
    }
  }
  return split;
}
"""

MAP_JS = r"""
() => {
  const svg = document.querySelector('figure.map svg');
  if (!svg) return null;
  const [, , w, h] = svg.getAttribute('viewBox').split(' ').map(Number);
  const labels = [...svg.querySelectorAll('text.m-label')].map(t => { const b = t.getBBox();
    return {name: t.textContent, box: [b.x, b.y, b.x + b.width, b.y + b.height]}; });
  const pts = svg.querySelector('polyline').getAttribute('points').trim().split(/\s+/).map(p => p.split(',').map(Number));
  const lines = [];
  for (let i = 1; i < pts.length; i++) lines.push([...pts[i - 1], ...pts[i]]);
  svg.querySelectorAll('line.m-leader').forEach(l => lines.push(['x1', 'y1', 'x2', 'y2'].map(a => +l.getAttribute(a))));
  const circles = [...svg.querySelectorAll('circle')].map(c => [+c.getAttribute('cx'), +c.getAttribute('cy'), +c.getAttribute('r')]);
  const marks = [...svg.querySelectorAll('text.m-small, path.m-ink, path.m-scale')].map(e => { const b = e.getBBox();
    return [b.x, b.y, b.x + b.width, b.y + b.height]; });
  return {w, h, labels, lines, circles, marks, kind: svg.closest('figure').querySelector('figcaption').textContent};
}
"""


def _overlap(a, b, gap: float = 0.0) -> bool:  # type: ignore[no-untyped-def]
    return a[0] - gap < b[2] and b[0] - gap < a[2] and a[1] - gap < b[3] and b[1] - gap < a[3]


def _check_map(m: dict) -> list[str]:
    """Problems of a map as the browser laid it out (label boxes from getBBox, in the SVG's own units)."""
    problems = []
    for n, label in enumerate(m["labels"]):
        box = label["box"]
        if box[0] < 2 or box[1] < 2 or box[2] > m["w"] - 2 or box[3] > m["h"] - 2:
            problems.append(f"{label['name']} touches the edge {box}")
        for other in m["labels"][n + 1:]:
            if _overlap(box, other["box"]):
                problems.append(f"{label['name']} overlaps {other['name']}")
        for mark in m["marks"]:
            if _overlap(box, mark):
                problems.append(f"{label['name']} overlaps the north arrow or scale bar")
        for cx, cy, r in m["circles"]:
            nx, ny = min(max(cx, box[0]), box[2]), min(max(cy, box[1]), box[3])
            if (nx - cx) ** 2 + (ny - cy) ** 2 < r * r:
                problems.append(f"{label['name']} covers a stop")
        for x1, y1, x2, y2 in m["lines"]:
            steps = max(1, int(((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5))
            if any(box[0] < x1 + (x2 - x1) * i / steps < box[2] and box[1] < y1 + (y2 - y1) * i / steps < box[3]
                   for i in range(steps + 1)):
                problems.append(f"a line runs through {label['name']}")
                break
    return problems


def _route_paths() -> list[str]:
    return sorted(f"routes/{p.stem}/" for p in (REPO / "routes").glob("*.md"))


def _event_paths() -> list[str]:
    return sorted(f"events/{p.stem}/" for p in (REPO / "content" / "events").glob("*.md"))


def test_phone_pages_keep_words_whole_and_fit(phone, base) -> None:  # type: ignore[no-untyped-def]
    paths = ["", "routes/", "events/", "events/2027-04/", "weekend/2027-04/", "themes/chadao/",
             "counties/chibi/"] + _event_paths() + _route_paths()
    problems = {}
    for path in paths:
        phone.goto(base + path)
        phone.wait_for_load_state("load")
        found = phone.evaluate(SPLIT_WORDS_JS, KEEP_TOGETHER)
        if found or not _no_horizontal_scroll(phone):
            problems[path] = found or "scrolls sideways"
    assert problems == {}


def test_checker_sees_a_split_word(phone, base) -> None:  # type: ignore[no-untyped-def]
    """The split check is not blind: a month list squeezed into a narrow box is reported."""
    phone.goto(base + "routes/sanguo-chibi-guzhanchang/")
    phone.evaluate("""() => { const p = document.createElement('p'); p.style.width = '3.2em';
        p.textContent = '3月、4月、11月、日期待定'; document.querySelector('main').prepend(p); }""")
    assert phone.evaluate(SPLIT_WORDS_JS, KEEP_TOGETHER)


def test_heroes_show_no_second_title(phone, base) -> None:  # type: ignore[no-untyped-def]
    """A hero shows a drawn scene (no text in it) or a photo, never the poster cover with the title drawn in."""
    for path in ["", "weekend/2027-04/", "events/2027-04/", "themes/sanguo/",
                 ] + _event_paths() + _route_paths():
        phone.goto(base + path)
        hero = phone.evaluate("""() => { const h = document.querySelector('header.hero');
            const img = h.querySelector('img'), scene = h.querySelector('.scene');
            const og = document.querySelector('meta[property="og:image"]');
            return {img: img && img.currentSrc, scene: scene && scene.textContent, og: og && og.content,
                    sceneHeight: scene ? scene.getBoundingClientRect().height : 0}; }""")
        stem = (lambda url: re.sub(r"-\d+\.[0-9a-f]{10}\.jpg$", "", url.rsplit("/", 1)[1]) if url else None)
        assert hero["img"] is None or stem(hero["img"]) != stem(hero["og"]), path
        if hero["img"] is None:
            assert hero["scene"] == "" and hero["sceneHeight"] > 80, (path, hero)


def test_cards_in_a_list_look_alike(phone, base) -> None:  # type: ignore[no-untyped-def]
    for path in ("", "weekend/2027-04/", "themes/xiangcun/", "counties/xianan/"):
        phone.goto(base + path)
        lists = phone.evaluate("""() => [...document.querySelectorAll('ul.cards')].map(ul => [...ul.children].map(li => {
            const t = li.querySelector('.thumb'), r = t.getBoundingClientRect(), art = t.firstElementChild;
            return [Math.round(r.height), art.tagName, art.className.replace(/ s-[a-z]+/, ''), art.textContent.trim(),
                    getComputedStyle(li).backgroundColor, li.querySelector('.chip') !== null]; }))""")
        assert lists, path
        for cards in lists:
            assert len({json.dumps(c) for c in cards}) == 1, (path, cards)
            assert cards[0][3] == "", (path, cards[0])  # nothing written in the picture


def _stops(route_file: Path) -> list[dict]:
    import yaml

    return yaml.safe_load(route_file.read_text(encoding="utf-8").split("---")[1])["stops"]


def _maps_problems(phone, base: str, root: Path) -> tuple[dict, int]:  # type: ignore[no-untyped-def]
    """Every route page's map checked as the browser laid it out; and how many are drawn by coordinates."""
    problems = {}
    geo = 0
    for route_file in sorted((root / "routes").glob("*.md")):
        path = f"routes/{route_file.stem}/"
        phone.goto(base + path)
        m = phone.evaluate(MAP_JS)
        assert m is not None, path
        found = _check_map(m)
        if "同一比例尺" in m["kind"]:
            geo += 1
            found += _scale_problems([s["lnglat"] for s in _stops(route_file) if s.get("lnglat")], m)
        if found:
            problems[path] = found
    return problems, geo


def test_route_maps_are_clear_at_phone_width(phone, base, screenshots: Path) -> None:  # type: ignore[no-untyped-def]
    problems, geo = _maps_problems(phone, base, REPO)
    assert problems == {}
    # every route with two or more stops with coordinates is drawn by them
    assert geo == sum(1 for f in (REPO / "routes").glob("*.md") if len([s for s in _stops(f) if s.get("lnglat")]) >= 2)
    phone.goto(base + "routes/sanguo-chibi-guzhanchang/")
    phone.locator("figure.map").screenshot(path=str(screenshots / "map.png"))


# Coordinates near each stop's county seat, a few km apart: a test tree where every stop has them.
_SEATS = {"xianan": (114.32, 29.84), "chibi": (113.90, 29.72), "jiayu": (113.92, 29.97),
          "tongcheng": (113.81, 29.25), "chongyang": (114.04, 29.55), "tongshan": (114.49, 29.60)}


def test_maps_with_every_stop_placed_are_clear_and_to_scale(phone, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import yaml

    root = tmp_path / "tree"
    shutil.copytree(FIXTURE, root)
    for route_file in sorted((root / "routes").glob("*.md")):
        _, front, body = route_file.read_text(encoding="utf-8").split("---", 2)
        data = yaml.safe_load(front)
        for n, stop in enumerate(data["stops"]):
            lng, lat = _SEATS[stop["county"]]
            stop.setdefault("lnglat", [round(lng + 0.03 * n - 0.02 * (n % 2), 3), round(lat + 0.025 * (n % 3), 3)])
        route_file.write_text("---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---" + body,
                              encoding="utf-8")
    run = xnwl("site", "build", "--month", "2027-04", "--no-search", root=root)
    assert run.code == 0, run.text
    with served_files(root / "output" / "site") as url:
        problems, geo = _maps_problems(phone, url, root)
    assert problems == {}
    assert geo == len(list((root / "routes").glob("*.md")))


def _scale_problems(lnglats: list[list[float]], m: dict) -> list[str]:
    """A geo map drawn to scale: for every pair of stops, distance in the SVG / great-circle distance is one
    number (the stops with coordinates, in the route's order, are the map's circles)."""
    import math

    circles = m["circles"]
    if len(circles) != len(lnglats):
        return [f"{len(circles)} circles for {len(lnglats)} stops with coordinates"]

    def km(a, b) -> float:  # type: ignore[no-untyped-def]
        lng1, lat1, lng2, lat2 = map(math.radians, (*a, *b))
        h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
        return 2 * 6371.0 * math.asin(math.sqrt(h))

    pairs = [(math.hypot(circles[i][0] - circles[j][0], circles[i][1] - circles[j][1]), km(lnglats[i], lnglats[j]))
             for i in range(len(circles)) for j in range(i + 1, len(circles))]
    scale = max(pairs, key=lambda pair: pair[1])[0] / max(pair[1] for pair in pairs)  # px per km, from the longest
    # within 1 %, and the SVG's rounding of each position to 0.1 px
    return [f"{px:.1f} px for {ground:.2f} km at {scale:.2f} px/km" for px, ground in pairs
            if abs(px - scale * ground) > 0.01 * px + 0.15]
