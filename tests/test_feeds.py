"""Feeds pulled from a local HTTP server on 127.0.0.1 into content/inbox/, and the inbox commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import xnwl
from feed_server import ETAG, FeedServer
from pipeline.feeds.clean import to_markdown
from pipeline.feeds.parse import parse_time, repair_encoding

ALL = ["/rss2.xml", "/atom.xml", "/gbk.xml", "/mislabeled.xml", "/malformed.xml", "/unsafe.xml", "/etag.xml",
       "/huge.xml", "/huge-declared.xml", "/hang.xml", "/page.html", "/missing.xml"]
FAILING = {"/huge.xml": "超过大小上限", "/huge-declared.xml": "超过大小上限", "/hang.xml": "超时",
           "/page.html": "不是 RSS 或 Atom", "/missing.xml": "HTTP 404"}
UNSAFE = re.compile(r"<\s*[a-z/!]|javascript:|vbscript:|data:text|on(error|click|load)\s*=", re.I)


def pull(root: Path, server: FeedServer, paths: list[str]) -> tuple[int, str, str]:
    args = ["feeds", "pull", "--timeout", "1"]
    for path in paths:
        args += ["--feed", server.url(path)]
    run = xnwl(*args, root=root)
    return run.code, run.out, run.err


def report_line(out: str, server: FeedServer, path: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("[") and server.url(path) + "：" in line)


def inbox(root: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((root / "content/inbox").glob("*.md"))}


def front(text: str, key: str) -> str:
    match = re.search(rf"^{key}: (.*)$", text, re.M)
    assert match, f"{key} missing in\n{text}"
    return match.group(1)


@pytest.fixture
def server():
    with FeedServer() as running:
        yield running


def test_every_fixture_feed_is_handled_and_reported(tree: Path, server: FeedServer) -> None:
    code, out, err = pull(tree, server, ALL)
    assert code == 1, "a failed feed makes the exit code 1"
    assert "Traceback" not in out + err
    for path in ALL:
        line = report_line(out, server, path)
        if path in FAILING:
            assert line.startswith("[失败]") and FAILING[path] in line, line
        else:
            assert line.startswith("[完成]"), line
    assert "共 12 个订阅源：7 个成功，5 个失败" in out

    items = inbox(tree)
    titles = {front(text, "title"): text for text in items.values()}
    # RSS 2.0: five items, one repeats a link (with a #fragment), one repeats another's text
    assert "读到 5 条，新增 3 条，已见过 2 条" in report_line(out, server, "/rss2.xml")
    # Atom: its second entry is the RSS item's link (host in capitals): known across feeds
    assert "读到 2 条，新增 1 条，已见过 1 条" in report_line(out, server, "/atom.xml")
    assert "簰洲湾骑行节 五月" in titles
    assert "九宫山滑雪季开板" in titles, "GBK feed decoded"
    assert "簰洲湾江滩音乐会" in titles, "GB18030 bytes sent as UTF-8 decoded"
    assert "已按 GB18030 读取" in out
    assert "崇阳县提琴戏进校园" in titles and "格式不规范" in out, "malformed feed read as far as possible"
    assert len(items) == 9

    for name, text in items.items():
        assert not UNSAFE.search(text), f"unsafe markup in {name}:\n{text}"
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}-[0-9a-f]{8}", name)
    unsafe = titles["通城药姑山秋季登山"]
    assert "link: null" in unsafe and "链接不安全" in out
    assert "[安全链接](https://evil.example.com/safe)" in unsafe
    assert "&lt;script&gt;不是标签" in unsafe, "text that looks like a tag stays text, escaped"
    assert "password" not in unsafe and "steal" not in unsafe and "document.cookie" not in unsafe

    # dates: a naive RFC 822 time is Beijing time; a UTC one is converted; a Chinese date is read
    assert front(titles["大幕山杜鹃花节四月开幕"], "published") == "2027-04-10 19:30"
    assert front(titles["羊楼洞采茶季"], "published") == "2027-04-10 19:30"
    assert front(titles["九宫山滑雪季开板"], "published") == "2027-12-05 10:00"
    assert front(titles["簰洲湾骑行节 五月"], "published") == "2027-05-01 09:00"
    assert "[原文链接](https://news.example.com/2027/azalea.html)" in titles["大幕山杜鹃花节四月开幕"]

    # pulling again adds nothing; the feed with an ETag answers 304 and is not parsed
    code, again, _ = pull(tree, server, ALL)
    assert inbox(tree) == items
    assert "新增候选 0 条" in again
    assert "304" in report_line(again, server, "/etag.xml")
    conditional = server.log.headers_for("/etag.xml")[-1]
    assert conditional.get("if-none-match") == ETAG and "if-modified-since" in conditional
    assert ("/etag.xml", 304) in server.log.statuses

    state = json.loads((tree / "state/feeds.json").read_text(encoding="utf-8"))
    assert state["feeds"][server.url("/etag.xml")]["etag"] == ETAG
    assert "etag" not in state["feeds"][server.url("/hang.xml")]


def test_a_deleted_candidate_does_not_come_back(tree: Path, server: FeedServer) -> None:
    pull(tree, server, ["/rss2.xml"])
    first = sorted(inbox(tree))
    (tree / "content/inbox" / f"{first[0]}.md").unlink()
    code, out, _ = pull(tree, server, ["/rss2.xml"])
    assert code == 0 and sorted(inbox(tree)) == first[1:]


def test_feeds_come_from_the_config_and_bad_state_is_set_aside(tree: Path, server: FeedServer) -> None:
    config = tree / "xnwl.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "urls = []", f'urls = ["{server.url("/atom.xml")}"]'), encoding="utf-8")
    (tree / "state").mkdir()
    (tree / "state/feeds.json").write_text("{broken", encoding="utf-8")
    run = xnwl("feeds", "pull", root=tree)
    assert run.code == 0, run.text
    assert "feeds.json 无法读取" in run.out and (tree / "state/feeds.json.broken").exists()
    assert len(inbox(tree)) == 2


def test_bad_feed_arguments_are_messages(tree: Path) -> None:
    run = xnwl("feeds", "pull", "--feed", "file:///etc/passwd", root=tree)
    assert run.code == 1 and "file:///etc/passwd" in run.err and "Traceback" not in run.text
    run = xnwl("feeds", "pull", root=tree)
    assert run.code == 0 and "没有要拉取的订阅源" in run.out


def test_inbox_list_and_accept_as_event(tree: Path, server: FeedServer) -> None:
    assert "收件箱是空的" in xnwl("inbox", "list", root=tree).out
    pull(tree, server, ["/rss2.xml"])
    listing = xnwl("inbox", "list", root=tree)
    assert listing.code == 0 and "大幕山杜鹃花节四月开幕" in listing.out and "共 3 条候选" in listing.out
    candidate = next(line.split()[0] for line in listing.out.splitlines() if "大幕山杜鹃花节" in line)
    assert candidate.startswith("2027-04-10-")

    accepted = xnwl("inbox", "accept", candidate, "--as", "event", root=tree)
    assert accepted.code == 0, accepted.text
    assert "待填写" in accepted.out and "xnwl validate 会报错" in accepted.out
    event = tree / "content/events" / f"{candidate}.md"
    assert event.is_file() and not (tree / "content/inbox" / f"{candidate}.md").exists()
    text = event.read_text(encoding="utf-8")
    assert 'title: "大幕山杜鹃花节四月开幕"' in text and 'source: "https://news.example.com/2027/azalea.html"' in text
    assert "（原文提到：xianan 咸安）" in text, "the county the text names is pointed out"

    check = xnwl("validate", root=tree)
    assert check.code == 1
    unfilled = [line for line in check.err.splitlines() if f"content/events/{candidate}.md" in line]
    assert {line.split(" · ")[1].split(" ")[0] for line in unfilled} == {
        "summary", "start", "end", "county", "venue", "category"}
    assert all("尚未填写" in line for line in unfilled)
    assert xnwl("batch", "--month", "2027-04", root=tree).code == 1

    filled = (text.replace("summary: 待填写", "summary: 大幕山杜鹃花开。")
              .replace("start: 待填写", "start: 2027-04-10").replace("end: 待填写", "end: 2027-04-25")
              .replace("county: 待填写", "county: xianan").replace("venue: 待填写", "venue: 大幕山")
              .replace("category: 待填写", "category: festival"))
    event.write_text(filled, encoding="utf-8")
    assert xnwl("validate", root=tree).code == 0

    again = xnwl("inbox", "accept", candidate, "--as", "event", root=tree)
    assert again.code == 1 and "没有编号为" in again.err


@pytest.mark.parametrize("raw,expected", [
    ("Sat, 10 Apr 2027 19:30:00", "2027-04-10 19:30"),
    ("Sat, 10 Apr 2027 11:30:00 GMT", "2027-04-10 19:30"),
    ("2027-04-10T19:30:00", "2027-04-10 19:30"),
    ("2027-04-10T11:30:00Z", "2027-04-10 19:30"),
    ("2027-04-10 19:30:00", "2027-04-10 19:30"),
    ("2027年4月10日 19:30", "2027-04-10 19:30"),
    ("2027/04/10", "2027-04-10 00:00"),
])
def test_dates_without_a_zone_are_beijing_time(raw: str, expected: str) -> None:
    assert parse_time(raw).strftime("%Y-%m-%d %H:%M") == expected


def test_markdown_from_untrusted_html_has_no_markup() -> None:
    text = to_markdown('<p>一<script>x()</script><a href="javascript:y()">二</a><b>三</b></p><ul><li>甲</li>'
                       '<li>乙</li></ul><p>&lt;iframe&gt; <a href="https://a.example/(1)">链[接]</a></p>')
    assert text == "一二**三**\n\n- 甲\n- 乙\n\n&lt;iframe&gt; [链\\[接\\]](https://a.example/%281%29)\n"


def test_mislabeled_encoding_is_repaired() -> None:
    body = '<?xml version="1.0" encoding="utf-8"?><rss><channel><title>簰洲湾</title></channel></rss>'.encode("gb18030")
    fixed, headers, note = repair_encoding(body, {"content-type": "text/xml; charset=utf-8"})
    assert "簰洲湾" in fixed.decode("utf-8") and "charset=utf-8" in headers["content-type"] and "GB18030" in note


def test_text_that_looks_like_markdown_links_stays_text() -> None:
    from pipeline.markdown import render_markdown

    text = to_markdown("<p>[点我](javascript:alert(1)) ![图](https://evil.example/x.png) &lt;b onclick=x&gt;</p>"
                       '<p><a href="https://ok.example/">好链接</a></p>')
    html = render_markdown(text)
    assert "<a " in html and html.count("<a ") == 1 and 'href="https://ok.example/"' in html
    assert "<img" not in html and "onclick" not in html.replace("&lt;b onclick=x&gt;", "")
