"""The site's staging copy: made ahead in a child process, and cleaned up from what the copy recorded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.channels.site import files

LIVE = {
    "index.html": b"home",
    "routes/a/index.html": b"a",
    "routes/b/index.html": b"b",
    "routes/b/extra/old.txt": b"gone soon",
    "events/x/index.html": b"x",
    "events/x/x.ics": b"ics",
    "search-index/meta.json": b"{}",
    "search-index/p/3.json": b"{}",
}
EMPTY_FOLDERS = ("routes/empty", "deep/er/est")


def _live_site(output_root: Path) -> Path:
    site = output_root / files.SITE
    for rel, data in LIVE.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)
    for rel in EMPTY_FOLDERS:
        (site / rel).mkdir(parents=True)
    return site


def _tree(folder: Path) -> tuple[set[str], set[str]]:
    """Files and folders under folder, by path."""
    found_files, found_folders = set(), set()
    for path in folder.rglob("*"):
        rel = path.relative_to(folder).as_posix()
        (found_folders if path.is_dir() else found_files).add(rel)
    return found_files, found_folders


@pytest.mark.parametrize("with_spare", [False, True])
def test_head_start_copies_the_live_site_as_links(tmp_path: Path, with_spare: bool) -> None:
    output_root = tmp_path / "output"
    site = _live_site(output_root)
    spare = tmp_path / "spare"
    if with_spare:  # an older site: one stale file, one missing, one folder too many
        for rel in ("index.html", "routes/a/index.html", "stale/old.html"):
            (spare / rel).parent.mkdir(parents=True, exist_ok=True)
            (spare / rel).write_bytes(b"older")
    finish = files.begin_staging(output_root, spare)
    staging = files.open_staging(output_root, spare)
    finish()  # taken: nothing to wait for or discard
    assert staging.is_dir()
    assert _tree(staging) == _tree(site)
    for rel in LIVE:
        assert (staging / rel).stat().st_ino == (site / rel).stat().st_ino
    assert not spare.exists()
    files.output.discard(staging)


@pytest.mark.parametrize("with_spare", [False, True])
def test_cancelled_head_start_leaves_output_as_it_was_and_keeps_the_copy_as_spare(tmp_path: Path,
                                                                                  with_spare: bool) -> None:
    output_root = tmp_path / "output"
    site = _live_site(output_root)
    before = _tree(site)
    listing = sorted(p.name for p in output_root.iterdir())
    spare = tmp_path / "state" / "site-spare"
    spare.parent.mkdir()  # as files.spare_folder leaves it
    if with_spare:
        (spare / "old").mkdir(parents=True)
    finish = files.begin_staging(output_root, spare)
    finish()  # the batch failed before the site was built
    assert _tree(site) == before
    assert sorted(p.name for p in output_root.iterdir()) == listing  # no staging folder left either
    assert spare.is_dir()  # the copy (finished or not) waits for the next build
    # which starts from it and ends up with the live site's files
    staging = files.open_staging(output_root, spare)
    assert _tree(staging) == before
    files.output.discard(staging)


def _walked(staging: Path, wanted: set[str], leave: tuple[str, ...]) -> list[str]:
    files._PRESENT.pop(str(staging), None)  # the walk over the whole folder, as without the record
    return files.remove_others(staging, wanted, leave)


@pytest.mark.parametrize("ahead", [False, True])
def test_removal_from_the_record_equals_the_walk(tmp_path: Path, ahead: bool) -> None:
    wanted = {"index.html", "routes/a/index.html", "events/new/index.html"}
    leave = ("search-index/",)
    results = []
    for way in ("record", "walk"):
        output_root = tmp_path / way / "output"
        _live_site(output_root)
        if ahead:
            files.begin_staging(output_root)
        staging = files.open_staging(output_root)
        assert files.put(staging, "events/new/index.html", b"new")
        assert not files.put(staging, "index.html", b"home")
        removed = files.remove_others(staging, wanted, leave) if way == "record" else _walked(staging, wanted, leave)
        results.append((removed, _tree(staging)))
        files.output.discard(staging)
    assert results[0] == results[1]
    removed, (kept_files, kept_folders) = results[0]
    assert removed == ["events/x/index.html", "events/x/x.ics", "routes/b/extra/old.txt", "routes/b/index.html"]
    assert kept_files == wanted | {"search-index/meta.json", "search-index/p/3.json"}
    assert not any(folder.startswith(("deep", "routes/b", "routes/empty", "events/x")) for folder in kept_folders)


def test_a_failing_copy_is_made_again_in_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output_root = tmp_path / "output"
    site = _live_site(output_root)
    real_mirror = files._mirror
    parent = os.getpid()

    def fail_in_child(live: object, copy: object, rel: str, present: list[str], empty: bool = False) -> None:
        if os.getpid() != parent and rel == "routes/":  # midway through, in the child only
            raise OSError("disk trouble")
        real_mirror(live, copy, rel, present, empty)

    monkeypatch.setattr(files, "_mirror", fail_in_child)
    files.begin_staging(output_root)
    staging = files.open_staging(output_root)
    assert _tree(staging) == _tree(site)
    files.output.discard(staging)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_the_copying_process_ends_with_a_killed_batch(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    _live_site(tmp_path / "output")
    script = (
        "import os, signal, sys, time\n"
        "from pathlib import Path\n"
        "from pipeline.channels.site import files\n"
        "copy = files._mirror\n"
        "def slow(live, target, rel, present):  # a copy that takes long\n"
        "    if rel == '':\n"
        "        time.sleep(30)\n"
        "    copy(live, target, rel, present)\n"
        "files._mirror = slow\n"
        "out = Path(sys.argv[1])\n"
        "files.begin_staging(out)\n"
        "print(files._OPENING[str(out)].child, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "output")], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1])
    child = int(run.stdout.strip())
    deadline = time.monotonic() + 10
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _running(child)


def _forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """pids of the processes forked from now on (by os.fork)."""
    pids: list[int] = []
    fork = os.fork

    def recorded() -> int:
        pid = fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recorded)
    return pids


def _ended_and_reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def test_head_start_compiles_the_templates_and_works_out_the_code_digest(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The warm-up child leaves state/cache/ as a build would (code.json, one compiled file per template), and
    a build then takes the compiled templates from there."""
    import shutil

    from conftest import FIXTURE
    from pipeline.channels.site import head_start
    from pipeline.channels.site.render import make_environment
    from pipeline.config import load_config
    from pipeline.state import cache_dir

    from pipeline import fingerprint

    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root)
    config = load_config(root)
    forked = _forks(monkeypatch)
    # code.json is not kept while a file of the package or a folder on sys.path changed moments ago (pytest
    # writes into tests/, which is on sys.path): here any moment will do.
    monkeypatch.setattr(fingerprint, "RACY_NS", 0)
    monkeypatch.setattr(fingerprint, "_code", None)  # as in a new process (an earlier test may have worked it out)
    finish = head_start(config, config.output_dir)
    finish()
    assert forked and all(_ended_and_reaped(pid) for pid in forked)
    cache = cache_dir(root)
    assert (cache / "code.json").is_file()
    env = make_environment(root)
    compiled = list((cache / "jinja-site").iterdir())
    assert len(compiled) == len(env.list_templates()) > 10
    before = {path: path.stat().st_mtime_ns for path in compiled}
    env.get_template("route.html")  # loaded from there, not compiled again
    assert {path: path.stat().st_mtime_ns for path in (cache / "jinja-site").iterdir()} == before

    forked.clear()
    head_start(config, config.output_dir)()
    assert forked == []  # warmed up already: no child this time


def test_a_child_that_takes_too_long_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from pipeline.parallel import start_child

    forked = _forks(monkeypatch)
    started = time.monotonic()
    finish = start_child(lambda: time.sleep(60))
    finish(patience=0.2)
    assert time.monotonic() - started < 5
    assert len(forked) == 1 and _ended_and_reaped(forked[0])
