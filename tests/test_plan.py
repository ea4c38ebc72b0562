"""The month plan: weekends, statutory holidays, guide choice, events, featured-route rotation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.content.load import load_content
from pipeline.content.problems import UserError
from pipeline.plan import Month, featured_route_ids, make_plan

FIXTURE = Path(__file__).parent / "fixtures" / "basic"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fixture_content():
    content, problems = load_content(FIXTURE)
    assert not problems.errors
    return content


def test_weekends_of_april_2027(fixture_content) -> None:
    plan = make_plan(fixture_content, Month(2027, 4))
    assert [(w.saturday.day, w.sunday.day) for w in plan.weekends] == [
        (date(2027, 4, 3), date(2027, 4, 4)), (date(2027, 4, 10), date(2027, 4, 11)),
        (date(2027, 4, 17), date(2027, 4, 18)), (date(2027, 4, 24), date(2027, 4, 25)),
    ]
    assert not plan.holiday_data
    assert any("2027 年的法定节假日" in w for w in plan.warnings)


def test_weekend_split_across_months_is_kept(fixture_content) -> None:
    # 2026-11-01 is a Sunday: its weekend starts on Saturday 31 October and belongs to both months.
    plan = make_plan(fixture_content, Month(2026, 10))
    assert (plan.weekends[-1].saturday.day, plan.weekends[-1].sunday.day) == (date(2026, 10, 31), date(2026, 11, 1))


def test_national_day_2026_with_makeup_workday(fixture_content) -> None:
    plan = make_plan(fixture_content, Month(2026, 10))
    assert plan.holiday_data
    assert [(p.first, p.last, p.holiday) for p in plan.rest_periods] == [(date(2026, 10, 1), date(2026, 10, 7), "国庆节")]
    assert plan.makeup_workdays == (date(2026, 10, 10),)
    saturday_10th = next(w.saturday for w in plan.weekends if w.saturday.day == date(2026, 10, 10))
    assert saturday_10th.makeup_workday and not saturday_10th.rest
    assert plan.weekends[0].saturday.holiday == "国庆节"
    assert not any("法定节假日" in w for w in plan.warnings)


def test_year_override_guide_wins(fixture_content) -> None:
    assert make_plan(fixture_content, Month(2026, 10)).guide.source == "content/weekend/2026-10.md"
    assert make_plan(fixture_content, Month(2027, 4)).guide.source == "content/weekend/04.md"


def test_events_overlapping_the_month(fixture_content) -> None:
    plan = make_plan(fixture_content, Month(2027, 4))
    # the gala runs 03-28..04-02, so it overlaps April; the heritage day is in June
    assert [e.id for e in plan.events] == ["2027-04-gala", "2027-04-azalea"]
    assert plan.events[0].start_time is not None


def test_missing_guide_is_a_user_error(fixture_content) -> None:
    with pytest.raises(UserError, match="content/weekend/09.md"):
        make_plan(fixture_content, Month(2027, 9))


def test_bad_month_text() -> None:
    for text in ("2027-4", "2027-00", "27-04", "2027/04", "abcd-ef"):
        with pytest.raises(UserError, match="YYYY-MM"):
            Month.parse(text)
    assert Month.parse("2027-04") == Month(2027, 4)
    assert Month(2027, 12).shift(1) == Month(2028, 1)


def test_featured_routes_never_repeat_two_months_running() -> None:
    content, _ = load_content(REPO)
    months = [Month(2026, 1).shift(i) for i in range(48)]
    chosen = {m: featured_route_ids(content, m, 2) for m in months}
    for previous, current in zip(months, months[1:]):
        assert not set(chosen[previous]) & set(chosen[current]), (previous, current)
    for month in months:
        assert len(chosen[month]) == 2
        for rid in chosen[month]:
            assert month.month in content.routes[rid].best_months
    # rotation: over a year more than a handful of different routes get featured
    assert len({rid for m in months[:12] for rid in chosen[m]}) >= 15


def test_plan_is_deterministic() -> None:
    content, _ = load_content(REPO)
    first = make_plan(content, Month(2027, 4)).to_json()
    second = make_plan(load_content(REPO)[0], Month(2027, 4)).to_json()
    assert first == second


def test_small_pool_warns_instead_of_repeating(fixture_content) -> None:
    # only chibi-sanguo is in season in October: featured alternates with an empty month rather than repeating
    plan = make_plan(fixture_content, Month(2026, 10))
    assert len(plan.featured) <= 1
    assert any("适合的线路不足" in w for w in plan.warnings)
