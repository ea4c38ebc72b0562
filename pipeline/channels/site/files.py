"""The site's own staging: a copy-on-write copy of output/site, synced to what the build produced.

The copy is made of hard links, so it costs almost nothing; a file that changed is unlinked and written
anew (never written through a link), so the live site is never touched before the swap. Files whose bytes
did not change keep their inode and mtime, which is what makes a rebuild incremental.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pipeline import output
from pipeline.parallel import detach_from, prepare_to_detach
from pipeline.state import cache_dir

SITE = "site"
_CLEANUP: set[Path] = set()  # staging folders to remove at exit if still there (a batch failed after the build)
# Staging folders that started empty (no live site to copy): everything in them was written by put, so
# nothing needs comparing or removing. Forked workers inherit this.
_FRESH: set[str] = set()
_MADE: set[str] = set()  # folders this process created or found in a fresh staging folder
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


@dataclass
class SyncReport:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    reused: int = 0  # of the unchanged: not even rendered, their inputs being the same as last time
    digests: dict[str, str] = field(default_factory=dict)  # sha256 of each rendered (or reused) file, by site path


@dataclass
class _Opening:
    """A staging folder being made to match the live site, maybe by a child process (see begin_staging)."""
    staging: Path
    live: Path | None  # the live site to mirror; None when the staging folder starts empty
    spare: Path | None = None  # where a copy that is not used goes back to, for the next build to start from
    child: int | None = None  # pid of the process mirroring it
    reader: int | None = None  # the pipe it sends back what it put there


_OPENING: dict[str, _Opening] = {}  # head starts not yet taken, by output folder
# What each staging folder held once it matched the live site (file paths, and folders with nothing in them
# as "path/"): remove_others deletes from this list instead of walking the whole tree again.
_PRESENT: dict[str, list[str]] = {}


# The copying child yields to the batch's own work, but not entirely: at the lowest priority (19) it would get
# about 1.5% of a core while other programs keep the machine busy, and the batch would wait for it at the end.
MIRROR_NICENESS = 10


def begin_staging(output_root: Path, spare: Path | None = None) -> Callable[[], None]:
    """Start open_staging's work now, in a child process, while this one goes on (loading the content):
    making a copy of a large site means thousands of folders and links, work for the kernel more than for
    Python. open_staging takes the result over. Returns what to call in any case once the build is over or
    will not happen: for a staging folder that was never taken, it stops the child and keeps the copy as the
    next build's spare (or discards it)."""
    key = str(output_root)
    if key in _OPENING:
        return lambda: None
    opening = _start(output_root, spare)
    if opening.live is not None and hasattr(os, "fork"):
        prepare_to_detach()
        reader, writer = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: nothing but file system calls, then gone without running any exit handler
            code = 0
            try:
                detach_from(parent, keep=writer)
                # Only needed by the swap, at the end of the batch: the content loading and the search shard
                # indexed ahead, on both cores meanwhile, come first (copying a large site from nothing is
                # hundreds of milliseconds of kernel work on a busy machine).
                os.nice(MIRROR_NICENESS)
                present: list[str] = []
                _mirror(opening.live, opening.staging, "", present)
                data = "\0".join(present).encode("utf-8", "surrogateescape")  # no file name holds a NUL
            except BaseException:  # noqa: BLE001 - the parent does the work again itself, and sees the error
                data, code = b"", 1
            try:
                _write_all(writer, data)
            finally:
                os._exit(code)
        os.close(writer)
        opening.child, opening.reader = pid, reader
    _OPENING[key] = opening

    def cancel() -> None:
        left = _OPENING.pop(key, None)
        if left is None:
            return
        _wait(left, stop=True)
        try:  # whatever it holds, a copy of some site is a good start for the next build (see open_staging)
            if left.live is None or left.spare is None or left.spare.exists():
                raise OSError
            left.staging.rename(left.spare)
        except OSError:
            output.discard(left.staging)
        try:
            left.staging.parent.rmdir()  # the staging area, if no other build uses it
        except OSError:
            pass

    return cancel


def open_staging(output_root: Path, spare: Path | None = None) -> Path:
    """A staging folder holding hard links to every file of the current output/site.

    `spare` is where the previous build left the site it replaced (see swap): its folders and most of its
    links are already right, so making it match the live site costs far less than a new copy."""
    opening = _OPENING.pop(str(output_root), None) or _start(output_root, spare)
    present = _wait(opening)
    if opening.live is not None and present is None:  # mirrored here (no child, or it failed)
        present = []
        _mirror(opening.live, opening.staging, "", present)
    if present is not None:
        _PRESENT[str(opening.staging)] = present
    return opening.staging


def _start(output_root: Path, spare: Path | None) -> _Opening:
    staging = output.new_staging(output_root, SITE)
    _FRESH.discard(str(staging))  # `xnwl serve` builds again and again into the same folder name
    _MADE.clear()
    _PRESENT.pop(str(staging), None)
    if staging not in _CLEANUP:
        _CLEANUP.add(staging)
        atexit.register(output.discard, staging)
    if spare is not None and spare.is_dir():
        try:
            staging.rmdir()
            spare.rename(staging)
        except OSError:  # in use or elsewhere: start from an empty folder
            staging.mkdir(exist_ok=True)
    live = output_root / SITE
    if live.is_dir():
        return _Opening(staging, live, spare)
    shutil.rmtree(staging)
    staging.mkdir()
    _FRESH.add(str(staging))
    return _Opening(staging, None)


