"""Output folder handling: build in a staging folder, switch it into place only when everything succeeded.

Layout inside the output folder:
  <name>/            a finished batch (e.g. 2027-04) or the site
  .staging/<name>.<pid>/   a batch being built; removed when its process is gone
  .retired/<name>.<pid>/   the previous <name> during a switch without atomic exchange (see below)
  .switch.<pid>.json       the switch in progress of process <pid>: what goes where (see switch)
  .batch.lock              held by the batch that works on this folder (pipeline.lock)

A batch's new month folder and its new site are put in place together by switch(): each folder is
exchanged with the one it replaces in a single atomic step (Linux renameat2 RENAME_EXCHANGE, through the C
library's public call), so the name never points at nothing; and a journal written first lets whoever
comes next (the next batch, or any command that reads output/, see settle) undo a switch that was cut
short between two folders, so that a reader sees the whole previous batch or the whole new one.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from pipeline import libc

STAGING = ".staging"
RETIRED = ".retired"
JOURNAL_PREFIX = ".switch."
LOCK_NAME = ".batch.lock"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_pid(path: Path) -> int | None:
    _, _, pid = path.name.rpartition(".")
    return int(pid) if pid.isdigit() else None


def _remove(path: Path) -> None:
    """Delete a folder or a file (what a killed batch left; something else put in its place)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def recover(output_root: Path) -> list[str]:
    """Undo what a killed batch left behind. Returns a line per repair, for the user."""
    notes = _recover_switches(output_root)
    retired = output_root / RETIRED
    if retired.is_dir() and not retired.is_symlink():
        for old in sorted(retired.iterdir()):
            pid = _owner_pid(old)
            if pid is not None and _alive(pid):
                continue
            name = old.name.rpartition(".")[0]
            target = output_root / name
            if name and not os.path.lexists(target):
                old.rename(target)
                notes.append(f"上次批处理在替换 {name} 时中断，已恢复原来的 {name}。")
            else:
                _remove(old)
    staging = output_root / STAGING
    if staging.is_dir() and not staging.is_symlink():
        for leftover in sorted(staging.iterdir()):
            pid = _owner_pid(leftover)
            if pid is None or not _alive(pid):
                _remove(leftover)
                notes.append(f"已清理上次未完成批处理的临时文件夹 {leftover.name}。")
    return notes


# The switch ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Move:
    """One folder of a switch: `staged` (complete) takes the place output_root/name; what was there is deleted."""
    staged: Path
    name: str


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
def _exchange(a: Path, b: Path) -> bool:
    """Swap the two names in one atomic step. False where the system cannot (then nothing was done)."""
    renameat2 = libc.function("renameat2")
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = libc.errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):  # not on this file system
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _identity(path: Path) -> list[int] | None:
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return None
    return [status.st_dev, status.st_ino]


def _retired_path(output_root: Path, name: str, pid: int) -> Path:
    return output_root / RETIRED / f"{name}.{pid}"


def switch(output_root: Path, moves: list[Move], midway: Callable[[], None] = lambda: None) -> None:
    """Put every move's folder in place, all of them or (if this process is killed meanwhile) none.

    `midway` runs after the first folder was switched, before the others (the crash tests park a batch there).
    """
    pid = os.getpid()
    records = []
    for move in moves:
        identity = _identity(move.staged)
        if identity is None:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(move.staged))
        records.append({"staged": str(move.staged), "name": move.name, "identity": identity})
    journal = output_root / f"{JOURNAL_PREFIX}{pid}.json"
    replace_file(journal, json_bytes({"pid": pid, "moves": records}), durable=True)
    _fsync_dir(output_root)
    try:
        for index, record in enumerate(records):
            _put_in_place(output_root, record, pid)
            if index == 0:
                midway()
    except BaseException:
        _undo(output_root, records, pid)  # if this fails too, the journal stays: the next command undoes it
        journal.unlink()
        raise
    _fsync_dir(output_root)  # every folder is in place: from here on the switch is done, whatever happens
    _finish(output_root, records, pid)
    journal.unlink()
    _remove_empty_helpers(output_root)
    _fsync_dir(output_root)


def _put_in_place(output_root: Path, record: dict[str, Any], pid: int) -> None:
    staged, target = Path(record["staged"]), output_root / record["name"]
    if os.path.lexists(target):
        if _exchange(staged, target):  # the old one is now at the staged path
            return
        retired = _retired_path(output_root, record["name"], pid)
        retired.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(retired):
            _remove(retired)
        target.rename(retired)
    staged.rename(target)


def _finish(output_root: Path, records: list[dict[str, Any]], pid: int) -> None:
    """Every folder is in place: delete the ones they replaced."""
    for record in records:
        old = Path(record["staged"])
        if not os.path.lexists(old):
            old = _retired_path(output_root, record["name"], pid)
        if not os.path.lexists(old):
            continue  # nothing was replaced
        _remove(old)


def _undo(output_root: Path, records: list[dict[str, Any]], pid: int) -> None:
    """Put back every folder a switch that was cut short had already replaced."""
    for record in reversed(records):
        staged, target = Path(record["staged"]), output_root / record["name"]
        retired = _retired_path(output_root, record["name"], pid)
        if _identity(target) == record["identity"]:  # switched: the new folder is in place
            if os.path.lexists(staged):  # exchanged: the old one is at the staged path
                if not _exchange(staged, target):
                    raise OSError(errno.ENOTSUP, "exchange not supported", str(target))
                continue
            target.rename(staged)
            if os.path.lexists(retired):
                retired.rename(target)
        elif not os.path.lexists(target) and os.path.lexists(retired):  # cut between its two renames
            retired.rename(target)


def _read_journal(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("moves"), list):
        return None
    return data


def _journals(output_root: Path) -> list[tuple[Path, int]]:
    found = []
    for name in _names(output_root):
        if name.startswith(JOURNAL_PREFIX) and name.endswith(".json"):
            pid = name[len(JOURNAL_PREFIX):-len(".json")]
            if pid.isdigit():
                found.append((output_root / name, int(pid)))
    return found


def _recover_switches(output_root: Path) -> list[str]:
    """Finish, or undo, the switch of every process that was killed during one."""
    notes: list[str] = []
    for journal, pid in _journals(output_root):
        if _alive(pid):
            continue
        data = _read_journal(journal)
        records = data["moves"] if data is not None else []
        names = "、".join(str(r.get("name")) for r in records)
        if records and all(_identity(output_root / r["name"]) == r["identity"] for r in records):
            _finish(output_root, records, pid)
            notes.append(f"上次批处理在替换 {names} 之后、收尾之前中断：新的 {names} 已完整就位，已完成收尾。")
        elif records:
            _undo(output_root, records, pid)
            notes.append(f"上次批处理在替换 {names} 的中途中断：已恢复原来的 {names}。")
        journal.unlink()
    for name in _names(output_root):  # a journal being written when its process was killed
        if name.startswith(JOURNAL_PREFIX) and name.endswith(".tmp"):
            pid = name[:-len(".tmp")].rpartition(".")[2]
            if pid.isdigit() and not _alive(int(pid)):
                _remove(output_root / name)
    _fsync_dir(output_root)
    return notes


def _names(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError:
        return []


def switch_left(output_root: Path) -> bool:
    """Whether this process left a switch half done (it failed, and so did undoing it): its staging folders
    then hold what the next command puts back, and must not be discarded."""
    return os.path.lexists(output_root / f"{JOURNAL_PREFIX}{os.getpid()}.json")


def settle(output_root: Path, patience: float = 10.0) -> list[str]:
    """Before a command reads output/: finish or undo a switch that a killed batch left half done (under the
    batch lock), or wait for one that a running batch is doing. Returns the repairs, for the user."""
    if not _journals(output_root):
        return []
    from pipeline.lock import Busy, exclusive

    deadline = time.monotonic() + patience
    while True:
        journals = _journals(output_root)
        if not journals:
            return []
        if not all(_alive(pid) for _, pid in journals):
            try:
                with exclusive(output_root / LOCK_NAME, f"输出目录（{output_root}）"):
                    return _recover_switches(output_root)
            except Busy:  # a batch holds the lock: it repairs the folder first thing
                pass
        if time.monotonic() > deadline:  # a live batch switching for so long: it is its business
            return []
        time.sleep(0.05)


def swap_into_place(staging: Path, output_root: Path, name: str, midway: Callable[[], None] = lambda: None) -> None:
    """Replace output_root/name with staging (a switch of one folder, see switch)."""
    switch(output_root, [Move(staging, name)], midway)


def _remove_empty_helpers(output_root: Path) -> None:
    for helper in (output_root / STAGING, output_root / RETIRED):
        try:
            helper.rmdir()  # only when empty: another batch of another month may be using it
        except OSError:
            pass


def new_staging(output_root: Path, name: str) -> Path:
    path = output_root / STAGING / f"{name}.{os.getpid()}"
    if os.path.lexists(path):
        _remove(path)
    path.mkdir(parents=True)
    return path


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def json_bytes(data: Any) -> bytes:
    """Stable JSON: real UTF-8 (WeChat rejects \\u escapes), fixed indentation, trailing newline."""
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def named(error: OSError, path: Path) -> OSError:
    """error, naming path if it names none (a failed write() does not say which file it was writing)."""
    if error.filename is not None or error.errno is None:
        return error
    named_error = OSError(error.errno, error.strerror, str(path))
    named_error.__cause__ = error
    return named_error


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.write_bytes(data)
    except OSError as error:
        raise named(error, path) from error


def replace_file(path: Path, data: bytes, durable: bool = False) -> None:
    """Write atomically: readers see the old bytes or the new ones, never half a file. durable: on disk
    before it replaces the old one (fsync)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException as error:
        try:
            temp.unlink()
        except OSError:
            pass
        if isinstance(error, OSError):
            raise named(error, path) from error
        raise
