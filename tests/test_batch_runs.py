"""The batch as users run it: stages with progress, skip when unchanged, one at a time, survives SIGKILL."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, snapshot, xnwl
from pipeline import cache, output
from pipeline.batch import hold_points

MONTH = "2027-04"


def started(root: Path, hold: str, *args: str) -> subprocess.Popen:
    """`xnwl batch` parked at a stage boundary (it says so on stderr, then waits to be killed)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "XNWL_TEST_HOLD_AT": hold}
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(root), "batch", "--month", MONTH,
                                *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = ""
    while f"XNWL_TEST_HELD {hold}" not in line:
        line = process.stderr.readline()
        if not line:
            process.wait(10)
            raise AssertionError(f"batch ended before reaching {hold}: {process.stdout.read()}")
    return process


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def manifest_is_consistent(folder: Path) -> bool:
    manifest = json.loads((folder / "manifest.json").read_bytes())
    present = {k: v for k, v in cache.tree_digests(folder).items() if k != "manifest.json"}
    return present == manifest["outputs"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture tree with April and May already built, copied by each test that needs it."""
    from conftest import built_fixture

    return built_fixture(tmp_path_factory, MONTH, "2027-05")


@pytest.fixture
def site(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "site"
    shutil.copytree(built, target)
    return target


@pytest.mark.parametrize("point", hold_points())
def test_sigkill_at_every_stage_boundary_keeps_the_previous_output(site: Path, point: str) -> None:
    before = snapshot(site / "output" / MONTH)
    may = snapshot(site / "output" / "2027-05")
    guide = site / "content/weekend/04.md"
    guide.write_text(guide.read_text(encoding="utf-8").replace("title:", "title: 新", 1), encoding="utf-8")

    kill(started(site, point))

    assert snapshot(site / "output" / "2027-05") == may
    output.recover(site / "output")  # what the next batch does first, under its lock
    after = snapshot(site / "output" / MONTH)
    if hold_points().index(point) < hold_points().index("after-swap"):
        assert after == before, f"killed at {point}: the previous output changed"
    else:  # killed after the swap: the new month is complete, only the after-swap steps are pending
        assert manifest_is_consistent(site / "output" / MONTH)

    run = xnwl("batch", "--month", MONTH, root=site)
    assert run.code == 0, run.text
    assert "已写入" in run.out and "已是最新" not in run.out
    folder = site / "output" / MONTH
    manifest = json.loads((folder / "manifest.json").read_bytes())
    assert manifest["inputs"]["content/weekend/04.md"] == cache.sha256_file(guide)
    assert manifest_is_consistent(folder)
    leftovers = [p.name for p in (site / "output").iterdir() if p.name.startswith(".") and p.name != ".batch.lock"]
    assert leftovers == [], leftovers
    assert snapshot(site / "output" / "2027-05") == may


def test_unchanged_inputs_skip_the_work_unless_forced(site: Path) -> None:
    # May was built last: output/site/ is May's, so May's batch stands as it is (April's would rebuild the site).
    last = "2027-05"
    folder = site / "output" / last
    before = snapshot(folder)
    stamp = (folder / "manifest.json").stat().st_mtime_ns

    run = xnwl("batch", "--month", last, root=site)
    assert run.code == 0, run.text
    assert "已是最新" in run.out and "--force" in run.out and "跳过：输入未变化" in run.out
    assert snapshot(folder) == before and (folder / "manifest.json").stat().st_mtime_ns == stamp

    forced = xnwl("batch", "--month", last, "--force", root=site)
    assert forced.code == 0 and "已写入" in forced.out
    assert snapshot(folder) == before, "same inputs give byte-identical output"
    assert (folder / "manifest.json").stat().st_mtime_ns != stamp


def test_the_site_of_another_month_makes_the_batch_run(site: Path) -> None:
    """After May's batch, output/site/ shows May: April's batch builds April's site again (as a clean run would)."""
    run = xnwl("batch", "--month", MONTH, root=site)
    assert run.code == 0 and "已写入" in run.out, run.text
    assert "2027年4月" in (site / "output" / "site" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("change", ["config", "content", "damaged-output"])
def test_a_change_or_damaged_output_makes_the_batch_run(site: Path, change: str) -> None:
    folder = site / "output" / MONTH
    if change == "config":
        path = site / "xnwl.toml"
        path.write_text(path.read_text(encoding="utf-8").replace("featured_per_month = 2", "featured_per_month = 3"),
                        encoding="utf-8")
    elif change == "content":
        path = site / "routes/chibi-sanguo.md"
        path.write_text(path.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    else:
        (folder / "plan.json").write_text("{}", encoding="utf-8")
    run = xnwl("batch", "--month", MONTH, root=site)
    assert run.code == 0 and "已写入" in run.out, run.text
    assert manifest_is_consistent(folder)


def test_a_second_batch_says_who_holds_the_lock(site: Path) -> None:
    holder = started(site, "plan", "--force")
    try:
        before = snapshot(site / "output")
        run = xnwl("batch", "--month", "2027-05", "--force", root=site)
    finally:
        kill(holder)
    assert run.code == 1, run.text
    assert "正被另一个进程占用" in run.err and f"进程 {holder.pid}" in run.err
    assert f"主机 {socket.gethostname()}" in run.err and "开始于 20" in run.err
    assert "Traceback" not in run.text
    # The holder's own staging folders (its site copy is made by a low-priority child, maybe still at work when
    # `before` was taken) are the holder's business; the refused batch wrote nothing anywhere else.
    holders = re.compile(rf"^\.staging/[^/]+\.{holder.pid}/")
    after = snapshot(site / "output")
    assert {k: v for k, v in after.items() if not holders.match(k)} == {k: v for k, v in before.items() if not holders.match(k)}


def test_plain_lines_when_not_a_terminal(site: Path) -> None:
    run = xnwl("batch", "--month", MONTH, "--force", root=site)
    stages = [line for line in run.out.splitlines() if line.startswith("[")]
    assert stages[0].startswith("[1/") and "校验内容" in stages[0]
    assert any("写入清单 完成" in line for line in stages)
    assert "—— 小结 ——" in run.out and "\x1b[" not in run.out


def test_bars_on_a_terminal(site: Path) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # child: the real command, on a pseudo-terminal
        os.environ["PYTHONPATH"] = str(REPO)
        os.environ["COLUMNS"] = "120"
        os.execv(sys.executable, [sys.executable, "-m", "pipeline", "--root", str(site), "batch", "--month", MONTH,
                                  "--force"])
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    text = b"".join(chunks).decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "━" in text and "校验内容" in text and "写入清单" in text, text
    assert "—— 小结 ——" in text


def test_help_does_not_load_the_heavy_modules() -> None:
    code = ("import sys, pipeline.cli; pipeline.cli.build_parser().format_help(); "
            "print(sorted(m for m in ('rich', 'apscheduler', 'sqlalchemy', 'feedparser', 'nh3') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr
