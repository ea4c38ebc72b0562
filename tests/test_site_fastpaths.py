"""Shortcuts taken for speed give exactly what the general code gives: template escaping,
calendars from shared VEVENTs and remembered picture sizes."""

from __future__ import annotations

from pathlib import Path

import markupsafe
import pytest
from jinja2 import StrictUndefined, Undefined
from jinja2.exceptions import UndefinedError

from pipeline.channels.site.render import _escape, make_environment

REPO = Path(__file__).resolve().parents[1]


class _Html:
    def __html__(self) -> str:
        return "<b>safe</b>"


@pytest.mark.parametrize("value", ["", "plain 中文", "<a href=\"x\">&'</a>", markupsafe.Markup("<i>kept</i>"), 42, 1.5,
                                   None, _Html(), ["<x>"], "\u00a0&amp;", -2.5e-07, float("nan"), float("-inf"),
                                   Undefined("hint", name="x")])
def test_template_escape_gives_markupsafe_text(value: object) -> None:
    assert str(_escape(value)) == str(markupsafe.escape(value))


def test_template_escape_of_an_undefined_value_still_fails(tmp_path: Path) -> None:
    with pytest.raises(UndefinedError):
        _escape(StrictUndefined(name="missing"))
    env = make_environment(tmp_path)
    with pytest.raises(UndefinedError):
        env.from_string("{{ nothing }}").render()


def test_site_templates_escape_like_markupsafe(tmp_path: Path) -> None:
    env = make_environment(tmp_path)
    template = env.from_string("{{ a }}|{{ b }}|{% macro m(x) %}[{{ x }}]{% endmacro %}{{ m(a) }}|{% set s %}{{ a }}{% endset %}{{ s }}"
                               "|{{ a ~ b }}|{{ n }}")
    values = {"a": "<&\"'>", "b": markupsafe.Markup("<br>"), "n": 3}
    expected = "&lt;&amp;&#34;&#39;&gt;|<br>|[&lt;&amp;&#34;&#39;&gt;]|&lt;&amp;&#34;&#39;&gt;|&lt;&amp;&#34;&#39;&gt;<br>|3"
    assert template.render(**values) == expected


def _shipped_site(tmp_path: Path, extra_events: int = 0):  # type: ignore[no-untyped-def]
    """The site of the shipped content; extra_events adds events with text icalendar must escape and fold."""
    from dataclasses import replace
    from datetime import time

    from pipeline.channels.site.assets import Assets
    from pipeline.channels.site.views import SiteData
    from pipeline.config import load_config
    from pipeline.content.load import load_content
    from pipeline.plan import Month

    content, problems = load_content(REPO)
    assert not problems.errors
    base = sorted(content.events.values(), key=lambda e: e.id)
    for n in range(extra_events):
        e = base[n % len(base)]
        content.events[f"odd-{n}"] = replace(
            e, id=f"odd-{n}", title=f"{e.title}；逗号,分号;反斜杠\\ 与很长很长的标题" * (n % 3 + 1),
            summary=f"第一行\n第二行, 带 \"引号\" 与 ;{'长' * 90 * n}", venue="体育馆, A 区; 北门",
            start_time=[None, time(9, 30), time(19, 0)][n % 3], end_time=[None, None, time(21, 15)][n % 3],
            status=["confirmed", "tentative"][n % 2], verified=None if n % 2 else e.verified)
    return SiteData(load_config(REPO), content, Month(2027, 4), {}, {}, Assets(tmp_path))


def _library_calendar(site, views) -> bytes:  # type: ignore[no-untyped-def]
    """A calendar as icalendar writes it when every component is added to it (what feeds.py did before)."""
    from pipeline.channels.site import feeds

    if len(views) == 1:
        cal = feeds._calendar(site.config, views[0].event.title)
        if views[0].event.start_time is not None:
            cal.add_component(feeds._timezone())
    else:
        cal = feeds._calendar(site.config, f"{site.config.brand_short_name}活动")
        cal.add_component(feeds._timezone())
    for view in views:
        cal.add_component(feeds._vevent(site, view))
    return cal.to_ical()


@pytest.mark.parametrize("all_first", [False, True])
def test_calendars_from_shared_vevents_equal_icalendars_own(tmp_path: Path, all_first: bool) -> None:
    """Each VEVENT is written once and shared by its event's file and the calendar of all events: both files are
    byte for byte what icalendar writes for the whole calendar, whichever is made first."""
    from pipeline.channels.site import feeds

    site = _shipped_site(tmp_path, extra_events=7)
    views = list(site.events.values())
    assert any(v.event.start_time is None for v in views) and any(v.event.start_time for v in views)
    if all_first:
        assert feeds.events_calendar(site) == _library_calendar(site, views)
    for view in views:
        assert feeds.event_calendar(site, view) == _library_calendar(site, [view]), view.event.id
    assert feeds.events_calendar(site) == _library_calendar(site, views)
    assert b"\r\n " in feeds.events_calendar(site)  # long lines were folded


def test_picture_sizes_remembered_give_the_same_variants_without_pillow(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A source image seen before is not opened again: its size comes from state/cache/site-pictures.marshal,
    and the picture (variant names and sizes) is the one Pillow's probe gives. A damaged memo is ignored."""
    from PIL import Image

    from pipeline.channels.memo import Memo
    from pipeline.channels.site.assets import Assets

    source = tmp_path / "cover.jpg"
    Image.new("RGB", (1200, 511), (200, 80, 40)).save(source, "JPEG")
    site = tmp_path / "site"
    first = Assets(site, Memo(tmp_path, "site-pictures"))
    probed = first.picture(source, "guide-2027-04", "封面")
    assert first.memo is not None
    first.memo.save()
    assert [(v.width, v.height) for v in probed.variants] == [(480, 204), (960, 409)]
    for rel, data in first.files.items():  # as the build writes them: the next build finds and keeps them
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)

    def no_pillow(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the image was opened again")

    monkeypatch.setattr(Image, "open", no_pillow)
    again = Assets(site, Memo(tmp_path, "site-pictures"))
    assert again.picture(source, "guide-2027-04", "封面") == probed
    assert again.kept == set(first.files) and not again.files

    (tmp_path / "state" / "cache" / "site-pictures.marshal").write_bytes(b"\x00damaged")
    monkeypatch.undo()
    assert Assets(site, Memo(tmp_path, "site-pictures")).picture(source, "guide-2027-04", "封面") == probed
