"""The batch: plan.json + manifest.json, byte-identical reruns, crash safety, CLI basics."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import REPO, snapshot, xnwl


def test_batch_writes_plan_and_manifest(tree: Path) -> None:
    run = xnwl("batch", "--month", "2027-04", root=tree)
    assert run.code == 0, run.text
    folder = tree / "output" / "2027-04"
    plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    assert plan["month"] == "2027-04"
    assert plan["guide"]["source"] == "content/weekend/04.md"
    assert [e["id"] for e in plan["events"]] == ["2027-04-gala", "2027-04-azalea"]
    assert len(plan["featured_routes"]) == 2
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tool"] == "xnwl" and manifest["version"] and manifest["month"] == "2027-04"
    assert "routes/chibi-sanguo.md" in manifest["inputs"] and "xnwl.toml" in manifest["inputs"]
    assert "content/images/sample.png" in manifest["inputs"]
    assert manifest["outputs"]["plan.json"] == __import__("hashlib").sha256((folder / "plan.json").read_bytes()).hexdigest()
    assert not (tree / "output" / ".staging").exists()


def test_same_batch_twice_is_byte_identical(tree: Path) -> None:
    assert xnwl("batch", "--month", "2027-04", root=tree).code == 0
    first = snapshot(tree / "output" / "2027-04")
    assert xnwl("batch", "--month", "2027-04", root=tree).code == 0
    assert snapshot(tree / "output" / "2027-04") == first


def test_shipped_content_batch(tmp_path: Path) -> None:
    # the README's main job, on a copy of the shipped content so the developer's output/ is not touched
    for part in ("routes", "content", "templates"):
        if (REPO / part).is_dir():
            shutil.copytree(REPO / part, tmp_path / part)
    shutil.copy(REPO / "xnwl.toml", tmp_path / "xnwl.toml")
    run = xnwl("batch", "--month", "2027-04", root=tmp_path)
    assert run.code == 0, run.text
    plan = json.loads((tmp_path / "output/2027-04/plan.json").read_text(encoding="utf-8"))
    assert len(plan["featured_routes"]) == 2 and len(plan["guide"]["picks"]) >= 4
    assert (tmp_path / "output/2027-04/manifest.json").is_file()


def test_swap_cut_short_is_repaired(tree: Path) -> None:
    """A kill between the two renames of the swap leaves the old batch in .retired; the next run restores it."""
    assert xnwl("batch", "--month", "2027-04", root=tree).code == 0
    before = snapshot(tree / "output" / "2027-04")
    retired = tree / "output" / ".retired"
    retired.mkdir()
    (tree / "output" / "2027-04").rename(retired / "2027-04.999999")
    run = xnwl("batch", "--month", "2027-09", root=tree)  # fails (no guide) but must repair first
    assert run.code == 1
    assert snapshot(tree / "output" / "2027-04") == before


def test_help_is_chinese() -> None:
    for args in (["--help"], ["validate", "--help"], ["plan", "--help"], ["batch", "--help"]):
        run = xnwl(*args)
        assert run.code == 0
        assert "用法：" in run.out and "显示本帮助并退出" in run.out
        assert "usage:" not in run.out and "show this help" not in run.out


def test_unknown_command_is_a_chinese_usage_error() -> None:
    run = xnwl("publish")
    assert run.code == 2 and "参数错误" in run.err and "Traceback" not in run.err


def test_root_is_found_upwards(tree: Path) -> None:
    run = xnwl("validate", cwd=tree / "content" / "weekend")
    assert run.code == 0 and "3 条线路" in run.out


def test_default_month_is_next_month_in_shanghai(tree: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from pipeline.plan import Month

    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    expected = Month(now.year, now.month).shift(1)
    (tree / "content/weekend" / f"{expected}.md").write_text(
        "---\ntitle: 下月\npicks:\n" + "".join(f"  - route: {r}\n    reason: 好。\n" for r in
                                             ("chibi-sanguo", "xianan-hotspring", "tongshan-cool", "chibi-sanguo"))
        + "---\n导语。\n", encoding="utf-8")
    run = xnwl("batch", root=tree)
    assert run.code == 0, run.text
    assert (tree / "output" / str(expected) / "plan.json").is_file()
