"""The site's render on its own: calendars that parse back to their events, Markdown bodies through nh3, list pages
of a dense county under the size limit, and the folder it is given."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from conftest import FIXTURE, REPO, xnwl
from sitecheck import html_pages

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _fixture_site():  # type: ignore[no-untyped-def]
    from pipeline.channels.site.assets import Assets
    from pipeline.channels.site.views import SiteData
    from pipeline.config import load_config
    from pipeline.content.load import load_content
    from pipeline.plan import Month

    content, problems = load_content(FIXTURE)
    assert not problems.errors
    return SiteData(load_config(FIXTURE), content, Month(2027, 4), {}, {}, Assets())


def test_each_event_calendar_parses_back_to_its_event() -> None:
    from pipeline.channels.site import feeds

    site = _fixture_site()
    timed = dated = 0
    vevents = []
    for view in site.events.values():
        e = view.event
        cal = icalendar.Calendar.from_ical(feeds.event_calendar(site, view))
        [event] = cal.walk("VEVENT")
        vevents.append(event.to_ical())
        assert str(cal["x-wr-calname"]) == e.title
        assert str(event["uid"]) == f"{e.id}@xnwl.example.com"
        assert str(event["summary"]) == e.title + ("（日期待定）" if e.tentative else "")
        assert str(event["status"]) == ("TENTATIVE" if e.tentative else "CONFIRMED")
        assert str(event["location"]) == f"咸宁市{view.county.name} {e.venue}"
        assert str(event["url"]) == site.config.url(view.path)
        assert e.summary in str(event["description"]) and e.source_ref in str(event["description"])
        if e.start_time is None:
            dated += 1
            assert event.decoded("dtstart") == e.start_date
            assert event.decoded("dtend") == e.end_date + timedelta(days=1)  # DATE end is exclusive
            assert not cal.walk("VTIMEZONE")
        else:
            timed += 1
            assert event.decoded("dtstart") == datetime.combine(e.start_date, e.start_time, SHANGHAI)
            end = (datetime.combine(e.end_date, e.end_time, SHANGHAI) if e.end_time is not None
                   else datetime.combine(e.end_date + timedelta(days=1), datetime.min.time(), SHANGHAI))
            assert event.decoded("dtend") == end
            assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    assert timed and dated  # both kinds are covered
    whole = icalendar.Calendar.from_ical(feeds.events_calendar(site))
    assert [event.to_ical() for event in whole.walk("VEVENT")] == vevents  # the same events, in the site's order


BODY = ("\n\n![外链图](https://cdn.example.com/a.png)\n\n[官网](https://example.com/a)\n\n"
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[危险](javascript:alert(1))\n")


def test_markdown_bodies_pass_through_nh3_on_the_pages(tmp_path: Path) -> None:
    """nh3 drops images (the renderer makes <img> of ![..](..)) and gives every link rel=noopener nofollow: seen on
    the route, event and guide pages, each body is cleaned; raw HTML stays text, javascript: links are no links."""
    root = tmp_path / "tree"
    shutil.copytree(FIXTURE, root)
    for rel in ("routes/chibi-sanguo.md", "content/events/2027-04-gala.md", "content/weekend/04.md"):
        path = root / rel
        path.write_text(path.read_text(encoding="utf-8") + BODY, encoding="utf-8")
    run = xnwl("site", "build", "--month", "2027-04", "--no-search", root=root)
    assert run.code == 0, run.text
    pages = {p.rel: p for p in html_pages(root / "output" / "site")}
    for rel in ("routes/chibi-sanguo/index.html", "events/2027-04-gala/index.html", "weekend/2027-04/index.html"):
        body = pages[rel].soup.select(".prose")[-1 if rel.startswith("weekend") else 0]
        assert not body.find_all(["img", "script"]), rel
        assert not [a for tag in body.find_all(True) for a in tag.attrs if a.lower().startswith("on")], rel
        links = body.find_all("a")
        assert [a["href"] for a in links] == ["https://example.com/a"], rel
        assert links[0]["rel"] == ["noopener", "nofollow"], rel
        text = body.get_text()
        assert "<script>alert(1)</script>" in text and "<img src=x onerror=alert(1)>" in text, rel
        assert "外链图" not in text  # the image is dropped, its alt text with it


@pytest.fixture(scope="module")
def dense(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic tree whose densest county has well over ten pages of routes, and 40 events a month."""
    root = tmp_path_factory.mktemp("dense") / "tree"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "make_corpus.py"), str(root), "--routes", "700",
                    "--events", "480", "--events-per-month", "40"], check=True, capture_output=True)
    run = xnwl("site", "build", "--month", "2027-04", "--no-search", root=root, timeout=300)
    assert run.code == 0, run.text
    return root / "output" / "site"


def test_list_pages_of_a_dense_county_stay_under_the_limit(dense: Path) -> None:
    from pipeline.channels.site.build import PAGE_LIMIT
    from pipeline.channels.site.pages import PAGING_AROUND, PER_PAGE

    css = sum(p.stat().st_size for p in (dense / "assets").glob("site.*.css"))
    sizes = {p.relative_to(dense).as_posix(): p.stat().st_size + css for p in dense.rglob("*.html")}
    assert max(sizes.values()) <= PAGE_LIMIT, max(sizes.items(), key=lambda item: item[1])
    counts = {county: sum(1 for rel in sizes if rel.startswith(f"counties/{county}/"))
              for county in {rel.split("/")[1] for rel in sizes if rel.startswith("counties/") and rel.count("/") > 1}}
    densest = max(counts, key=counts.__getitem__)
    assert counts[densest] > 10
    pages = {p.rel: p for p in html_pages(dense)}
    middle = pages[f"counties/{densest}/7/index.html"]  # the first, the last and the neighbours, gaps between
    paging = middle.soup.select_one("nav.paging")
    assert len(paging.find_all(["a", "span"])) == 2 * PAGING_AROUND + 3
    assert paging.get_text().count("…") == 2
    assert len(middle.soup.select("ul.cards > li")) == PER_PAGE
    guide = pages["weekend/2027-04/index.html"]
    assert len(guide.soup.select("ul.events > li")) == PER_PAGE


def test_render_needs_an_empty_folder(tmp_path: Path) -> None:
    from pipeline.channels.site import SiteInputs, render
    from pipeline.config import load_config
    from pipeline.content.load import load_content
    from pipeline.plan import Month

    content, _ = load_content(FIXTURE)
    out = tmp_path / "site"
    out.mkdir()
    (out / "mine.txt").write_text("x")
    with pytest.raises(ValueError):
        render(load_config(FIXTURE), content, Month(2027, 4), SiteInputs({}, frozenset()), out)
    assert [p.name for p in out.iterdir()] == ["mine.txt"]
