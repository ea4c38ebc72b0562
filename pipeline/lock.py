"""An exclusive lock on a folder's work, held so that a killed holder releases it at once.

The lock is a POSIX record lock (fcntl F_SETLK, through fcntl.lockf), which belongs to the process that took
it: processes it forks (worker pools, the site's helpers) never hold it, even while they keep a copy of its
descriptor, so a killed batch leaves it free whatever its children still do. (A flock belongs to the open
file, and every forked child holding the descriptor kept a killed batch's lock.) The descriptor is also
close-on-exec, so no program the batch starts has it at all. One rule comes with POSIX locks:
the process must not open and close the lock file elsewhere while it holds the lock (closing any descriptor
of the file releases it); nothing else opens it.

Who holds it (pid, host, start time) goes into a sidecar file next to the lock, so a second process
can say whom it is waiting for. The sidecar of a holder that was killed stays behind: the next holder
takes the lock over and says so (Held.note).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

from pipeline.content.problems import UserError

TZ = ZoneInfo("Asia/Shanghai")


class Busy(UserError):
    """The lock is held by another process."""

    def __init__(self, message: str, owner: dict[str, object] | None) -> None:
        super().__init__(message)
        self.owner = owner


def owner_path(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + ".owner")


def read_owner(lock_path: Path) -> dict[str, object] | None:
    try:
        data = json.loads(owner_path(lock_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def describe_owner(owner: dict[str, object] | None) -> str:
    if not owner:
        return "占用者信息暂不可用"
    return f"进程 {owner.get('pid')}，主机 {owner.get('host')}，开始于 {owner.get('started')}"


@dataclass(frozen=True)
class Held:
    """The lock, taken. note: a line for the user when it was taken over from a holder that is gone."""
    note: str | None = None


@contextmanager
def exclusive(lock_path: Path, what: str, wait: float = 0.0, poll: float = 0.2) -> Iterator[Held]:
    """Hold lock_path for the block. `what` names the guarded work in the busy message.

    Waits up to `wait` seconds for a busy lock, then raises Busy naming the holder.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    key = os.path.abspath(lock_path)
    deadline = time.monotonic() + wait
    while not _claim(key):  # another thread of this process holds it (a POSIX lock would not tell)
        if time.monotonic() >= deadline:
            owner = read_owner(lock_path)
            raise Busy(f"{what}正被另一个进程占用（{describe_owner(owner)}）。请等它结束后再试。", owner)
        time.sleep(poll)
    try:
        with _locked(lock_path, what, deadline, poll) as held:
            yield held
    finally:
        with _CLAIMS_GUARD:
            _CLAIMS.discard(key)


_CLAIMS: set[str] = set()  # lock files held by this process
_CLAIMS_GUARD = threading.Lock()


def _claim(key: str) -> bool:
    with _CLAIMS_GUARD:
        if key in _CLAIMS:
            return False
        _CLAIMS.add(key)
        return True


@contextmanager
def _locked(lock_path: Path, what: str, deadline: float, poll: float) -> Iterator[Held]:
    # Opened once per hold, and by no one else in this process (see the module's docstring).
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:  # EAGAIN or EACCES, depending on the system: held by another process
                if not isinstance(error, BlockingIOError) and error.errno not in (errno.EACCES, errno.EAGAIN):
                    raise
                if time.monotonic() >= deadline:
                    owner = read_owner(lock_path)
                    raise Busy(f"{what}正被另一个进程占用（{describe_owner(owner)}）。请等它结束后再试。",
                               owner) from None
                time.sleep(poll)
        left = read_owner(lock_path)  # a holder that ended normally removed it: this one was killed
        note = None
        if left is not None and left.get("pid") != os.getpid():
            note = (f"上次占用{what}的进程已不在（{describe_owner(left)}），可能是被强行终止；"
                    "已接管它的锁，并清理它留下的文件。")
        _write_owner(lock_path)
        try:
            yield Held(note)
        finally:
            try:
                owner_path(lock_path).unlink()
            except OSError:
                pass
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _write_owner(lock_path: Path) -> None:
    info = {
        "pid": os.getpid(),
        "host": os.uname().nodename,  # socket.gethostname() on Linux, without importing socket (~4 ms)
        "started": datetime.now(TZ).strftime("%Y-%m-%d %H:%M:%S"),
    }
    target = owner_path(lock_path)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, target)
