"""Shortcuts taken for speed give exactly what the general code gives: YAML construction, template escaping."""

from __future__ import annotations

import random
from pathlib import Path

import markupsafe
import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.exceptions import UndefinedError

from pipeline.channels.site.render import _escape, make_environment
from pipeline.content.parsed import split
from pipeline.content.sources import YAML_LOADER

REPO = Path(__file__).resolve().parents[1]


class _PyYamlLoader(yaml.CSafeLoader):  # what YAML_LOADER was before its direct construction
    pass


_PyYamlLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def _load(text: str, loader: type) -> tuple[str, object]:
    try:
        return "ok", yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        return "error", str(exc)


def _front_matters() -> list[str]:
    files = sorted(REPO.glob("routes/*.md")) + sorted(REPO.glob("content/**/*.md")) + sorted(REPO.glob("tests/fixtures/**/*.md"))
    texts = [parts[0] for parts in (split(f.read_text(encoding="utf-8")) for f in files) if parts]
    assert len(texts) > 70
    return texts


TRICKY = [
    "a: &x [1, 2]\nb: *x\n",  # an alias: the same list twice
    "base: &b {k: 1}\nitem:\n  <<: *b\n  j: 2\n",  # merge key
    "1: one\n2.5: two\nnull: three\ntrue: four\n",  # keys that are not text
    "? [a, b]\n: unhashable\n",  # a key PyYAML rejects
    "when: 2027-04-31\nat: 2027-04-01 09:00:00\n",  # dates stay text
    "a: !!set {x, y}\n",
    "a: !!binary aGVsbG8=\n",
    "a: !!python/object:os.system x\n",  # unknown tag: the constructor's error
    "a: 1\na: 2\n",  # duplicate key: the last wins
    "list:\n  - {a: 1, b: [x, {c: ~}]}\n  - - nested\n    - 0x1F\n  - .inf\n  - -1_000\n  - 1:30\n",
    "text: 'quoted'\nother: \"esc\\t\"\nyes_: yes\nno_: No\nempty:\n",
    "!!map {a: 1}\n",
    "- just\n- a list\n",
    "plain scalar\n",
    "a: *missing\n",  # composer error
    "a: [unclosed\n",
    "",
]


def test_direct_yaml_construction_equals_pyyaml() -> None:
    texts = _front_matters() + TRICKY
    rng = random.Random(7)
    for text in list(texts[:40]):  # lines dropped or swapped at random: broken and odd documents too
        lines = text.split("\n")
        for _ in range(5):
            mutated = lines[:]
            rng.shuffle(mutated) if rng.random() < 0.5 else mutated.pop(rng.randrange(len(mutated)))
            texts.append("\n".join(mutated))
    for text in texts:
        ours, theirs = _load(text, YAML_LOADER), _load(text, _PyYamlLoader)
        assert ours == theirs and repr(ours) == repr(theirs), text


def test_direct_yaml_construction_keeps_aliases_shared() -> None:
    data = yaml.load("a: &x [1, 2]\nb: *x\n", Loader=YAML_LOADER)
    assert data["a"] is data["b"]


class _Html:
    def __html__(self) -> str:
        return "<b>safe</b>"


@pytest.mark.parametrize("value", ["", "plain 中文", "<a href=\"x\">&'</a>", markupsafe.Markup("<i>kept</i>"), 42, 1.5,
                                   None, _Html(), ["<x>"], "\u00a0&amp;"])
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


# ---- iCalendar files: feeds writes them as text; icalendar's objects are the reference --------------------

def _reference_vevent(site, view):  # type: ignore[no-untyped-def]
    """How feeds made an event with the icalendar library before it wrote the text itself."""
    import icalendar
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from pipeline.channels.site.feeds import SHANGHAI, TENTATIVE_MARK, uid

    e = view.event
    config = site.config
    item = icalendar.Event()
    item.add("uid", uid(config, e.id))
    stamp = e.verified or site.month.first_day
    item.add("dtstamp", datetime.combine(stamp, time(0, 0), ZoneInfo("UTC")))
    if e.start_time is None:
        item.add("dtstart", e.start_date)
        item.add("dtend", e.end_date + timedelta(days=1))
    else:
        item.add("dtstart", datetime.combine(e.start_date, e.start_time, SHANGHAI))
        if e.end_time is not None:
            end = datetime.combine(e.end_date, e.end_time, SHANGHAI)
        else:
            end = datetime.combine(e.end_date + timedelta(days=1), time(0, 0), SHANGHAI)
        item.add("dtend", end)
    item.add("summary", e.title + (TENTATIVE_MARK if e.tentative else ""))
    item.add("location", f"咸宁市{view.county.name} {e.venue}")
    item.add("description", f"{e.summary}\n日期来源：{e.source_ref}\n详情：{config.url(view.path)}")
    item.add("url", config.url(view.path))
    item.add("status", "TENTATIVE" if e.tentative else "CONFIRMED")
    item.add("transp", "TRANSPARENT")
    return item


