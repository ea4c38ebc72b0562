"""One month, one list of events: plan.json, the WeChat guide and calendar (HTML and the drafts.json digests),
the posters and the site's month page all show the same events, counted the same way.

Every channel takes the month's events from the plan (MonthPlan.events, decided by plan.events_by_month); this
reads what each channel wrote, for the fixture and for shipped months, and compares.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import FIXTURE, REPO, xnwl
from pipeline.config import load_config
from pipeline.content.load import load_content
from pipeline.plan import Month, make_plan


class _Headings(HTMLParser):
    """Text of every <h3> (event and route cards in the articles)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h3":
            self._open = True
            self.found.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.found[-1] += data


class _EventLinks(HTMLParser):
    """Event page links inside <ul class="events"> (the site's month calendar list)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "ul" and "events" in (values.get("class") or "").split():
            self.depth += 1
        elif tag == "ul" and self.depth:
            self.depth += 1
        if tag == "a" and self.depth:  # the last path segment: "../<id>/" or "/events/<id>/"
            self.links.append((values.get("href") or "").split("?")[0].rstrip("/").rsplit("/", 1)[-1])

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul" and self.depth:
            self.depth -= 1


def h3_texts(html: str) -> list[str]:
    parser = _Headings()
    parser.feed(html)
    return [" ".join(t.split()) for t in parser.found]


def site_month_events(page: str, known: set[str]) -> tuple[int, list[str]]:
    count = re.search(r"(\d+) 项活动", page)
    assert count, "the month page says how many events it lists"
    parser = _EventLinks()
    parser.feed(page)
    return int(count[1]), [link for link in dict.fromkeys(parser.links) if link in known]


def channel_counts(root: Path, month: str) -> dict[str, object]:
    """What each channel shows for the month's events, read from the files it wrote."""
    batch = root / "output" / month
    plan = json.loads((batch / "plan.json").read_text(encoding="utf-8"))
    ids = [e["id"] for e in plan["events"]]
    content, _ = load_content(root)
    titles = {e.id: e.title for e in content.events.values()}
    drafts = {a["slug"]: a for a in json.loads((batch / "wechat/drafts.json").read_text(encoding="utf-8"))["articles"]}
    guide, calendar = drafts[f"guide-{month}"], drafts[f"events-{month}"]
    guide_digest = re.search(r"(\d+)个活动", guide["digest"])
    calendar_digest = re.search(r"共有(\d+)个节庆活动", calendar["digest"])
    guide_html = (batch / f"wechat/guide-{month}.html").read_text(encoding="utf-8")
    calendar_html = (batch / f"wechat/events-{month}.html").read_text(encoding="utf-8")
    by_title = {title: eid for eid, title in titles.items()}
    index = json.loads((batch / "posters/index.json").read_text(encoding="utf-8"))
    poster_events = sorted({p["subject"].removeprefix("event-") for p in index["posters"] if p["kind"] == "event"})
    site_count, site_ids = site_month_events(
        (root / "output/site/events" / month / "index.html").read_text(encoding="utf-8"), set(titles))

    from pipeline.channels.posters.context import Builder  # the guide poster's texts, as the poster draws them

    config = load_config(root)
    plan = make_plan(content, Month.parse(month), config.featured_per_month)
    chips = Builder(config, content, plan).guide().values["chips"]
    return {
        "plan": sorted(ids),
        "guide digest": int(guide_digest[1]) if guide_digest else 0,
        "guide article": sorted(by_title[t] for t in h3_texts(guide_html) if t in by_title),
        "calendar digest": int(calendar_digest[1]) if calendar_digest else 0,
        "calendar article": sorted(by_title[t] for t in h3_texts(calendar_html) if t in by_title),
        "poster chip": next((int(c[:-3]) for c in chips if c.endswith("场活动")), None),
        "posters": poster_events,
        "site count": site_count,
        "site list": sorted(site_ids),
    }


def assert_agree(found: dict[str, object]) -> None:
    ids = found["plan"]
    assert isinstance(ids, list)
    expected = {
        "plan": ids, "guide digest": len(ids), "guide article": ids, "calendar digest": len(ids),
        "calendar article": ids, "poster chip": len(ids), "posters": ids, "site count": len(ids), "site list": ids,
    }
    assert found == expected


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("counts") / "shipped"
    root.mkdir()
    for name in ("routes", "content", "xnwl.toml"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    for month in ("2027-04", "2027-10"):
        run = xnwl("batch", "--month", month, root=root)
        assert run.code == 0, run.text
    return root


@pytest.mark.parametrize("month", ["2027-04", "2027-10"])
def test_shipped_months_count_the_same_events_everywhere(shipped: Path, month: str) -> None:
    found = channel_counts(shipped, month)
    assert_agree(found)
    # the plan's list is every shipped event whose dates touch the month, read straight from the files
    assert found["plan"] == _events_touching(shipped / "content/events", month)
    assert found["plan"], f"{month}: the shipped calendar has events this month"


def _events_touching(folder: Path, month: str) -> list[str]:
    import datetime as dt

    import yaml

    year, number = map(int, month.split("-"))
    first = dt.date(year, number, 1)
    last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    ids = []
    for path in sorted(folder.glob("*.md")):
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
        start, end = (dt.date.fromisoformat(str(meta[key])[:10]) for key in ("start", "end"))
        if start <= last and end >= first:
            ids.append(meta["id"])
    return sorted(ids)


def test_fixture_counts_the_same_events_everywhere(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root)
    run = xnwl("batch", "--month", "2027-04", root=root)
    assert run.code == 0, run.text
    found = channel_counts(root, "2027-04")
    assert_agree(found)
    # the gala (3月28日 to 4月2日, a Friday) began last month and is no guide pick: it is shown all the same
    assert found["plan"] == ["2027-04-azalea", "2027-04-gala"]


def test_an_event_with_no_pick_and_a_pick_outside_the_month(tmp_path: Path) -> None:
    """The guide shows the month's events, not its event picks: a pick from another month is left out (with
    a warning), an event nobody picked is in, and the digest counts what the article shows."""
    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root)
    guide = root / "content/weekend/04.md"
    text = guide.read_text(encoding="utf-8").replace(
        "  - event: 2027-04-azalea\n    reason: 映山红开了。\n",
        "  - event: 2027-06-heritage-day\n    reason: 六月的活动。\n")
    guide.write_text(text, encoding="utf-8")
    run = xnwl("batch", "--month", "2027-04", root=root)
    assert run.code == 0, run.text
    assert "2027-06-heritage-day" in run.text and "已略过" in run.text
    found = channel_counts(root, "2027-04")
    assert_agree(found)
    assert found["plan"] == ["2027-04-azalea", "2027-04-gala"]
