"""What the scheduled job did for each month: one row per month in state/runs.sqlite."""

from __future__ import annotations

import os
import socket
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

RUNNING = "running"
OK = "ok"
ERROR = "error"
STATUS_NAMES = {RUNNING: "进行中", OK: "成功", ERROR: "失败"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    month TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    message TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 1,
    pid INTEGER,
    host TEXT
)
"""


@dataclass(frozen=True)
class Run:
    month: str
    status: str
    started: str
    finished: str | None
    message: str
    attempts: int
    pid: int | None
    host: str | None

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, self.status)

    def interrupted(self) -> bool:
        """Marked running by a process on this host that no longer exists (killed mid-job)."""
        if self.status != RUNNING or self.host != socket.gethostname() or self.pid is None:
            return False
        if self.pid == os.getpid():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


class RunHistory:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=30)
        connection.execute(_SCHEMA)
        return connection

    def get(self, month: str) -> Run | None:
        if not self.path.exists():  # reading never creates state/
            return None
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM runs WHERE month = ?", (month,)).fetchone()
        return Run(*row) if row else None

    def last(self) -> Run | None:
        if not self.path.exists():
            return None
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM runs ORDER BY started DESC, month DESC LIMIT 1").fetchone()
        return Run(*row) if row else None

    def all(self) -> list[Run]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as db:
            return [Run(*row) for row in db.execute("SELECT * FROM runs ORDER BY month")]

    def begin(self, month: str, started: str) -> None:
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO runs (month, status, started, pid, host) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(month) DO UPDATE SET status = excluded.status, started = excluded.started, "
                "finished = NULL, message = '', attempts = attempts + 1, pid = excluded.pid, host = excluded.host",
                (month, RUNNING, started, os.getpid(), socket.gethostname()))

    def end(self, month: str, status: str, finished: str, message: str) -> None:
        with closing(self._connect()) as db, db:
            db.execute("UPDATE runs SET status = ?, finished = ?, message = ? WHERE month = ?",
                       (status, finished, message, month))