def _reference_calendar(name: str, with_timezone: bool, items: list) -> bytes:  # type: ignore[type-arg]
    import icalendar
    from datetime import datetime, timedelta

    cal = icalendar.Calendar()
    cal.add("prodid", "-//xnwl//咸宁文旅//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Asia/Shanghai")
    if with_timezone:
        tz = icalendar.Timezone()
        tz.add("tzid", "Asia/Shanghai")
        standard = icalendar.TimezoneStandard()
        standard.add("dtstart", datetime(1992, 1, 1))
        standard.add("tzoffsetfrom", timedelta(hours=8))
        standard.add("tzoffsetto", timedelta(hours=8))
        standard.add("tzname", "CST")
        tz.add_component(standard)
        cal.add_component(tz)
    for item in items:
        cal.add_component(item)
    return cal.to_ical()


_NASTY = ["", "a,b;c\\d", "line\nbreak\r\nand \\N and \\n", "\r alone", "x" * 200, "中" * 80, "混合 mixed,文字;" * 9,
          "emoji 🏔️🌸 " * 12, "\u00a0\u3000\t tab", "a" * 73 + "中", "a" * 74 + "中文", "ab" + "é" * 40]


def _site_and_views(root: Path):  # type: ignore[no-untyped-def]
    from pipeline.channels.site.assets import Assets
    from pipeline.channels.site.build import archive_plans
    from pipeline.channels.site.views import SiteData
    from pipeline.config import load_config
    from pipeline.content.load import load_content
    from pipeline.plan import Month

    config = load_config(root)
    content, problems = load_content(root)
    assert not problems.errors
    month = Month(2027, 4)
    site = SiteData(config, content, month, archive_plans(config, content, month), {}, Assets(root / "no-site"))
    return site, list(site.events.values())


def test_calendars_equal_icalendar_output() -> None:
    import dataclasses
    from datetime import date, time

    from pipeline.channels.site import feeds

    site, views = _site_and_views(REPO)
    rng = random.Random(3)
    odd = []
    for n, view in enumerate(views[:12]):  # times of day, odd text, long lines, other dates
        e = view.event
        start_time = [None, time(9, 30), time(0, 0), time(23, 59, 59)][n % 4]
        end_time = [None, time(17, 0)][n % 2] if start_time is not None else None
        changed = dataclasses.replace(e, title=rng.choice(_NASTY) + e.title, summary=rng.choice(_NASTY),
                                      venue=rng.choice(_NASTY), source_ref=rng.choice(_NASTY),
                                      start_time=start_time, end_time=end_time, verified=[None, date(2026, 1, 31)][n % 2],
                                      status=["tentative", "confirmed"][n % 2])
        odd.append(dataclasses.replace(view, event=changed))
    assert any(v.event.start_time is None for v in views)
    for view in views + odd:
        expected = _reference_calendar(view.event.title, view.event.start_time is not None,
                                       [_reference_vevent(site, view)])
        assert feeds.event_calendar(site, view) == expected, view.event.id
    everything = _reference_calendar(f"{site.config.brand_short_name}活动", True,
                                     [_reference_vevent(site, view) for view in views])
    assert feeds.events_calendar(site) == everything
    site.__dict__["events"] = {f"{v.event.id}-{n}": v for n, v in enumerate(views + odd)}
    assert feeds.events_calendar(site) == _reference_calendar(f"{site.config.brand_short_name}活动", True,
                                                              [_reference_vevent(site, v) for v in views + odd])


@pytest.mark.parametrize("text", _NASTY + ["a" * n for n in (73, 74, 75, 76, 148, 149)] + ["中" * n for n in (24, 25, 26, 50)])
def test_folding_equals_icalendar(text: str) -> None:
    from icalendar.parser import escape_char, foldline

    from pipeline.channels.site.feeds import _fold, _text

    assert _text(text) == escape_char(text)
    line = "DESCRIPTION:" + _text(text)
    assert _fold(line) == foldline(line)
