"""The preview page in real headless Chromium: phone-width frame, and 「复制到公众号」 puts the article's HTML on the clipboard."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import xnwl

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _need(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright_chromium():
    if not CHROMIUM.exists():
        _need("Debian chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("Python playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


class _Shape(HTMLParser):
    """(tag, style) of every element plus the text: what must survive the trip through the clipboard."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            self.elements.append((tag, dict(attrs).get("style") or ""))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def shape(html: str) -> tuple[list[tuple[str, str]], str]:
    parser = _Shape()
    parser.feed(html)
    return parser.elements, "".join(parser.text).strip()


def test_copy_button_puts_the_article_html_on_the_clipboard(tree: Path, playwright_chromium) -> None:
    assert xnwl("batch", "--month", "2027-04", root=tree).code == 0
    folder = tree / "output/2027-04/wechat"
    fragment = (folder / "guide-2027-04.html").read_text(encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_port}"
    context = playwright_chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        page = context.new_page()
        page.goto(f"{origin}/guide-2027-04.preview.html")
        # the article column is phone width, as in the 公众号 editor
        assert page.locator(".phone").bounding_box()["width"] == pytest.approx(677, abs=1)
        # every body image shows: the cover on top, the route's photo, the closing card's QR code
        widths = page.locator("#article img").evaluate_all(
            "all => Promise.all(all.map(e => e.decode().then(() => e.naturalWidth, () => 0)))")
        assert len(widths) == 3 and all(w > 0 for w in widths)
        page.get_by_role("button", name="复制到公众号").click()
        page.wait_for_selector("#copy[data-copied]")
        assert page.get_attribute("#copy", "data-copied") == "yes"
        assert "已复制" in page.inner_text("#status")
        clipboard = page.evaluate("""async () => {
            const out = {};
            for (const item of await navigator.clipboard.read())
                for (const type of item.types) out[type] = await (await item.getType(type)).text();
            return out;
        }""")
    finally:
        context.close()
        server.shutdown()
        server.server_close()
    assert "text/html" in clipboard
    copied_elements, copied_text = shape(clipboard["text/html"])
    elements, text = shape(fragment)
    assert copied_elements == elements  # every element with its inline style, in order
    assert copied_text == text
    assert "第1个周末" in clipboard["text/plain"]
