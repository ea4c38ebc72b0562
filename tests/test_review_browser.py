"""The review page in Debian's headless Chromium under `xnwl serve`: approve through the form, reload, see it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from sitecheck import build_tree, serving
from test_site_browser import ARGS, CHROMIUM, _require_chromium


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    _require_chromium()
    root = build_tree(tmp_path / "tree").parent.parent
    with serving(root) as (host, port):
        yield root, f"http://{host}:{port}"


def test_approve_through_the_form_and_see_it_after_reload(served) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    root, base = served
    review = f"{base}/_output/2027-04/review/index.html"
    card = "#item-wechat-guide-2027-04"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(review)
        assert page.locator(f"{card} .state").inner_text() == "待审"
        assert page.locator("#cli-hint").is_hidden()  # forms work here, the CLI hint is for file:// only
        page.fill(f"{card} input[name=by]", "赵六")
        page.fill(f"{card} input[name=note]", "图文无误")
        with page.expect_navigation():
            page.click(f"{card} button.approve")
        page.reload()
        assert page.locator(f"{card} .state").inner_text() == "已通过"
        assert "赵六" in page.locator(f"{card} .decision").inner_text()
        assert page.locator("#item-wechat-events-2027-04 .state").inner_text() == "待审"

        # a form without a name is refused with a message, and nothing is recorded
        page.goto(review)
        page.eval_on_selector("#item-wechat-events-2027-04 input[name=by]", "e => e.removeAttribute('required')")
        page.fill("#item-wechat-events-2027-04 input[name=note]", "时间再核实")  # a note, so the page sends it
        with page.expect_navigation():
            page.click("#item-wechat-events-2027-04 button.reject")
        assert "--by" in page.content() or "审核人" in page.content()

        # opened as a file, the forms are disabled and the page says how to decide from the command line
        page.goto((root / "output/2027-04/review/index.html").as_uri())
        assert page.locator(f"{card} button.approve").is_disabled()
        assert page.locator("#cli-hint").is_visible()
        browser.close()
    decisions = json.loads((root / "content/review/2027-04.json").read_text(encoding="utf-8"))["decisions"]
    assert [(d["item"], d["state"], d["by"]) for d in decisions] == [("wechat/guide-2027-04", "approved", "赵六")]


# the review page at phone width, opened as a file; the article preview; serve's links --------------------
PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require_chromium()
    return build_tree(tmp_path_factory.mktemp("review") / "tree").parent.parent


def test_review_page_as_a_file_at_375_px(built: Path) -> None:
    from playwright.sync_api import sync_playwright

    card, posters = "#item-wechat-guide-2027-04", "#item-posters-guide-2027-04"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=PHONE)
        page.goto((built / "output/2027-04/review/index.html").as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 375  # no sideways scrolling

        # the buttons are disabled and look it; each item says why and how to decide instead
        approve = page.locator(f"{card} button.approve")
        assert approve.is_disabled()
        colour = approve.evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour != "rgb(29, 107, 58)", "a disabled 通过 button must not keep its active green"
        assert approve.evaluate("e => getComputedStyle(e).cursor") == "not-allowed"
        note = page.locator(f"{card} .offline-note")
        assert note.is_visible()
        assert "xnwl serve" in note.inner_text() and "xnwl review approve wechat/guide-2027-04" in note.inner_text()

        # the article frame shows the article's images (its cover at the top)
        frame = page.frame_locator(f"{card} iframe")
        first = frame.locator("img").first
        first.scroll_into_view_if_needed()
        assert first.evaluate("e => e.decode().then(() => e.naturalWidth, () => 0)") == 900

        # a poster thumbnail opens large on click (no script: CSS :target), and 关闭 closes it
        thumb = page.locator(f"{posters} .thumbs a").first
        thumb.scroll_into_view_if_needed()
        small = thumb.locator("img").evaluate("e => e.getBoundingClientRect().width")
        thumb.click()
        large = page.locator(f"{posters} .lightbox:target img")
        large.wait_for(state="visible")
        large.evaluate("e => e.decode()")
        big = large.evaluate("e => e.getBoundingClientRect().width")
        assert big >= 340 and big > 2 * small - 1, (small, big)
        page.click(f"{posters} .lightbox:target a.close")
        assert not page.locator(f"{posters} .lightbox").first.is_visible()
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 375
        browser.close()


def test_article_preview_shows_cover_and_qr_card_at_375_px(built: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=PHONE)
        page.goto((built / "output/2027-04/wechat/guide-2027-04.preview.html").as_uri())
        page.wait_for_load_state("load")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 375
        images = page.locator("#article img")
        sources = images.evaluate_all("all => Promise.all(all.map(e => e.decode().then(() => e.naturalWidth, () => 0)"
                                      "  .then(w => [e.getAttribute('src'), w])))")
        assert sources[0] == ["images/xnwl-cover-guide-2027-04.jpg", 900]
        qr_src, qr_width = sources[-1]
        assert qr_src == "images/xnwl-qr-guide-2027-04.png" and qr_width > 0
        shown = images.last.evaluate("e => e.getBoundingClientRect().width")
        assert 120 <= shown <= 160  # a QR code readers can long-press, not a full-width block
        assert "关注「" in page.locator("#article").inner_text()
        browser.close()


def test_serve_prints_real_review_links_and_links_them_from_the_site(built: Path) -> None:
    import subprocess
    import sys
    import urllib.request

    from conftest import REPO

    command = [sys.executable, "-m", "pipeline", "--root", str(built), "serve", "--port", "0", "--no-search",
               "--month", "2027-04"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        first, second = process.stdout.readline(), process.stdout.readline()
    finally:
        process.terminate()
        process.wait(timeout=10)
    base = re.search(r"(http://[\d.]+:\d+)/", first)
    assert base, first
    assert "<YYYY-MM>" not in second and "YYYY" not in second
    assert f"{base[1]}/_output/2027-04/review/index.html" in second

    from playwright.sync_api import sync_playwright

    with serving(built) as (host, port), sync_playwright() as p:
        site = urllib.request.urlopen(f"http://{host}:{port}/", timeout=10).read().decode("utf-8")
        assert "/_output/2027-04/review/index.html" in site
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=PHONE)
        page.goto(f"http://{host}:{port}/")
        with page.expect_navigation():
            page.click("nav[aria-label^='审核页'] a")
        assert page.url.endswith("/_output/2027-04/review/index.html")
        assert page.locator("#item-wechat-guide-2027-04 button.approve").is_enabled()
        assert page.locator("#item-wechat-guide-2027-04 .offline-note").is_hidden()
        browser.close()
    # the link is the preview's only: the built (and so the deployed) site has none
    assert not any("/_output/" in p.read_text(encoding="utf-8")
                   for p in (built / "output/site").rglob("*.html"))
