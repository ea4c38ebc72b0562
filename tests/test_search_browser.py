"""Site search in Debian's headless Chromium, through the search page itself, on the shipped content.

The query set is made from the content at test time (so it grows with it): every route title, every stop name
and every event venue must find its own pages in the first five results; visitor words find exactly the pages
whose visible text contains them; strings found nowhere give the empty state; 「更多」 reaches every result.
The site is built and the browser started once; all queries run in one page, through the page's own search
function (window.xnwlSearch), and are read back from the rendered list.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from sitecheck import build_tree, served_files

from pipeline.channels.site.build import PAGE_LIMIT
from pipeline.content.load import load_content

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 375, "height": 812}
VISITOR_WORDS = ["温泉", "泡汤", "杜鹃", "桂花", "滑雪", "村晚", "青砖茶", "羊楼洞", "赤壁古战场", "提琴戏", "九宫山",
                 "万里茶道", "映山红", "G4"]
NOWHERE = ["量子纠缠", "区块链挖矿", "zqxjvw"]


def _require_chromium() -> None:
    fonts = shutil.which("fc-list") and subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True,
                                                        text=True, timeout=30).stdout.strip()
    if not Path(CHROMIUM).is_file() or not fonts:
        message = "需要 Debian 的 chromium 与 fonts-noto-cjk（apt-get install chromium fonts-noto-cjk）"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require_chromium()
    target = tmp_path_factory.mktemp("shipped") / "tree"
    build_tree(target, shipped=True)
    return target


@pytest.fixture(scope="module")
def site(tree: Path) -> Path:
    return tree / "output" / "site"


@pytest.fixture(scope="module")
def page(site: Path):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with served_files(site) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                      locale="zh-CN")
        tab = context.new_page()
        tab.requests = []  # type: ignore[attr-defined]
        tab.on("requestfinished", lambda request: tab.requests.append(request))  # type: ignore[attr-defined]
        tab.goto(url + "search/")
        tab.wait_for_load_state("load")
        tab.base = url  # type: ignore[attr-defined]
        yield tab
        browser.close()


_RUN = """async ([query, all]) => {
  await window.xnwlSearch(query);
  if (all) { while (!document.getElementById('search-more').hidden) await window.xnwlMore(); }
  return {status: document.getElementById('search-status').textContent,
          hrefs: Array.from(document.querySelectorAll('#results li h2 a')).map(a => a.getAttribute('href')),
          excerpts: Array.from(document.querySelectorAll('#results li .excerpt')).map(p => p.textContent),
          marks: Array.from(document.querySelectorAll('#results li .excerpt mark')).map(m => m.textContent),
          empty: !document.getElementById('search-empty').hidden};
}"""


def _search(page, query: str, all_results: bool = False) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return page.evaluate(_RUN, [query, all_results])


def _visible_texts(site: Path) -> dict[str, str]:
    """Each searchable page's visible main text (fields kept apart), by its URL path."""
    texts = {}
    for path in sorted(site.rglob("*.html")):
        soup = BeautifulSoup(path.read_bytes(), "html.parser")
        main = soup.find("main", attrs={"data-search-body": True})
        if main is None:
            continue
        for hidden in main.find_all(lambda tag: tag.name in ("svg", "script", "style") or tag.has_attr("data-search-ignore")
                                    or tag.get("aria-hidden") == "true"):
            hidden.decompose()
        rel = path.relative_to(site).as_posix()
        texts["/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)] = main.get_text("\n")
    return texts


def _own_pages(tree: Path, site: Path) -> dict[str, set[str]]:
    """Each route title, stop name and event venue of the content, with the pages it belongs to."""
    content = load_content(tree)
    content = content[0] if isinstance(content, tuple) else content
    own: dict[str, set[str]] = defaultdict(set)
    for route in content.routes.values():
        path = f"/routes/{route.id}/"
        own[route.title].add(path)
        for stop in route.stops:
            own[stop.name].add(path)
    for event in content.events.values():
        path = f"/events/{event.id}/"
        if (site / path.strip("/") / "index.html").is_file():
            own[event.venue].add(path)
    return own


def _page_titles(site: Path) -> dict[str, str]:
    titles = {}
    for path in site.rglob("index.html"):
        heading = BeautifulSoup(path.read_bytes(), "html.parser").find("h1")
        if heading is not None:
            titles["/" + path.parent.relative_to(site).as_posix().strip(".") + "/"] = heading.get_text(" ", strip=True)
    return {href.replace("//", "/"): title for href, title in titles.items()}


def test_every_route_title_stop_and_venue_finds_its_own_pages_in_the_first_five(page, tree: Path, site: Path) -> None:  # type: ignore[no-untyped-def]
    own = _own_pages(tree, site)
    titles = _page_titles(site)
    assert len(own) > 50  # the shipped content: 30 routes, their stops, the events' venues
    scores, misses = [], []
    for query, pages in sorted(own.items()):
        # pages equally about the query: its own pages, and pages whose title names it (九宫山: four routes
        # stop there, three events carry it in their title); the first results are these, as many as fit in five, and
        # every own page is within them, right after each other
        about = pages | {href for href, title in titles.items() if query in title}
        hrefs = _search(page, query, all_results=len(about) > 5)["hrefs"]
        top = hrefs[:5]
        score = len(set(top) & pages) / min(5, len(pages))
        scores.append(score)
        if not (set(top[:len(about)]) <= about and pages <= set(hrefs[:len(about)])):
            misses.append((query, sorted(pages), top))
    recall = sum(scores) / len(scores)
    print(f"\nrecall@5 over {len(scores)} generated queries: {recall:.1%}")
    assert not misses, misses
    assert recall == 1.0


def test_visitor_words_find_exactly_the_pages_that_contain_them(page, site: Path) -> None:  # type: ignore[no-untyped-def]
    texts = _visible_texts(site)
    for word in VISITOR_WORDS:
        containing = {path for path, text in texts.items() if word.lower() in text.lower()}
        assert containing, word  # the word set is meant to be found
        found = _search(page, word, all_results=True)
        assert set(found["hrefs"]) == containing, (word, sorted(set(found["hrefs"]) ^ containing))
        assert len(found["hrefs"]) == len(set(found["hrefs"]))
        assert found["status"].startswith(f"找到 {len(containing)} 条"), found["status"]
        assert found["marks"] and all(m.lower() == word.lower() for m in found["marks"]), (word, found["marks"][:5])


def test_title_and_place_name_matches_come_first_and_the_current_guide_before_the_archive(page, tree: Path, site: Path) -> None:  # type: ignore[no-untyped-def]
    names: dict[str, set[str]] = defaultdict(set)
    for name, pages in _own_pages(tree, site).items():
        for path in pages:
            names[path].add(name)
    found = _search(page, "温泉", all_results=True)
    titles = page.evaluate("Array.from(document.querySelectorAll('#results li h2 a')).map(a => a.textContent)")
    hrefs = found["hrefs"]
    strong = ["温泉" in title or any("温泉" in name for name in names[href]) for title, href in zip(titles, hrefs)]
    assert strong[0] and strong == sorted(strong, reverse=True), list(zip(titles, strong))  # before mere mentions
    upcoming = [n for n, href in enumerate(hrefs) if href.startswith("/routes/") and "温泉" in titles[n]]
    assert upcoming and upcoming[0] == 0, titles
    guides = [h for h in hrefs if h.startswith("/weekend/20")]
    if "/weekend/2027-04/" in guides:
        assert guides[0] == "/weekend/2027-04/", guides
    found = _search(page, "羊楼洞")
    assert found["hrefs"][:2] and all(h.startswith("/routes/chadao-") for h in found["hrefs"][:2]), found["hrefs"]


def test_excerpts_read_as_chinese(page) -> None:  # type: ignore[no-untyped-def]
    found = _search(page, "泡汤", all_results=True)
    assert found["excerpts"]
    for text in found["excerpts"]:
        assert "泡汤" in text
        assert ". " not in text, text  # fields are joined with Chinese punctuation, not ASCII ". "
    found = _search(page, "赤壁市城区")
    assert not any("1赤壁市城区" in text for text in found["excerpts"]), found["excerpts"]


def test_strings_found_nowhere_give_the_empty_state(page, site: Path) -> None:  # type: ignore[no-untyped-def]
    texts = _visible_texts(site)
    for query in NOWHERE:
        assert not any(query in text for text in texts.values())
        found = _search(page, query)
        assert found["hrefs"] == [] and found["empty"], (query, found)
        assert "没有找到" in found["status"]
    links = page.eval_on_selector_all("#search-empty a", "links => links.map(a => a.getAttribute('href'))")
    assert links == ["../routes/", "../events/"], links


def test_more_reaches_every_result(page) -> None:  # type: ignore[no-untyped-def]
    first = _search(page, "咸宁")
    total = int(first["status"].split()[1])
    assert total > 10 and len(first["hrefs"]) == 10 and "更多" in page.inner_text("#search-more")
    every = _search(page, "咸宁", all_results=True)
    assert len(every["hrefs"]) == total == len(set(every["hrefs"]))


def test_a_query_fetches_little_and_the_page_loads_within_the_budget(page, site: Path) -> None:  # type: ignore[no-untyped-def]
    """In a fresh browser context (nothing cached). Bytes as served (uncompressed) and gzip-compressed, printed
    for the report."""
    base = page.base
    fresh = page.context.browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
    tab = fresh.new_page()
    requests: list = []  # type: ignore[type-arg]
    tab.on("requestfinished", lambda request: requests.append(request))
    tab.goto(base + "search/")
    tab.wait_for_load_state("load")
    loaded = [(r.url, r.response().body()) for r in requests if r.response() and r.response().status == 200]
    requests.clear()
    _search(tab, "温泉")
    fetched = [(r.url, r.response().body()) for r in requests if r.response() and r.response().status == 200]
    everything = list(requests)
    fresh.close()
    first_load = sum(len(body) for _, body in loaded)
    assert all(r.url.startswith(base) for r in everything) and all(url.startswith(base) for url, _ in loaded)
    assert not any("search-index" in url for url, _ in loaded)  # the index is fetched only by a query
    assert sum(len(body) for url, body in loaded if url.endswith((".html", "/", ".css", ".js"))) <= PAGE_LIMIT
    raw = [body for url, body in fetched if "/search-index/" in url]  # (the icon may come meanwhile)
    assert len(raw) == 12  # meta.json, one postings shard (温泉: one bigram), the first ten results
    index = site / "search-index"
    total = sum(p.stat().st_size for p in index.rglob("*") if p.is_file())
    total_gz = sum(len(gzip.compress(p.read_bytes(), 9)) for p in index.rglob("*") if p.is_file())
    print(f"\nsearch page first load: {first_load} bytes ({len(loaded)} requests); query 温泉: {len(raw)} "
          f"requests, {sum(map(len, raw))} bytes ({sum(len(gzip.compress(b, 9)) for b in raw)} gzip); "
          f"index: {total} bytes ({total_gz} gzip) in {sum(1 for p in index.rglob('*') if p.is_file())} files")
    assert sum(map(len, raw)) < 100_000
