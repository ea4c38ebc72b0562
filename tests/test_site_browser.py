"""The site in Debian's headless Chromium, as a phone shows it: layout, search, calendar download.

Screenshots of the home page and a route page are saved to output/screenshots/ for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import icalendar
import pytest

from conftest import FIXTURE, REPO, xnwl
from sitecheck import build_tree
from test_site_xss import PAYLOADS, plant

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO / "output" / "screenshots"
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


class _Quiet(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".ics": "text/calendar",
                      ".js": "text/javascript", ".pagefind": "application/wasm"}

    def log_message(self, format, *args):  # type: ignore[no-untyped-def]
        pass


@contextmanager
def _served(site: Path):  # type: ignore[no-untyped-def]
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    _require_chromium()
    with _served(build_tree(tmp_path_factory.mktemp("shipped") / "tree", shipped=True)) as url:
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


def test_home_and_route_fit_a_phone(phone, base) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for path, shot in (("", "home.png"), ("routes/quanxue-jiugongshan-ski/", "route.png"),
                       ("events/2027-04-xianning-marathon/", None), ("weekend/2027-04/", None)):
        phone.goto(base + path)
        phone.wait_for_load_state("load")
        assert _no_horizontal_scroll(phone), path
        if shot:
            phone.screenshot(path=str(SCREENSHOTS / shot), full_page=True)
    assert all(url.startswith(base) for url in phone.requests), [u for u in phone.requests if not u.startswith(base)]
    assert (SCREENSHOTS / "home.png").stat().st_size > 10_000


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
    with _served(root / "output" / "site") as url:
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
