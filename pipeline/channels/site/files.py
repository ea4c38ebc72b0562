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
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import output
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


def open_staging(output_root: Path, spare: Path | None = None) -> Path:
    """A staging folder holding hard links to every file of the current output/site.

    `spare` is where the previous build left the site it replaced (see swap): its folders and most of its
    links are already right, so making it match the live site costs far less than a new copy."""
    staging = output.new_staging(output_root, SITE)
    _FRESH.discard(str(staging))  # `xnwl serve` builds again and again into the same folder name
    _MADE.clear()
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
        _mirror(live, staging)
    else:
        shutil.rmtree(staging)
        staging.mkdir()
        _FRESH.add(str(staging))
    return staging


def _mirror(live: Path | str, copy: Path | str) -> None:
    """Make copy hold hard links to exactly the files of live, folder by folder (kept links are not touched)."""
    wanted = {entry.name: entry for entry in os.scandir(live)}
    present = {entry.name: entry for entry in os.scandir(copy)}
    for name, entry in present.items():
        source = wanted.get(name)
        keep = source is not None and (
            (entry.is_dir(follow_symlinks=False) and source.is_dir(follow_symlinks=False))
            or (entry.is_file(follow_symlinks=False) and source.is_file(follow_symlinks=False)
                and entry.inode() == source.inode()))
        if not keep:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
    for name in sorted(wanted):
        source = wanted[name]
        target = os.path.join(copy, name)
        if source.is_dir(follow_symlinks=False):
            if not os.path.isdir(target):
                os.mkdir(target)
            _mirror(source.path, target)
        elif source.is_file(follow_symlinks=False) and not os.path.lexists(target):
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
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


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
    for folder, dirs, names in os.walk(staging, topdown=False):
        rel_folder = os.path.relpath(folder, staging)
        prefix = "" if rel_folder == "." else rel_folder.replace(os.sep, "/") + "/"
        if prefix and any(prefix.startswith(kept) or prefix == kept.rstrip("/") + "/" for kept in leave):
            continue
        for name in names:
            rel = prefix + name
            if rel not in wanted and not any(rel.startswith(kept) for kept in leave):
                os.unlink(os.path.join(folder, name))
                removed.append(rel)
        if prefix and not os.listdir(folder):
            os.rmdir(folder)
    return sorted(removed)


def sync(staging: Path, files: dict[str, bytes], keep: set[str] = frozenset(), leave: tuple[str, ...] = ()) -> SyncReport:
    """Make staging hold exactly `files` (plus `keep`, files known to be current, and anything under `leave`).

    A file is rewritten only when its content hash differs; files no longer produced are removed.
    """
    report = SyncReport()
    for rel in sorted(files):
        if put(staging, rel, files[rel]):
            report.written.append(rel)
        else:
            report.unchanged += 1
    report.removed = remove_others(staging, set(files) | set(keep), leave)
    return report
