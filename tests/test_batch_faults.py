"""A batch against faults and hostile input: kills with helpers running, a switch cut in two, Ctrl-C at any
moment, a full disk, an output folder that cannot be written or is in the way, YAML bombs, many events.

Each fault: a Chinese message naming the path and what to do, exit 1 (130 for Ctrl-C), no traceback, the
previous output byte for byte, and the next batch works.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, snapshot, xnwl
from pipeline import output
from test_batch_runs import MONTH, kill, manifest_is_consistent, started

OTHER = "2027-05"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import built_fixture

    return built_fixture(tmp_path_factory, MONTH, OTHER)


@pytest.fixture
def site(built: Path, tmp_path: Path) -> Path:
    target = tmp_path / "site"
    shutil.copytree(built, target, symlinks=True)
    return target


def change_guide(root: Path) -> None:
    guide = root / "content/weekend/04.md"
    guide.write_text(guide.read_text(encoding="utf-8").replace("title:", "title: 新", 1), encoding="utf-8")


def visible(out: Path) -> dict[str, bytes]:
    """What a reader of output/ sees: everything but the batch's own bookkeeping (dot names)."""
    return {rel: data for rel, data in snapshot(out).items() if not rel.startswith(".")}


def children_of(pid: int) -> set[int]:
    """Every live descendant of pid (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def measured(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
             limit_bytes: int | None = None, timeout: float = 120) -> tuple[int, str, str, float, int]:
    """Run the command line; (exit code, stdout, stderr, seconds, peak resident memory in bytes of it and the
    children it waited for). limit_bytes caps its address space, so a runaway run fails instead of the machine."""
    def limit() -> None:
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    import threading

    start = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=cwd or REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, preexec_fn=limit,
                               env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})
    streams: dict[str, bytes] = {}

    def drain(name: str, stream) -> None:  # type: ignore[no-untyped-def]
        streams[name] = stream.read()

    readers = [threading.Thread(target=drain, args=(name, stream))
               for name, stream in (("out", process.stdout), ("err", process.stderr))]
    for reader in readers:
        reader.start()
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)  # its own peak memory (and that of the children it waited for)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    for reader in readers:
        reader.join()
    return (process.returncode, streams["out"].decode("utf-8", "replace"), streams["err"].decode("utf-8", "replace"),
            seconds, usage.ru_maxrss * 1024)


# 1. A kill while the posters are drawn -------------------------------------------------------------------

def test_sigkill_while_posters_are_drawn_leaves_no_helper_and_a_free_lock(site: Path) -> None:
    # --force: every poster is drawn again, by worker processes (nothing is ever reused below the batch)
    before = visible(site / "output")
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", "XNWL_WORKERS": "2"}
    batch = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(site), "batch", "--month", MONTH,
                              "--force"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert batch.stdout is not None
        line = ""
        while "海报 ……" not in line:
            line = batch.stdout.readline()
            assert line, "the batch ended before the posters stage"
        helpers: set[int] = set()
        deadline = time.monotonic() + 20
        while len(helpers) < 2 and time.monotonic() < deadline:  # the two poster workers
            helpers |= children_of(batch.pid)
            time.sleep(0.005)
        assert helpers, "no worker process was seen drawing posters"
    finally:
        kill(batch)

    killed_at = time.monotonic()
    while any(alive(pid) for pid in helpers) and time.monotonic() - killed_at < 5:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in helpers), "helper processes outlived the killed batch"

    # Started within 5 s of the kill, and the lock is free at once: a busy lock would fail it at once.
    run = xnwl("batch", "--month", OTHER, "--force", root=site)
    assert run.code == 0, run.text
    assert "正被另一个进程占用" not in run.text
    assert f"进程 {batch.pid}" in run.out and "已接管" in run.out, run.out  # the takeover, with a note
    assert visible(site / "output")[f"{MONTH}/manifest.json"] == before[f"{MONTH}/manifest.json"]


def test_a_new_batch_starts_at_once_after_a_kill_even_with_helpers(site: Path) -> None:
    """The lock is free the moment the batch is killed: a batch started right after is not told it is busy."""
    holder = started(site, "channel-3", "--force")  # the site built: its helpers (the staging copy, the search index) have run
    kill(holder)
    start = time.monotonic()
    run = xnwl("batch", "--month", OTHER, "--force", root=site)
    assert run.code == 0, run.text
    assert time.monotonic() - start < 60
    assert "已接管" in run.out


# 2. The switch: never a window without output --------------------------------------------------------------

@pytest.fixture(scope="module")
def changed_reference(built: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """What output/ holds once the batch with the changed guide is done (byte-identical reruns make it the
    one and only "new" state)."""
    root = tmp_path_factory.mktemp("reference") / "site"
    shutil.copytree(built, root, symlinks=True)
    change_guide(root)
    run = xnwl("batch", "--month", MONTH, root=root)
    assert run.code == 0, run.text
    return visible(root / "output")


def whole(seen: dict[str, bytes], state: dict[str, bytes]) -> bool:
    return {k: v for k, v in seen.items() if k.startswith((f"{MONTH}/", "site/"))} == \
        {k: v for k, v in state.items() if k.startswith((f"{MONTH}/", "site/"))}


@pytest.mark.parametrize("point", ["manifest", "swap", "after-swap"])
def test_a_reader_after_a_kill_sees_the_whole_previous_or_the_whole_new_batch(
        site: Path, changed_reference: dict[str, bytes], point: str) -> None:
    before = visible(site / "output")
    change_guide(site)
    kill(started(site, point))

    run = xnwl("review", "list", "--month", MONTH, root=site)  # any command that reads output/
    assert run.code == 0, run.text
    seen = visible(site / "output")
    if point == "after-swap":
        assert whole(seen, changed_reference), "killed after the switch: the new batch, month and site"
    else:
        assert whole(seen, before), f"killed at {point}: the previous batch, month and site"
    assert not [p for p in os.listdir(site / "output") if p.startswith(".switch.")]


def test_while_the_switch_is_held_midway_the_month_folder_is_never_missing(
        site: Path, changed_reference: dict[str, bytes]) -> None:
    before = visible(site / "output")
    change_guide(site)
    holder = started(site, "swap")  # between the month's folder and the site's
    try:
        seen = visible(site / "output")
        month = {k: v for k, v in seen.items() if k.startswith(f"{MONTH}/")}
        assert month, "output/<月> is missing during the switch"
        assert month == {k: v for k, v in changed_reference.items() if k.startswith(f"{MONTH}/")}
        assert manifest_is_consistent(site / "output" / MONTH)
        assert any(k.startswith("site/") for k in seen)
    finally:
        kill(holder)
    output.recover(site / "output")
    assert whole(visible(site / "output"), before)


# 3. Faults of the machine ---------------------------------------------------------------------------------

def no_traceback(run) -> None:  # type: ignore[no-untyped-def]
    assert "Traceback" not in run.text and "Exception ignored" not in run.text, run.text


def test_output_that_is_a_plain_file(tree: Path) -> None:
    (tree / "output").write_text("not a folder\n", encoding="utf-8")
    run = xnwl("batch", "--month", MONTH, root=tree)
    assert run.code == 1, run.text
    no_traceback(run)
    assert str(tree / "output") in run.err and "是一个文件" in run.err and "移走或改名" in run.err
    assert (tree / "output").read_text(encoding="utf-8") == "not a folder\n"
    (tree / "output").unlink()
    assert xnwl("batch", "--month", MONTH, root=tree).code == 0


@pytest.mark.parametrize("name", [OTHER, "site"])
def test_a_plain_file_where_a_batch_folder_should_be(site: Path, name: str) -> None:
    out = site / "output"
    if (out / name).is_dir():
        shutil.rmtree(out / name)
    (out / name).write_text("mine\n", encoding="utf-8")
    before = snapshot(out)
    run = xnwl("batch", "--month", OTHER, "--force", root=site)
    assert run.code == 1, run.text
    no_traceback(run)
    assert str(out / name) in run.err and "是一个文件" in run.err and "移走或改名" in run.err
    assert snapshot(out) == before
    # Not wedged: another month's batch works (the file is left alone), and this one once the file is gone.
    other = xnwl("batch", "--month", MONTH, "--force", root=site)
    assert other.code == (1 if name == "site" else 0), other.text
    no_traceback(other)
    assert (out / name).read_text(encoding="utf-8") == "mine\n"
    (out / name).unlink()
    again = xnwl("batch", "--month", OTHER, root=site)
    assert again.code == 0, again.text
    assert manifest_is_consistent(out / OTHER)


def read_only(folder: Path) -> subprocess.CompletedProcess | None:
    """Make folder read-only for the command: a read-only bind mount as root (whom permissions do not stop),
    else its mode. Returns the mount's undo, if one was made."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return None
    done = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"running as root but cannot bind-mount to make a folder read-only: {done.stderr!r}")
    subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
    return done


def test_read_only_output(site: Path) -> None:
    out = site / "output"
    change_guide(site)
    before = snapshot(out)
    mounted = read_only(out)
    try:
        run = xnwl("batch", "--month", MONTH, root=site)
        still = snapshot(out)
    finally:
        if mounted is not None:
            subprocess.run(["umount", str(out)], check=True)
        else:
            out.chmod(0o755)
    assert run.code == 1, run.text
    no_traceback(run)
    assert "没有权限写入" in run.err and str(out) in run.err and "权限" in run.err, run.err
    assert still == before
    again = xnwl("batch", "--month", MONTH, root=site)
    assert again.code == 0, again.text
    assert manifest_is_consistent(out / MONTH)


def test_full_disk(site: Path) -> None:
    """A disk that fills up mid-batch, simulated portably: a limit on file size (RLIMIT_FSIZE) makes the first
    large write fail (EFBIG; Python ignores SIGXFSZ), as ENOSPC would on a full disk."""
    out = site / "output"
    change_guide(site)
    before = snapshot(out)

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))

    done = subprocess.run([sys.executable, "-m", "pipeline", "--root", str(site), "batch", "--month", MONTH],
                          capture_output=True, text=True, preexec_fn=small_files, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=180)
    text = done.stdout + done.stderr
    assert done.returncode == 1, text
    assert "Traceback" not in text, text
    assert "磁盘空间不足" in done.stderr and str(site) in done.stderr and "清理磁盘空间" in done.stderr, done.stderr
    assert snapshot(out) == before
    again = xnwl("batch", "--month", MONTH, root=site)
    assert again.code == 0, again.text
    assert manifest_is_consistent(out / MONTH)


