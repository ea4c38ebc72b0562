"""`xnwl serve` obeys only its user: requests must name the server in Host; decisions need its token and Origin.

The refusals are driven with raw HTTP (as a rebinding page or another program would send them); the happy path
and the on-page message for a rejection without a note run in Chromium.
"""

from __future__ import annotations

import http.client
import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from sitecheck import build_tree, serving
from test_site_browser import ARGS, CHROMIUM, _require_chromium

MONTH = "2027-04"
REVIEW = f"/_output/{MONTH}/review/index.html"
ITEM = f"wechat/guide-{MONTH}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = build_tree(tmp_path_factory.mktemp("serve") / "tree").parent.parent
    with serving(root) as (host, port):
        yield root, host, port


def request(port: int, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, str]:
    """A raw request: only the headers given here are sent (http.client would add its own Host otherwise)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in {**headers, **({"Content-Length": str(len(body))} if method == "POST" else {})}.items():
        connection.putheader(name, value)
    connection.endheaders(body or None)
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    connection.close()
    return response.status, text


def decisions(root: Path) -> list[dict]:  # type: ignore[type-arg]
    path = root / f"content/review/{MONTH}.json"
    return json.loads(path.read_text(encoding="utf-8"))["decisions"] if path.is_file() else []


def token_of(port: int) -> str:
    status, page = request(port, "GET", REVIEW, {"Host": f"127.0.0.1:{port}"})
    assert status == 200
    tokens = set(re.findall(r'name="token" value="([^"]*)"', page))
    assert len(tokens) == 1 and len(next(iter(tokens))) >= 32
    return tokens.pop()


def form(token: str | None, action: str = "approve", note: str = "") -> bytes:
    fields = {"month": MONTH, "item": ITEM, "by": "攻击者", "note": note, "action": action}
    if token is not None:
        fields["token"] = token
    return urlencode(fields).encode()


def test_only_requests_naming_the_server_are_answered(served) -> None:  # type: ignore[no-untyped-def]
    root, host, port = served
    for good in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}"):
        assert request(port, "GET", "/", {"Host": good})[0] == 200, good
    for bad in (f"evil.example.com:{port}", "evil.example.com", f"127.0.0.1:{port + 1}", "127.0.0.1",
                f"xnwl.example.com:{port}"):
        status, text = request(port, "GET", "/", {"Host": bad})
        assert status == 403 and "只接受发给本机预览地址的请求" in text, bad
        assert request(port, "GET", REVIEW, {"Host": bad})[0] == 403
        assert request(port, "HEAD", "/", {"Host": bad})[0] == 403
    assert request(port, "GET", "/", {})[0] == 403  # no Host at all
    # a rebinding page's POST, with its own name as Host and Origin, even carrying a good token
    token = token_of(port)
    status, _ = request(port, "POST", "/_review/decide", {
        "Host": f"evil.example.com:{port}", "Origin": f"http://evil.example.com:{port}",
        "Content-Type": "application/x-www-form-urlencoded"}, form(token))
    assert status == 403 and decisions(root) == []


def test_a_decision_needs_the_token_and_an_origin(served) -> None:  # type: ignore[no-untyped-def]
    root, host, port = served
    own = {"Host": f"127.0.0.1:{port}", "Content-Type": "application/x-www-form-urlencoded"}
    token = token_of(port)
    assert token not in (root / "output" / MONTH / "review/index.html").read_text(encoding="utf-8")  # never on disk
    status, text = request(port, "POST", "/_review/decide", own, form(token))  # no Origin
    assert status == 403 and "Origin" in text
    status, _ = request(port, "POST", "/_review/decide", {**own, "Origin": "http://evil.example.com"}, form(token))
    assert status == 403
    status, text = request(port, "POST", "/_review/decide", {**own, "Origin": f"http://127.0.0.1:{port}"}, form(None))
    assert status == 403 and "令牌" in text
    status, _ = request(port, "POST", "/_review/decide", {**own, "Origin": f"http://127.0.0.1:{port}"},
                        form("x" * len(token)))
    assert status == 403
    assert decisions(root) == []
    # the page's words, not the command line's, when a rejection has no note
    status, text = request(port, "POST", "/_review/decide", {**own, "Origin": f"http://127.0.0.1:{port}"},
                           form(token, "reject"))
    assert status == 400 and "退回修改时，请在“意见”里写明要改什么" in text and "--note" not in text
    assert decisions(root) == []


def test_approve_and_reject_in_chromium(served) -> None:  # type: ignore[no-untyped-def]
    _require_chromium()
    from playwright.sync_api import sync_playwright

    root, host, port = served
    card = "#item-wechat-events-2027-04"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(f"http://{host}:{port}{REVIEW}")
        # rejecting without a note: a message on the page, in its own words; what was typed stays; nothing sent
        page.fill(f"{card} input[name=by]", "钱七")
        page.click(f"{card} button.reject")
        message = page.locator(f"{card} .form-message")
        assert message.is_visible()
        assert message.inner_text() == "退回修改时，请在“意见”里写明要改什么。"
        assert "--" not in message.inner_text()
        assert page.input_value(f"{card} input[name=by]") == "钱七"
        assert page.url.endswith(REVIEW) and decisions(root) == []
        page.fill(f"{card} input[name=note]", "村晚时间再核实")
        with page.expect_navigation():
            page.click(f"{card} button.reject")
        page.reload()
        assert page.locator(f"{card} .state").inner_text() == "退回修改"
        # approving through the form: the token the server put into the page is sent with it
        guide = "#item-wechat-guide-2027-04"
        page.fill(f"{guide} input[name=by]", "钱七")
        with page.expect_navigation():
            page.click(f"{guide} button.approve")
        page.reload()
        assert page.locator(f"{guide} .state").inner_text() == "已通过"
        browser.close()
    assert [(d["item"], d["state"], d["by"], d["note"]) for d in decisions(root)] == [
        ("wechat/events-2027-04", "rejected", "钱七", "村晚时间再核实"), (ITEM, "approved", "钱七", "")]
