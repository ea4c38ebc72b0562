from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "basic"


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def xnwl(*args: str, root: Path | None = None, cwd: Path | None = None, env: dict[str, str] | None = None,
         timeout: float = 120) -> Run:
    """Run the real command line in a child process, as a user would."""
    command = [sys.executable, "-m", "pipeline"]
    if root is not None:
        command += ["--root", str(root)]
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    done = subprocess.run(command + list(args), capture_output=True, text=True, cwd=cwd or REPO, env=full_env,
                          timeout=timeout)
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A private copy of the small fixture content tree."""
    target = tmp_path / "site"
    shutil.copytree(FIXTURE, target)
    return target


def built_fixture(factory: pytest.TempPathFactory, *months: str) -> Path:
    """A copy of the fixture tree with these months' batches built: build once per module, copy per test."""
    root = factory.mktemp("built") / "site"
    shutil.copytree(FIXTURE, root)
    for month in months:
        run = xnwl("batch", "--month", month, root=root)
        assert run.code == 0, run.text
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