def test_full_disk_for_real(site: Path) -> None:
    """The output folder on a small file system (tmpfs; needs root) that fills up: ENOSPC itself."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; test_full_disk covers the same without it")
    out = site / "output"
    saved = site / "output-saved"
    out.rename(saved)
    out.mkdir()
    used = sum(p.stat().st_size + 4096 for p in saved.rglob("*"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={used + 256 * 1024}", "tmpfs", str(out)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr!r}")
    try:
        shutil.copytree(saved, out, dirs_exist_ok=True)
        change_guide(site)
        before = snapshot(out)
        run = xnwl("batch", "--month", MONTH, root=site)
        assert run.code == 1, run.text
        no_traceback(run)
        assert "磁盘空间不足" in run.err and str(out) in run.err and "清理磁盘空间" in run.err, run.err
        assert snapshot(out) == before
        subprocess.run(["mount", "-o", "remount,size=64m", str(out)], check=True)  # space made
        again = xnwl("batch", "--month", MONTH, root=site)
        assert again.code == 0, again.text
        assert manifest_is_consistent(out / MONTH)
    finally:
        subprocess.run(["umount", str(out)], check=True)


def test_current_folder_deleted(tmp_path: Path, tree: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    command = f'rmdir "{gone}" && exec "{sys.executable}" -m pipeline "$@"'
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for args in (["validate"], ["--root", "site", "validate"]):
        done = subprocess.run(["sh", "-c", command, "sh", *args], cwd=gone, capture_output=True, text=True, env=env)
        gone.mkdir()
        assert done.returncode == 1, done.stdout + done.stderr
        assert "Traceback" not in done.stderr and "当前目录已被删除" in done.stderr and "--root" in done.stderr
    done = subprocess.run(["sh", "-c", command, "sh", "--root", str(tree), "batch", "--month", MONTH], cwd=gone,
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr  # with an absolute --root, it works from anywhere


# 4. YAML aliases ------------------------------------------------------------------------------------------

def billion_laughs() -> str:
    lines = ['a: &a ["哈哈哈哈哈哈哈哈", "哈哈哈哈哈哈哈哈", "哈哈哈哈哈哈哈哈", "哈哈哈哈哈哈哈哈", "哈哈哈哈哈哈哈哈",'
             ' "哈哈哈哈哈哈哈哈", "哈哈哈哈哈哈哈哈", "哈哈哈哈哈哈哈哈", "哈哈哈哈哈哈哈哈"]']
    names = "abcdefghijklmnopqrstuvwxyz"
    for previous, name in zip(names, names[1:20]):
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    return "\n".join(lines)


def test_yaml_aliases_are_refused_quickly_in_little_memory(tree: Path) -> None:
    route = tree / "routes/chibi-sanguo.md"
    text = route.read_text(encoding="utf-8")
    bomb = billion_laughs()
    route.write_text(text.replace("days: 1\n", f"days: 1\n{bomb}\n", 1), encoding="utf-8")
    assert len(route.read_bytes()) - len(text.encode()) < 4096
    line = text.split("\n").index("days: 1") + 2  # the anchor's line in the file
    code, _, err, seconds, peak = measured(["--root", str(tree), "validate"], limit_bytes=1024 ** 3)
    assert code == 1, err
    assert "Traceback" not in err and "MemoryError" not in err
    assert f"routes/chibi-sanguo.md:{line}" in err and "锚点" in err and "别名" in err, err
    assert peak < 200 * 1024 ** 2, f"{peak / 1024 ** 2:.0f} MB"
    assert seconds < 10, seconds  # about half a second alone; the machine may be shared


def test_an_event_with_an_alias_is_refused(tree: Path) -> None:
    event = tree / "content/events/2027-04-azalea.md"
    text = event.read_text(encoding="utf-8")
    event.write_text(text.replace("venue: 大幕山\n", "venue: &v 大幕山\nsummary_x: *v\n", 1), encoding="utf-8")
    run = xnwl("validate", root=tree)
    assert run.code == 1 and "content/events/2027-04-azalea.md:" in run.err and "锚点" in run.err, run.text


# 5. Ctrl-C ------------------------------------------------------------------------------------------------

def interrupt(process: subprocess.Popen) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    return process.returncode, err


@pytest.mark.parametrize("point", ["fork", "validate", "plan", "channel-1", "channel-2", "channel-3", "manifest"])
def test_every_ctrl_c_stops_the_batch(site: Path, point: str) -> None:
    """"fork" parks the batch inside the hook that runs in the batch right after it forks a helper, where Python
    swallows a KeyboardInterrupt ("Exception ignored in: <function _releaseLock …>"): the same place a real
    Ctrl-C got lost about one time in eighteen."""
    change_guide(site)
    before = visible(site / "output")
    code, err = interrupt(started(site, point, "--force"))
    assert code == 130, err
    assert "已中断" in err and "Traceback" not in err
    output.recover(site / "output")
    assert visible(site / "output") == before
    run = xnwl("batch", "--month", MONTH, root=site)
    assert run.code == 0, run.text


# 6. A route that links outside the project ----------------------------------------------------------------

def test_a_route_linking_outside_the_project_is_refused(site: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "secret.md"
    outside.parent.mkdir()
    route = site / "routes/chibi-sanguo.md"
    outside.write_text(route.read_text(encoding="utf-8").replace("title: ", "title: 机密", 1), encoding="utf-8")
    route.unlink()
    route.symlink_to(outside)
    before = snapshot(site / "output")
    for command in (["validate"], ["batch", "--month", MONTH, "--force"]):
        run = xnwl(*command, root=site)
        assert run.code == 1, run.text
        assert "routes/chibi-sanguo.md" in run.err and "项目之外" in run.err and "Traceback" not in run.text
    assert snapshot(site / "output") == before
    assert not any("机密" in data.decode("utf-8", "replace") for data in snapshot(site / "output").values()
                   if len(data) < 1 << 20)


def test_a_link_inside_the_project_is_still_read(tree: Path) -> None:
    route = tree / "routes/chibi-sanguo.md"
    kept = tree / "drafts" / "chibi-sanguo.md"
    kept.parent.mkdir()
    route.rename(kept)
    route.symlink_to(kept)
    run = xnwl("validate", root=tree)
    assert run.code == 0, run.text


# 7. Many events -------------------------------------------------------------------------------------------

def many_events(root: Path, count: int, month: str = MONTH, picked: int | None = None) -> list[str]:
    ids = []
    for n in range(count):
        day = 1 + n % 28
        event_id = f"{month}-many-{n:04d}"
        ids.append(event_id)
        status = "confirmed" if n % 3 else "tentative"
        (root / f"content/events/{event_id}.md").write_text(
            f"---\nid: {event_id}\ntitle: 乡村文化活动第{n}场\nsummary: 村里的晚会。\nstart: {month}-{day:02d}\n"
            f"end: {month}-{day:02d}\ncounty: xianan\nvenue: 村文化广场\ncategory: village-gala\nroutes: []\n"
            f"status: {status}\nsource: 测试数据\nverified: 2027-03-01\n---\n村里的晚会。\n", encoding="utf-8")
    if picked is not None:
        guide = root / "content/weekend/04.md"
        text = guide.read_text(encoding="utf-8")
        guide.write_text(text.replace("picks:\n", f"picks:\n  - event: {ids[picked]}\n    reason: 压轴。\n", 1),
                         encoding="utf-8")
    return ids


def test_five_thousand_events_fail_on_the_wechat_limit_before_any_poster(site: Path) -> None:
    many_events(site, 5000)
    before = snapshot(site / "output")
    code, out, err, seconds, peak = measured(["--root", str(site), "batch", "--month", MONTH],
                                             limit_bytes=4 * 1024 ** 3, timeout=300)
    assert code == 1, err
    assert "Traceback" not in err
    assert "events-2027-04" in err and "公众号要求少于 20000 个字符" in err, err
    assert "海报 跳过：前面的检查未通过" in out and "网站 跳过：前面的检查未通过" in out, out
    assert snapshot(site / "output") == before
    assert peak < 1024 ** 3, f"{peak / 1024 ** 2:.0f} MB"
    assert seconds < 120, seconds  # about 15 s alone


def test_a_month_with_many_events_gets_posters_for_the_chosen_ones(tree: Path) -> None:
    from pipeline.articles import EVENT_POSTERS_PER_MONTH, poster_events, poster_subjects
    from pipeline.content.load import load_content
    from pipeline.plan import Month, make_plan

    ids = many_events(tree, 60, picked=45)
    content, problems = load_content(tree)
    assert not problems.errors, problems.errors
    plan = make_plan(content, Month.parse(MONTH), 2)
    assert len(plan.events) == 62
    chosen = poster_events(plan)
    assert len(chosen) == EVENT_POSTERS_PER_MONTH
    picked = {ids[45], "2027-04-azalea"}  # the guide's event picks (the azalea one is tentative)
    assert picked <= {e.id for e in chosen}  # the guide's picks come first, whatever their date or status
    assert all(e.status == "confirmed" for e in chosen if e.id not in picked)  # then the confirmed ones
    order = [e.id for e in plan.events]
    assert [e.id for e in chosen] == sorted((e.id for e in chosen), key=order.index)  # in the plan's order
    subjects = [s.slug for s in poster_subjects(plan) if s.kind == "event"]
    assert subjects == [f"event-{e.id}" for e in chosen]


def test_a_month_with_few_events_gets_a_poster_for_each(tree: Path) -> None:
    from pipeline.articles import poster_events
    from pipeline.content.load import load_content
    from pipeline.plan import Month, make_plan

    content, _ = load_content(tree)
    plan = make_plan(content, Month.parse(MONTH), 2)
    assert poster_events(plan) == plan.events and len(plan.events) >= 2


def test_the_reader_settles_only_what_a_dead_batch_left(site: Path) -> None:
    """A journal of a live process is left alone by readers (that batch finishes its own switch)."""
    journal = site / "output" / f"{output.JOURNAL_PREFIX}{os.getpid()}.json"
    journal.write_bytes(output.json_bytes({"pid": os.getpid(), "moves": []}))
    assert output.settle(site / "output", patience=0.2) == []
    assert journal.exists()
    journal.unlink()
    data = json.loads((site / "output" / MONTH / "manifest.json").read_bytes())
    assert data["month"] == MONTH


def test_a_switch_that_fails_midway_puts_everything_back(tmp_path: Path) -> None:
    out = tmp_path / "output"
    for name, text in (("2027-04", "old month"), ("site", "old site")):
        (out / name).mkdir(parents=True)
        (out / name / "index.html").write_text(text, encoding="utf-8")
    staged = {}
    for name in ("2027-04", "site"):
        staged[name] = output.new_staging(out, name)
        (staged[name] / "index.html").write_text(f"new {name}", encoding="utf-8")

    def break_the_second() -> None:  # the disk goes away under the second folder
        shutil.rmtree(staged["site"])

    with pytest.raises(OSError):
        output.switch(out, [output.Move(staged["2027-04"], "2027-04"), output.Move(staged["site"], "site")],
                      midway=break_the_second)
    assert (out / "2027-04/index.html").read_text(encoding="utf-8") == "old month"
    assert (out / "site/index.html").read_text(encoding="utf-8") == "old site"
    assert not output.switch_left(out)
