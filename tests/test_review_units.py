"""Review building blocks: the claims and copywriting checks, the decision store, the year planner."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from pipeline.config import load_config
from pipeline.content.load import load_content
from pipeline.content.problems import UserError
from pipeline.plan import Month
from pipeline.review.checks import ALLOWED_PHRASES, absolute_claims, allowed_phrases, copywriting_problems
from pipeline.review.decisions import APPROVED, REJECTED, decide, item_state, load_decisions, record_override
from pipeline.review.items import ReviewItem, html_text
from pipeline.review.planner import render_planner, year_coverage

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("text,words", [
    ("咸宁最美的秋天", ["最美"]),
    ("全省第一的温泉", ["第一"]),
    ("顶级享受，国家级水准", ["顶级", "国家级"]),
    ("三国赤壁古战场是国家5A级旅游景区", []),
    ("潜山国家森林公园第一天就能走完", []),
    ("这是最佳选择", ["最佳"]),
])
def test_absolute_claims(text: str, words: list[str]) -> None:
    hits = absolute_claims(text, ALLOWED_PHRASES)
    assert [h.split("”")[0].lstrip("“") for h in hits] == words


def test_allow_list_file_extends_phrases(tmp_path: Path) -> None:
    (tmp_path / "content/review").mkdir(parents=True)
    (tmp_path / "content/review/allow.txt").write_text("# 真实称号\n中国桂花之乡\n", encoding="utf-8")
    assert "中国桂花之乡" in allowed_phrases(tmp_path)


def test_copywriting() -> None:
    assert copywriting_problems("乘G4京港澳高速约1小时，到咸宁北站。") == []
    assert copywriting_problems("网址：https://example.com/a?b=1") == []
    [problem] = copywriting_problems("网址是 https://example.com/a 。")  # stray space before a full stop
    assert "https://example.com/a。" in problem
    [problem] = copywriting_problems("欢迎来玩,很好!")
    assert "欢迎来玩，很好！" in problem
    [problem] = copywriting_problems("咸宁 温泉")
    assert "空格" in problem


def test_html_text_keeps_blocks() -> None:
    assert html_text("<section><h1>标题</h1><p>第一段&amp;</p><p>第二<br>行</p></section>") == "标题\n第一段&\n第二\n行\n"


def _item(text: str, digest: str) -> ReviewItem:
    return ReviewItem("wechat/guide-2027-04", "article", "四月", ("wechat/guide-2027-04.html",), text, digest, "weekend/2027-04/")


def test_decisions_follow_the_content_hash(tmp_path: Path) -> None:
    month = Month(2027, 4)
    item = _item("原文\n", "hash-1")
    assert item_state(load_decisions(tmp_path, month), item).label == "待审"
    decide(tmp_path, month, item, APPROVED, "张三", "可以发")
    state = item_state(load_decisions(tmp_path, month), item)
    assert state.label == "已通过" and state.last.by == "张三" and state.last.note == "可以发"
    changed = _item("改过的原文\n", "hash-2")
    state = item_state(load_decisions(tmp_path, month), changed)
    assert state.label == "待审" and state.changed_since_decision and state.approved.text == "原文\n"
    decide(tmp_path, month, changed, REJECTED, "李四", "标题太长")
    assert item_state(load_decisions(tmp_path, month), changed).label == "退回修改"
    stored = json.loads((tmp_path / "content/review/2027-04.json").read_text(encoding="utf-8"))
    assert [d["state"] for d in stored["decisions"]] == ["approved", "rejected"]
    assert "\\u" not in (tmp_path / "content/review/2027-04.json").read_text(encoding="utf-8")


def test_decisions_need_a_name_and_a_reason(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="--by"):
        decide(tmp_path, Month(2027, 4), _item("x", "h"), APPROVED, "  ")
    with pytest.raises(UserError, match="--note"):
        decide(tmp_path, Month(2027, 4), _item("x", "h"), REJECTED, "王五", "")
    with pytest.raises(UserError, match="--by"):
        record_override(tmp_path, Month(2027, 4), "wechat push", "", [])


def test_broken_decisions_file_is_a_message(tmp_path: Path) -> None:
    (tmp_path / "content/review").mkdir(parents=True)
    (tmp_path / "content/review/2027-04.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(UserError, match="已损坏"):
        load_decisions(tmp_path, Month(2027, 4))


def test_year_planner_covers_every_month_and_names_gaps() -> None:
    content, _ = load_content(REPO)
    coverage = year_coverage(content, 2027, 2)
    assert all(coverage.guide_titles) and len(coverage.themes) == 8 and len(coverage.counties) == 6
    bishu = next(r for r in coverage.themes if r.id == "bishu")
    assert bishu.counts[6] > 0 and bishu.counts[0] == 0  # summer cool in July, none in January
    # a theme is counted against its season (its routes' best_months): 避暑休闲 in January or 沐泉滑雪 in
    # summer is no gap; an empty month in season is
    assert bishu.season == (6, 7, 8) and not bishu.gaps()
    quanxue = next(r for r in coverage.themes if r.id == "quanxue")
    assert quanxue.season == (1, 2, 12) and quanxue.counts[6] == 0 and not quanxue.gaps()
    gaps = coverage.gaps()
    assert not any(name in note for note in gaps for name in ("避暑休闲", "沐泉滑雪", "赏花品桂"))
    for row in coverage.themes:
        assert row.gaps() == [m for m in row.season if row.counts[m - 1] == 0]
        if row.gaps():
            assert any(note.startswith(row.name) and f"{'、'.join(map(str, row.gaps()))}月" in note for note in gaps)

    page = render_planner(load_config(REPO), content, 2027).decode("utf-8")

    class Cells(HTMLParser):
        rows = 0

        def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
            if tag == "tr":
                Cells.rows += 1

    Cells().feed(page)
    assert Cells.rows == 1 + 8 + 1 + 6 + 1 + 12
    soup = BeautifulSoup(page, "html.parser")
    skiing = next(tr for tr in soup.select("tr") if tr.th and tr.th.get_text(strip=True) == "沐泉滑雪")
    cells = skiing.select("td")
    assert [c.get_text() for c in cells][5:8] == ["–", "–", "–"] and "off" in cells[6]["class"]
    assert "zero" not in " ".join(" ".join(c.get("class", [])) for c in cells)
    # every month links to its review page (output/plan/<year>.html -> output/<YYYY-MM>/review/index.html)
    links = [a["href"] for a in soup.select("thead a")][:12]
    assert links == [f"../2027-{m:02d}/review/index.html" for m in range(1, 13)]
    assert 'lang="zh-CN"' in page and "2027 年内容规划" in page
