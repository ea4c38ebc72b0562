"""The approval stands for the bytes that are sent: every field of the draft/add payload, recomputed by push.

Also: a decisions file of the wrong shape is a message naming the file and the entry in every command that
reads it, and --force is recorded only when something was actually published.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import xnwl
from publishing import built_publishable
from wechat_fake import FakeServer, FakeWeChat

MONTH = "2027-04"
APPID, SECRET = "wxgate0123456789abcd", "gate-secret-0123456789abcdef0123"
ARTICLES = ["wechat/guide-2027-04", "wechat/events-2027-04", "wechat/route-tongshan-cool",
            "wechat/route-xianan-hotspring"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = built_publishable(tmp_path_factory, MONTH)
    for item in ARTICLES:
        run = xnwl("review", "approve", item, "--month", MONTH, "--by", "张三", root=root)
        assert run.code == 0, run.text
    return root


@pytest.fixture
def tree(built: Path, tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(built, root)
    return root


@pytest.fixture
def fake():  # type: ignore[no-untyped-def]
    with FakeServer(FakeWeChat(APPID, SECRET)) as server:
        yield server


def push(root: Path, server: FakeServer, *args: str):  # type: ignore[no-untyped-def]
    return xnwl("wechat", "push", "--month", MONTH, *args, root=root,
                env={"WECHAT_APPID": APPID, "WECHAT_APPSECRET": SECRET, "WECHAT_API_BASE": server.url})


def states(root: Path) -> dict[str, str]:
    rows = xnwl("review", "list", "--month", MONTH, root=root)
    assert rows.code == 0, rows.text
    found = {}
    for line in rows.out.splitlines()[1:]:
        parts = line.split()
        item = next(p for p in parts if p.startswith(("wechat/", "posters/")))
        found[item] = parts[0]
    return found


def overrides(root: Path) -> list[dict]:  # type: ignore[type-arg]
    return json.loads((root / f"content/review/{MONTH}.json").read_text(encoding="utf-8"))["overrides"]


def test_approved_articles_push_and_carry_every_field(tree: Path, fake: FakeServer) -> None:
    assert all(states(tree)[item] == "已通过" for item in ARTICLES)
    run = push(tree, fake)
    assert run.code == 0, run.text
    (draft,) = fake.fake.drafts.values()
    assert [a["author"] for a in draft] == ["咸宁文旅"] * 4 and [a["need_open_comment"] for a in draft] == [1] * 4


@pytest.mark.parametrize(("old", "new"), [('author = "咸宁文旅"', 'author = "咸宁市文旅局"'),
                                          ("need_open_comment = true", "need_open_comment = false")])
def test_changing_wechat_settings_after_approval_unapproves(tree: Path, fake: FakeServer, old: str, new: str) -> None:
    config = tree / "xnwl.toml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new), encoding="utf-8")
    assert xnwl("batch", "--month", MONTH, root=tree).code == 0
    assert all(states(tree)[item] == "待审" for item in ARTICLES)
    page = (tree / f"output/{MONTH}/review/index.html").read_text(encoding="utf-8")
    card = page.split('id="item-wechat-guide-2027-04"', 1)[1].split("</section>", 1)[0]
    assert "之后内容有改动" in card and "标题和正文文字没有变化；改动在作者" in card
    run = push(tree, fake)
    assert run.code == 1 and "Traceback" not in run.text
    assert "以下文章通过审核后又有改动（或被退回），没有推送任何内容：" in run.err
    for item in ARTICLES:
        assert f"  {item}（" in run.err and "通过审核后内容有改动，现为待审" in run.err
    assert fake.fake.calls == []


@pytest.mark.parametrize("field", ["title", "content", "digest", "content_source_url", "only_fans_can_comment",
                                   "thumb_image"])
def test_hand_editing_drafts_json_after_approval_unapproves(tree: Path, fake: FakeServer, field: str) -> None:
    path = tree / f"output/{MONTH}/wechat/drafts.json"
    drafts = json.loads(path.read_text(encoding="utf-8"))
    article = drafts["articles"][1]
    assert article["slug"] == "events-2027-04"
    article[field] = {"title": "改过的标题", "content": article["content"].replace("</section>", "<p>加一句</p></section>", 1),
                      "digest": "改过的摘要", "content_source_url": "https://xnwl.xianning.gov.cn/other/",
                      "only_fans_can_comment": 1, "thumb_image": drafts["articles"][2]["thumb_image"]}[field]
    path.write_text(json.dumps(drafts, ensure_ascii=False), encoding="utf-8")
    assert states(tree)["wechat/events-2027-04"] == "待审"
    assert states(tree)["wechat/guide-2027-04"] == "已通过"
    run = push(tree, fake)
    assert run.code == 1
    assert "  wechat/events-2027-04（" in run.err and "wechat/guide-2027-04" not in run.err
    assert fake.fake.calls == []


def test_a_changed_cover_or_body_image_unapproves(tree: Path, fake: FakeServer) -> None:
    drafts = json.loads((tree / f"output/{MONTH}/wechat/drafts.json").read_text(encoding="utf-8"))
    cover = tree / f"output/{MONTH}" / drafts["articles"][0]["thumb_image"]
    cover.write_bytes(cover.read_bytes() + b"\0")
    assert states(tree)["wechat/guide-2027-04"] == "待审"
    assert push(tree, fake).code == 1 and fake.fake.calls == []


def test_push_recomputes_the_hash_from_what_it_sends(tree: Path, fake: FakeServer) -> None:
    """Between the gate and the send, drafts.json changes: push refuses by name before any call."""
    from pipeline.publish.push import Approvals, push_month
    from pipeline.plan import Month
    from pipeline.publish.gate import push_gate

    gate = push_gate(tree, Month.parse(MONTH), False, None)
    assert gate.expected is not None and set(gate.expected) == {i.split("/", 1)[1] for i in ARTICLES}
    path = tree / f"output/{MONTH}/wechat/drafts.json"
    drafts = json.loads(path.read_text(encoding="utf-8"))
    drafts["articles"][0]["author"] = "别人"
    path.write_text(json.dumps(drafts, ensure_ascii=False), encoding="utf-8")
    lines: list[str] = []
    with pytest.raises(Exception) as refused:
        push_month(tree, Month.parse(MONTH), {"WECHAT_APPID": APPID, "WECHAT_APPSECRET": SECRET,
                                              "WECHAT_API_BASE": fake.url}, lines.append,
                   approvals=Approvals(gate.expected, gate.sources))
    assert "要发送的内容与审核通过的不一致，现为待审：wechat/guide-2027-04（4月周末好去处｜四月·山花烂漫）" in str(refused.value)
    assert fake.fake.calls == [] and lines == []


def test_force_is_recorded_only_when_something_was_pushed(tree: Path, fake: FakeServer) -> None:
    config = tree / "xnwl.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('author = "咸宁文旅"', 'author = "文旅局"'),
                      encoding="utf-8")
    assert xnwl("batch", "--month", MONTH, root=tree).code == 0
    before = overrides(tree)
    # WeChat refuses the secret: nothing pushed, nothing recorded
    run = xnwl("wechat", "push", "--month", MONTH, "--force", "--by", "王五", root=tree,
               env={"WECHAT_APPID": APPID, "WECHAT_APPSECRET": "wrong-secret", "WECHAT_API_BASE": fake.url})
    assert run.code == 1 and "AppSecret 无效" in run.err
    assert overrides(tree) == before
    run = xnwl("wechat", "push", "--month", MONTH, "--force", "--by", "王五", root=tree, env={"WECHAT_APPID": ""})
    assert run.code == 1 and "WECHAT_APPID" in run.err and overrides(tree) == before
    run = push(tree, fake, "--force", "--by", "王五")
    assert run.code == 0, run.text
    (draft,) = fake.fake.drafts.values()
    assert {a["author"] for a in draft} == {"文旅局"}
    (record,) = overrides(tree)[len(before):]
    assert record["action"] == "wechat push --force" and record["by"] == "王五" and record["items"] == ARTICLES


# decisions files of the wrong shape ------------------------------------------------------------
SHAPES = {
    "a list at the top": ([], "最外层应为对象"),
    "decisions: null": ({"month": MONTH, "decisions": None}, "decisions 应为列表，实际是 null"),
    "an entry missing keys": ({"decisions": [{"item": "wechat/guide-2027-04", "state": "approved"}]},
                              "decisions[0]（第 1 条） 缺少 by、at、note、hash、text"),
    "an unknown state": ({"decisions": [{"item": "x", "state": "ok", "by": "a", "at": "t", "note": "", "hash": "h",
                                         "text": ""}]}, "decisions[0]（第 1 条） state 的值“ok”无效"),
    "a string entry": ({"decisions": ["approved"]}, "decisions[0]（第 1 条） 应为对象，实际是 \"approved\""),
    "an extra key": ({"decisions": [{"item": "x", "state": "approved", "by": "a", "at": "t", "note": "", "hash": "h",
                                     "text": "", "ok": True}]}, "decisions[0]（第 1 条） 多了不认识的键 ok"),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_a_decisions_file_of_the_wrong_shape_is_named(tree: Path, shape: str) -> None:
    data, expected = SHAPES[shape]
    (tree / f"content/review/{MONTH}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    run = xnwl("review", "list", "--month", MONTH, root=tree)
    assert run.code == 1 and "Traceback" not in run.text
    assert run.err.startswith(f"content/review/{MONTH}.json：审核记录文件的格式不对")
    assert f"content/review/{MONTH}.json · {expected}" in run.err


def test_every_command_reads_the_decisions_file_the_same_way(tree: Path, fake: FakeServer, tmp_path: Path) -> None:
    bad = {"decisions": ["approved", {"item": "x", "state": "maybe", "by": "a", "at": "t", "note": "", "hash": "h",
                                      "text": "", "extra": 1}, {"item": "y"}]}
    path = tree / f"content/review/{MONTH}.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    before = path.read_bytes()
    site = (tree / "output/site/index.html").read_bytes()
    runs = {
        "batch": xnwl("batch", "--month", MONTH, "--force", root=tree),
        "deploy": xnwl("site", "deploy", str(tmp_path / "public"), "--no-search", root=tree,
                       env={"HOME": str(tmp_path)}),
        "push": push(tree, fake),
        "review list": xnwl("review", "list", "--month", MONTH, root=tree),
    }
    for name, run in runs.items():
        assert run.code == 1, (name, run.text)
        assert "Traceback" not in run.text, name
        for part in ("decisions[0]（第 1 条） 应为对象", "decisions[1]（第 2 条） 多了不认识的键 extra",
                     "decisions[1]（第 2 条） state 的值“maybe”无效", "decisions[2]（第 3 条） 缺少 state、by、at、note、hash、text"):
            assert f"content/review/{MONTH}.json · {part}" in run.err, (name, run.err)
    assert fake.fake.calls == [] and not (tmp_path / "public").exists()
    assert path.read_bytes() == before and (tree / "output/site/index.html").read_bytes() == site


def test_push_refuses_an_example_base_url(tree: Path, fake: FakeServer) -> None:
    config = tree / "xnwl.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("https://xnwl.xianning.gov.cn/",
                                                                  "https://xnwl.example.com/"), encoding="utf-8")
    before = overrides(tree)
    for args in ((), ("--force", "--by", "王五")):
        run = push(tree, fake, *args)
        assert run.code == 1 and "Traceback" not in run.text
        assert run.err.startswith("没有推送任何文章：xnwl.toml 的 [site] base_url 仍是示例地址 https://xnwl.example.com/：")
        assert "阅读原文" in run.err and "二维码" in run.err
    assert fake.fake.calls == [] and overrides(tree) == before