def _wait(opening: _Opening, stop: bool = False) -> list[str] | None:
    """What the child put into the staging folder, once it is done; None if there was no child or it failed
    (or was stopped: its work is not wanted)."""
    if opening.child is None or opening.reader is None:
        return None
    if stop:
        os.kill(opening.child, signal.SIGKILL)
    chunks = []
    with os.fdopen(opening.reader, "rb") as pipe:
        while chunk := pipe.read(1 << 16):
            chunks.append(chunk)
    _, status = os.waitpid(opening.child, 0)
    opening.child = opening.reader = None
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    data = b"".join(chunks)
    return data.decode("utf-8", "surrogateescape").split("\0") if data else []


def _mirror(live: Path | str, copy: Path | str, rel: str, present: list[str], empty: bool = False) -> None:
    """Make copy hold hard links to exactly the files of live, folder by folder (kept links are not touched).
    Adds to present the site path of every file (and of every folder with nothing in it, ending in /).
    `empty`: copy was just made, so nothing in it needs looking at (a first copy: thousands fewer calls)."""
    wanted = {entry.name: entry for entry in os.scandir(live)}
    kept: set[str] = set()  # what copy already holds as it should be (a folder is then made to match below)
    for entry in () if empty else os.scandir(copy):
        source = wanted.get(entry.name)
        if source is not None and (
                (entry.is_dir(follow_symlinks=False) and source.is_dir(follow_symlinks=False))
                or (entry.is_file(follow_symlinks=False) and source.is_file(follow_symlinks=False)
                    and entry.inode() == source.inode())):
            kept.add(entry.name)
        elif entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    if not wanted and rel:
        present.append(rel)
    for name in sorted(wanted):
        source = wanted[name]
        target = os.path.join(copy, name)
        if source.is_dir(follow_symlinks=False):
            if name not in kept:
                os.mkdir(target)
            _mirror(source.path, target, f"{rel}{name}/", present, name not in kept)
        elif source.is_file(follow_symlinks=False):
            present.append(rel + name)
            if name not in kept:
                try:
                    os.link(source.path, target)
                except OSError:  # another file system or no link support: a plain copy keeps mtimes too
                    shutil.copy2(source.path, target)


def spare_folder(root: Path, output_root: Path) -> Path | None:
    """Where a replaced site waits for the next build (state/cache/site-spare), if links can reach it."""
    folder = cache_dir(root)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if folder.stat().st_dev != output_root.stat().st_dev:
            return None
    except OSError:
        return None
    return folder / "site-spare"


def swap(staging: Path, output_root: Path, spare: Path | None = None) -> None:
    """Put staging in place of output/site; the replaced site becomes the next build's `spare` if given."""
    output.swap_into_place(staging, output_root, SITE, keep_retired=spare)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def replace_file(path: Path, data: bytes) -> None:
    """Write as a new file (new inode): a hard link shared with the live site is left alone."""
    output.replace_file(path, data)


def _write_new(path: str, data: bytes) -> None:
    """Create path (it must not exist) holding data: one open, the writes, one close."""
    fd = os.open(path, _NEW_FILE, 0o666)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _make_folder(folder: str) -> None:
    if folder in _MADE:
        return
    try:
        os.mkdir(folder)
    except FileExistsError:  # another worker made it
        pass
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
    _MADE.add(folder)


def put(staging: Path, rel: str, data: bytes) -> bool:
    """Make staging/rel hold data, writing only when its bytes differ. True when it was written."""
    base = str(staging)
    if base in _FRESH:  # nothing there but what put wrote: no stat, no failed open, each folder made once
        folder, _, _ = rel.rpartition("/")
        if folder:
            _make_folder(f"{base}/{folder}")
        try:
            _write_new(f"{base}/{rel}", data)
            return True
        except FileExistsError:  # written before in this build: compare as below
            pass
    path = staging / rel
    try:
        size = path.stat().st_size
    except FileNotFoundError:  # nothing there, not even a link to the live site: write in place
        try:
            path.write_bytes(data)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return True
    if size == len(data) and output.sha256_file(path) == _digest(data):
        return False
    replace_file(path, data)
    return True


def remove_others(staging: Path, wanted: set[str], leave: tuple[str, ...] = ()) -> list[str]:
    """Delete files not in wanted (except under `leave`) and the folders left empty. Returns what was removed."""
    removed: list[str] = []
    if str(staging) in _FRESH:  # only put wrote here, and only wanted files
        return removed

    def left_alone(rel: str) -> bool:
        return any(rel.startswith(kept) or rel == kept.rstrip("/") + "/" for kept in leave)

    present = _PRESENT.pop(str(staging), None)
    if present is not None:  # what the mirror put there, plus what put wrote (all of it wanted)
        emptied = set()
        for rel in present:
            if left_alone(rel):
                continue
            if rel.endswith("/"):
                emptied.add(rel.rstrip("/"))
            elif rel not in wanted:
                os.unlink(os.path.join(staging, rel))
                removed.append(rel)
                emptied.add(rel.rpartition("/")[0])
        for folder in sorted(emptied, key=lambda rel: rel.count("/"), reverse=True):
            while folder and not left_alone(folder + "/"):
                try:
                    os.rmdir(os.path.join(staging, folder))
                except OSError:  # not empty (or gone already): so are the folders above it
                    break
                folder = folder.rpartition("/")[0]
        return sorted(removed)
    for folder, dirs, names in os.walk(staging, topdown=False):
        rel_folder = os.path.relpath(folder, staging)
        prefix = "" if rel_folder == "." else rel_folder.replace(os.sep, "/") + "/"
        if prefix and left_alone(prefix):
            continue
        for name in names:
            rel = prefix + name
            if rel not in wanted and not left_alone(rel):
                os.unlink(os.path.join(folder, name))
                removed.append(rel)
        if prefix and not os.listdir(folder):
            os.rmdir(folder)
    return sorted(removed)
