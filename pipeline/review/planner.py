"""Year planner: what the guides, featured routes and events cover, month by month, by theme and county."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipeline.colors import mix, readable_text
from pipeline.config import Config
from pipeline.content.model import Content
from pipeline.content.problems import UserError
from pipeline.plan import Month, make_plan
from pipeline.templates import environment, template_dirs


@dataclass(frozen=True)
class CoverageRow:
    id: str
    name: str
    color: str
    counts: tuple[int, ...]  # one per month, January first


@dataclass(frozen=True)
class YearCoverage:
    year: int
    guide_titles: tuple[str | None, ...]
    themes: tuple[CoverageRow, ...]
    counties: tuple[CoverageRow, ...]
    totals: tuple[int, ...]  # items per month (guide picks + featured routes + events)

    def cell(self, color: str, count: int) -> tuple[str, str]:
        """Background and text colour of a heat-map cell: darker for more items, white for none."""
        if count == 0:
            return "#ffffff", "#8a1c1c"
        background = mix(color, 0.2 + 0.8 * min(count, self.peak) / self.peak)
        return background, readable_text(background)

    @property
    def peak(self) -> int:
        return max([1, *(c for row in self.themes + self.counties for c in row.counts)])

    def gaps(self) -> list[str]:
        notes = []
        for index, title in enumerate(self.guide_titles):
            if title is None:
                notes.append(f"{index + 1}月没有周末指南")
        for row in self.themes + self.counties:
            empty = [str(i + 1) for i, c in enumerate(row.counts) if c == 0]
            if len(empty) >= 6:
                notes.append(f"{row.name}全年有 {len(empty)} 个月没有内容（{'、'.join(empty)}月）")
        return notes


def year_coverage(content: Content, year: int, featured_per_month: int) -> YearCoverage:
    themes = {t: [0] * 12 for t in content.themes}
    counties = {c: [0] * 12 for c in content.counties}
    titles: list[str | None] = []
    totals = [0] * 12
    for index in range(12):
        month = Month(year, index + 1)
        try:
            plan = make_plan(content, month, featured_per_month)
        except UserError:
            titles.append(None)
            continue
        titles.append(plan.guide.title)
        routes = [content.routes[p.ref] for p in plan.guide.picks if p.kind == "route"] + list(plan.featured)
        events = {e.id: e for e in plan.events}
        events.update({p.ref: content.events[p.ref] for p in plan.guide.picks if p.kind == "event"})
        theme_hits: Counter[str] = Counter(r.theme for r in routes)
        county_hits: Counter[str] = Counter(c for r in routes for c in r.counties)
        for event in events.values():
            county_hits[event.county] += 1
            for rid in event.routes:
                theme_hits[content.routes[rid].theme] += 1
        for key, count in theme_hits.items():
            themes[key][index] += count
        for key, count in county_hits.items():
            counties[key][index] += count
        totals[index] = len(routes) + len(events)
    return YearCoverage(
        year,
        tuple(titles),
        tuple(CoverageRow(t.id, t.name, t.color, tuple(themes[t.id])) for t in content.themes.values()),
        tuple(CoverageRow(c.id, c.name, c.color, tuple(counties[c.id])) for c in content.counties.values()),
        tuple(totals),
    )


def render_planner(config: Config, content: Content, year: int, remember: bool = False) -> bytes:
    """The year planner page. `remember`: keep the page in state/cache/ by the fingerprint of everything it is
    rendered from (code, every template folder, config and the year's coverage), and take it from there when
    all of that is the same (a batch after an edit that changes no month's guide, picks or featured routes)."""
    coverage = year_coverage(content, year, config.featured_per_month)
    if not remember:
        return _render(config, coverage)
    from pipeline.channels.memo import Memo
    from pipeline.fingerprint import Fingerprinter, code_digest, folders_digest

    key = Fingerprinter(code_digest(), folders_digest(template_dirs(config.root)), "planner").of(config, coverage)
    if key is None:
        return _render(config, coverage)
    memo = Memo(config.root, "review-planner", cap=8)
    page: bytes = memo.get("planner", key, lambda: _render(config, coverage))
    memo.save()
    return page


def _render(config: Config, coverage: YearCoverage) -> bytes:
    template = environment(config.root).get_template("review/planner.html")
    return template.render(config=config, coverage=coverage, months=range(1, 13)).encode("utf-8")


def planner_path(output_root: Path, year: int) -> Path:
    return output_root / "plan" / f"{year}.html"
