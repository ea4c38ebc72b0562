"""Editorial review end to end: checks in the batch, decisions tied to content hashes, the publish gate."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import REPO, xnwl
from pipeline.config import load_config
from pipeline.content.load import load_content
from pipeline.plan import Month, make_plan
from pipeline.review.checks import check_batch
from pipeline.review.items import month_items
from publishing import built_publishable
from wechat_fake import FakeServer, FakeWeChat

MONTH = "2027-04"
APPID, SECRET = "wx1234567890abcdef", "s3cr3t-for-tests-only-0123456789ab"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_publishable(tmp_path_factory, MONTH)  # its articles are pushed, its site deployed


@pytest.fixture
def tree(built: Path, tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(built, root)
    return root


def page(root: Path) -> BeautifulSoup:
    return BeautifulSoup((root / "output" / MONTH / "review/index.html").read_text(encoding="utf-8"), "html.parser")


def state_of(root: Path, item: str) -> str:
    card = page(root).find(id="item-" + item.replace("/", "-"))
    return card.select_one(".state")["data-state"]


def test_batch_writes_review_page_findings_and_year_planner(built: Path) -> None:
    folder = built / "output" / MONTH
    soup = page(built)
    ids = [section["id"] for section in soup.select("section[id^=item-]")]
    assert "item-wechat-guide-2027-04" in ids and "item-posters-guide-2027-04" in ids
    assert len(ids) == 4 + 1 + 2 + 2  # 4 articles; poster sets of the guide, 2 featured routes, 2 events
    assert all(state.get_text() == "待审" for state in soup.select(".state"))
    assert soup.select("iframe[srcdoc]") and soup.select("img[src^='../posters/']")
    for link in soup.select("a[href^='../../site/']"):
        assert (folder / "review" / link["href"]).resolve().is_file(), link["href"]
    findings = json.loads((folder / "review/findings.json").read_text(encoding="utf-8"))
    assert {f["check"] for f in findings} >= {"unverified", "tentative"}
    assert all(f["severity"] == "warning" for f in findings)
    assert (built / "output/plan/2027.html").is_file()
    # the review page and the year planner link to each other
    (to_planner,) = soup.select("a[href$='plan/2027.html']")
    assert (folder / "review" / to_planner["href"]).resolve() == (built / "output/plan/2027.html").resolve()
    planner = BeautifulSoup((built / "output/plan/2027.html").read_text(encoding="utf-8"), "html.parser")
    april = {a["href"] for a in planner.select("a") if "2027-04" in a["href"]}
    assert april and all((built / "output/plan" / href).resolve() == (folder / "review/index.html").resolve()
                         for href in april)


def test_approval_is_lost_when_the_source_changes(tree: Path) -> None:
    run = xnwl("review", "approve", "wechat/guide-2027-04", "--month", MONTH, "--by", "张三", "--note", "可以发", root=tree)
    assert run.code == 0, run.text
    assert state_of(tree, "wechat/guide-2027-04") == "已通过"
    stored = json.loads((tree / "content/review/2027-04.json").read_text(encoding="utf-8"))
    assert stored["decisions"][0]["by"] == "张三" and stored["decisions"][0]["item"] == "wechat/guide-2027-04"
    assert "已通过" in xnwl("review", "list", "--month", MONTH, root=tree).out

    guide = tree / "content/weekend/04.md"
    guide.write_text(guide.read_text(encoding="utf-8").replace("四月的咸宁，山花烂漫。", "四月的咸宁，满山杜鹃。"),
                     encoding="utf-8")
    assert xnwl("batch", "--month", MONTH, root=tree).code == 0
    assert state_of(tree, "wechat/guide-2027-04") == "待审"
    card = page(tree).find(id="item-wechat-guide-2027-04")
    assert "之后内容有改动" in card.get_text()
    diff = card.find("h3", string="通过之后的改动").find_next("div", class_="diff")
    assert [d.get_text() for d in diff.find_all("del")] == ["- 四月的咸宁，山花烂漫。"]
    assert [i.get_text() for i in diff.find_all("ins")] == ["+ 四月的咸宁，满山杜鹃。"]
    listing = xnwl("review", "list", "--month", MONTH, root=tree).out
    assert "待审" in next(line for line in listing.splitlines() if "wechat/guide-2027-04" in line)


def test_rejection_with_a_note_shows_on_the_page(tree: Path) -> None:
    run = xnwl("review", "reject", "wechat/events-2027-04", "--month", MONTH, "--by", "李四", root=tree)
    assert run.code == 1 and "--note" in run.err and "Traceback" not in run.text
    run = xnwl("review", "reject", "wechat/events-2027-04", "--month", MONTH, "--by", "李四",
               "--note", "村晚的时间再核实一下", root=tree)
    assert run.code == 0, run.text
    card = page(tree).find(id="item-wechat-events-2027-04")
    assert card.select_one(".state")["data-state"] == "退回修改"
    assert "李四" in card.get_text() and "村晚的时间再核实一下" in card.get_text()


def test_unknown_item_and_missing_batch_are_messages(tree: Path) -> None:
    run = xnwl("review", "approve", "wechat/nothing", "--month", MONTH, "--by", "张三", root=tree)
    assert run.code == 1 and "wechat/guide-2027-04" in run.err and "Traceback" not in run.text
    run = xnwl("review", "list", "--month", "2027-05", root=tree)
    assert run.code == 1 and "xnwl batch --month 2027-05" in run.err


def test_diff_against_last_month_shows_a_changed_sentence(tree: Path) -> None:
    assert xnwl("batch", "--month", "2027-05", root=tree).code == 0
    card = BeautifulSoup((tree / "output/2027-05/review/index.html").read_text(encoding="utf-8"), "html.parser").find(
        id="item-wechat-guide-2027-05")
    diff = card.find("h3", string="与上月同类稿件相比").find_next("div", class_="diff")
    assert "- 四月的咸宁，山花烂漫。" in [d.get_text() for d in diff.find_all("del")]
    assert "+ 五月的咸宁，初夏。" in [i.get_text() for i in diff.find_all("ins")]


def test_push_sends_only_approved_articles(tree: Path) -> None:
    env = {"WECHAT_APPID": APPID, "WECHAT_APPSECRET": SECRET}
    with FakeServer(FakeWeChat(APPID, SECRET)) as server:
        env["WECHAT_API_BASE"] = server.url
        run = xnwl("wechat", "push", "--month", MONTH, root=tree, env=env)
        assert run.code == 1 and "还没有通过审核" in run.err and server.fake.calls == []
        assert xnwl("review", "approve", "wechat/guide-2027-04", "--month", MONTH, "--by", "张三", root=tree).code == 0
        run = xnwl("wechat", "push", "--month", MONTH, root=tree, env=env)
        assert run.code == 0, run.text
        (draft,) = server.fake.drafts.values()
        assert [a["title"] for a in draft] == ["4月周末好去处｜四月·山花烂漫"]
        assert "未通过审核、不推送：events-2027-04" in run.out
        run = xnwl("wechat", "push", "--month", MONTH, "--force", root=tree, env=env)
        assert run.code == 1 and "--by" in run.err
        run = xnwl("wechat", "push", "--month", MONTH, "--force", "--by", "王五", root=tree, env=env)
        assert run.code == 0, run.text
    overrides = json.loads((tree / "content/review/2027-04.json").read_text(encoding="utf-8"))["overrides"]
    assert overrides[-1]["by"] == "王五" and overrides[-1]["action"] == "wechat push --force"


def test_site_preview_banner_and_deploy_gate(tree: Path, tmp_path: Path) -> None:
    guide_page = tree / "output/site/weekend/2027-04/index.html"
    assert "待审：本月内容尚未通过审核" in guide_page.read_text(encoding="utf-8")
    target = tmp_path / "public"
    run = xnwl("site", "deploy", str(target), "--no-search", root=tree)
    assert run.code == 1 and "还没有通过审核的月份" in run.err and not target.exists()

    assert xnwl("review", "approve", "wechat/guide-2027-04", "--month", MONTH, "--by", "张三", root=tree).code == 0
    assert "待审：本月内容" not in guide_page.read_text(encoding="utf-8")  # the preview follows the decision
    assert xnwl("batch", "--month", "2027-05", root=tree).code == 0  # May: built, not approved
    assert "待审：本月内容" in (tree / "output/site/weekend/2027-05/index.html").read_text(encoding="utf-8")

    run = xnwl("site", "deploy", str(target), "--no-search", root=tree)
    assert run.code == 0, run.text
    assert (target / "weekend/2027-04/index.html").is_file()
    assert not (target / "weekend/2027-05").exists()  # not approved: not published
    assert "待审" not in (target / "weekend/2027-04/index.html").read_text(encoding="utf-8")
    home = (target / "index.html").read_text(encoding="utf-8")
    assert "2027年4月" in home and "weekend/2027-05/" not in home

    run = xnwl("site", "deploy", str(target), "--no-search", "--force", "--by", "王五", root=tree)
    assert run.code == 0 and (target / "weekend/2027-05/index.html").is_file()
    overrides = json.loads((tree / "content/review/2027-05.json").read_text(encoding="utf-8"))["overrides"]
    assert overrides[-1]["action"] == "site deploy --force" and overrides[-1]["by"] == "王五"
    run = xnwl("site", "deploy", str(tree / "output" / "public"), root=tree)
    assert run.code == 1 and "在项目目录" in run.err and not (tree / "output" / "public").exists()


# each check fires on a planted example and stays quiet on clean content ---------------------------

@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shipped")
    for part in ("routes", "content", "templates"):
        shutil.copytree(REPO / part, root / part)
    shutil.copy(REPO / "xnwl.toml", root / "xnwl.toml")
    run = xnwl("batch", "--month", MONTH, root=root)
    assert run.code == 0, run.text
    return root


def _check(root: Path, batch: Path | None = None, previous=None, publish=date(2027, 4, 1), mutate=None):  # type: ignore[no-untyped-def]
    config = load_config(root)
    content, _ = load_content(root)
    plan = make_plan(content, Month(2027, 4), config.featured_per_month)
    if mutate:
        content, plan = mutate(content, plan)
    folder = batch or root / "output" / MONTH
    items = month_items(content, plan, folder)
    return check_batch(config, content, plan, folder, items, publish, previous, root / "output" / "site")


def test_shipped_content_has_no_errors(shipped: Path) -> None:
    findings = _check(shipped)
    assert [f for f in findings if f.severity == "error"] == []
    assert {f.check for f in findings} <= {"unverified", "tentative"}


def _planted(shipped: Path, tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    batch = tmp_path / MONTH
    shutil.copytree(shipped / "output" / MONTH, batch)
    edit(batch)
    return batch


def _edit_article(slug: str, old: str, new: str):  # type: ignore[no-untyped-def]
    def edit(batch: Path) -> None:
        path = batch / "wechat" / f"{slug}.html"
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        drafts = json.loads((batch / "wechat/drafts.json").read_text(encoding="utf-8"))
        for article in drafts["articles"]:
            article["content"] = article["content"].replace(old, new, 1)
        (batch / "wechat/drafts.json").write_text(json.dumps(drafts, ensure_ascii=False), encoding="utf-8")
    return edit


GUIDE = "guide-2027-04"


@pytest.mark.parametrize("check,edit", [
    ("absolute-claim", _edit_article(GUIDE, "四月是咸宁春色浓的时候", "四月是咸宁最美的时候")),
    ("copywriting", _edit_article(GUIDE, "四月是咸宁春色浓的时候，", "四月是咸宁春色浓的时候,")),
    ("image-alt", _edit_article(GUIDE, "</section>", '<img src="https://mmbiz.qpic.cn/x.jpg"></section>')),
    ("broken-link", _edit_article(GUIDE, "</section>", '<a href="https://xnwl.example.com/routes/nowhere/">x</a></section>')),
    ("broken-link", _edit_article(GUIDE, "</section>", '<a href="javascript:alert(1)">x</a></section>')),
    ("wechat-limit", _edit_article(GUIDE, "</section>", "<p>" + "长" * 20000 + "</p></section>")),
])
def test_article_checks_fire_on_planted_examples(shipped: Path, tmp_path: Path, check: str, edit) -> None:  # type: ignore[no-untyped-def]
    findings = _check(shipped, _planted(shipped, tmp_path, edit))
    assert check in {f.check for f in findings if f.item == f"wechat/{GUIDE}"}


def test_poster_checks_fire_on_planted_examples(shipped: Path, tmp_path: Path) -> None:
    def edit(batch: Path) -> None:
        index = json.loads((batch / "posters/index.json").read_text(encoding="utf-8"))
        index["posters"][0]["texts"][0]["contrast"] = 2.1
        index["posters"][1]["texts"][0]["missing_glyphs"] = ["𠀀"]
        (batch / "posters/index.json").write_text(json.dumps(index, ensure_ascii=False), encoding="utf-8")
    checks = {f.check for f in _check(shipped, _planted(shipped, tmp_path, edit))}
    assert {"poster-contrast", "poster-glyph"} <= checks


def test_plan_checks_fire_on_planted_examples(shipped: Path) -> None:
    def few_picks(content, plan):  # type: ignore[no-untyped-def]
        return content, replace(plan, guide=replace(plan.guide, picks=plan.guide.picks[:3]))
    assert "few-picks" in {f.check for f in _check(shipped, mutate=few_picks)}
    plan = make_plan(load_content(shipped)[0], Month(2027, 4), 2)
    repeat = _check(shipped, previous=(plan.featured[0].id,))
    assert [f.check for f in repeat if f.severity == "error"] == ["featured-repeat"]
    past = _check(shipped, publish=date(2027, 4, 30))
    assert "event-past" in {f.check for f in past}
    assert "event-past" not in {f.check for f in _check(shipped)}


def test_check_command_reports_and_refreshes(shipped: Path) -> None:
    # the shipped xnwl.toml still names the example domain: before publishing, that is an error
    run = xnwl("check", "--month", MONTH, root=shipped)
    assert run.code == 1, run.text
    assert "[错误] 本批次 · xnwl.toml 的 [site] base_url 仍是示例地址 https://xnwl.example.com/" in run.err
    assert "检查完成：1 处错误" in run.out and "尚未核实" in run.out
    config = shipped / "xnwl.toml"
    original = config.read_text(encoding="utf-8")
    config.write_text(original.replace("https://xnwl.example.com/", "https://xnwl.xianning.gov.cn/"), encoding="utf-8")
    try:
        run = xnwl("check", "--month", MONTH, root=shipped)
    finally:
        config.write_text(original, encoding="utf-8")
    assert run.code == 0, run.text
    assert "检查完成：0 处错误" in run.out and "base_url" not in run.text
