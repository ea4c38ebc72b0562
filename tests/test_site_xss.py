"""Script, event-handler and javascript: payloads planted in every text field come out inert on every page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import feedparser
import icalendar
import pytest
import yaml

from conftest import FIXTURE, xnwl
from sitecheck import html_pages, json_ld

PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "onerror": "<img src onerror=alert(1)>",  # short: stop `stay` allows 30 characters
    "javascript": "javascript:alert(1)",
}
ROUTE = "routes/chibi-sanguo.md"
EVENT = "content/events/2027-04-gala.md"
GUIDE = "content/weekend/04.md"


def _rewrite(path: Path, payload: str, fields: list[str], nested: dict[str, list[str]]) -> None:
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    data = yaml.safe_load(front)
    for key in fields:
        data[key] = payload + str(data[key])
    for key, subfields in nested.items():
        items = data[key] if isinstance(data[key], list) else [data[key]]
        for item in items:
            for sub in subfields:
                if item.get(sub):
                    item[sub] = payload + str(item[sub])
                else:
                    item[sub] = payload
    body += (f"\n\n## {payload}\n\n{payload} 正文。\n\n[点我]({payload}) <a href=\"{payload}\">链接</a>"
             f" [链](javascript:alert(1)) <a href=\"javascript:alert(1)\" onclick=\"alert(1)\">x</a>\n")
    path.write_text("---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n" + body,
                    encoding="utf-8")


def plant(root: Path, payload: str) -> None:
    _rewrite(root / ROUTE, payload, ["title", "summary"],
             {"stops": ["name", "stay", "note"], "from_wuhan": ["rail", "drive"], "images": ["alt", "credit"]})
    _rewrite(root / EVENT, payload, ["title", "summary", "venue", "source"], {})
    _rewrite(root / GUIDE, payload, ["title"], {"picks": ["reason"]})


def inert_problems(page) -> list[str]:  # type: ignore[no-untyped-def]
    problems = []
    for script in page.soup.find_all("script"):
        if script.get("type") == "application/ld+json":
            continue
        if not re.fullmatch(r"(\.\./)*assets/search\.[0-9a-f]{10}\.js", script.get("src", "")):
            problems.append(f"script element: {script}")
    for element in page.soup.find_all(True):
        for name, value in element.attrs.items():
            if name.lower().startswith("on"):
                problems.append(f"event handler {name} on <{element.name}>")
            values = value if isinstance(value, list) else [value]
            if name.lower() in ("href", "src", "action", "formaction", "xlink:href", "srcset", "data", "poster"):
                for v in values:
                    if re.sub(r"[\s\x00-\x1f]", "", v).lower().startswith(("javascript:", "vbscript:", "data:text")):
                        problems.append(f"{name}={v!r} on <{element.name}>")
    raw = page.raw.decode("utf-8").lower()
    for ld in page.soup.find_all("script", type="application/ld+json"):
        if "</" in ld.string or "<script" in ld.string:
            problems.append("markup inside JSON-LD")
    if raw.count("<script") != len(page.soup.find_all("script")):
        problems.append("a <script that the parser did not see as one")
    return problems


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_planted_payloads_are_inert_everywhere(tmp_path: Path, kind: str) -> None:
    payload = PAYLOADS[kind]
    root = tmp_path / "tree"
    shutil.copytree(FIXTURE, root)
    plant(root, payload)
    # the site alone: the payloads make titles longer than WeChat allows, which fails the full batch on purpose
    run = xnwl("site", "build", "--month", "2027-04", root=root)
    assert run.code == 0, run.text
    site = root / "output" / "site"
    pages = html_pages(site)
    for page in pages:
        assert not inert_problems(page), (page.rel, inert_problems(page))
        json_ld(page)  # still valid JSON
    route = next(p for p in pages if p.rel == "routes/chibi-sanguo/index.html")
    event = next(p for p in pages if p.rel == "events/2027-04-gala/index.html")
    # the text is shown as text (escaped), not dropped
    assert payload + "赤壁怀古一日行" in route.soup.h1.get_text()
    assert payload + "春季村晚" in event.soup.h1.get_text()
    assert payload in route.soup.select_one("ol.timeline").get_text()
    assert not feedparser.parse((site / "feed.xml").read_bytes()).bozo
    cal = icalendar.Calendar.from_ical((site / "events.ics").read_bytes())
    assert any(payload in str(e["summary"]) for e in cal.walk("VEVENT"))
