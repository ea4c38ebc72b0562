"""The review page in Debian's headless Chromium under `xnwl serve`: approve through the form, reload, see it."""

from __future__ import annotations

import json
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
