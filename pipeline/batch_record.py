"""What the last good batch of a month saw, so an unchanged month is recognised without loading anything.

state/cache/batch-<YYYY-MM>.marshal pairs the digest of the input files (pipeline.sourcetree) with the sha256
of the manifest that batch wrote (or found current). A later batch whose input digest and manifest are the
same, with the same tool version and channels and intact output files, is up to date: the full check would
load the same content, compute the same input hashes and compare them with the same manifest.
"""

from __future__ import annotations

import hashlib
import json
import marshal
from pathlib import Path
from typing import Any

from pipeline import __version__, output
from pipeline.sourcetree import Snapshot, snapshot
from pipeline.state import cache_dir

_FORMAT = 2  # marshal


def _path(root: Path, month: str) -> Path:
    return cache_dir(root) / f"batch-{month}.marshal"


def _read(root: Path, month: str) -> dict[str, Any]:
    try:
        data = marshal.loads(_path(root, month).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == _FORMAT else {}


def take_snapshot(root: Path, month: str) -> Snapshot:
    files = _read(root, month).get("files")
    return snapshot(root, files if isinstance(files, dict) else None)


def _manifest_digest(folder: Path) -> str | None:
    try:
        return hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    except OSError:
        return None


def still_current(root: Path, month: str, folder: Path, sources: Snapshot, channels: list[str]) -> list[str] | None:
    """The content warnings to repeat when the month's batch is up to date by the record, else None."""
    record = _read(root, month)
    if not record or record.get("sources") != sources.digest:
        return None
    digest = _manifest_digest(folder)
    if digest is None or record.get("manifest") != digest:
        return None
    try:
        manifest = json.loads((folder / "manifest.json").read_bytes())
    except (OSError, ValueError):
        return None
    if manifest.get("version") != __version__ or manifest.get("channels") != channels:
        return None
    present = {rel: sha for rel, sha in output.tree_hashes(folder).items() if rel != "manifest.json"}
    if present != manifest.get("outputs"):
        return None
    warnings = record.get("warnings")
    return [w for w in warnings if isinstance(w, str)] if isinstance(warnings, list) else []


def unchanged_since(root: Path, sources: Snapshot) -> bool:
    """Whether the input files are still those of the snapshot taken when the batch began."""
    return snapshot(root, sources.files).digest == sources.digest


def remember(root: Path, month: str, folder: Path, sources: Snapshot, warnings: list[str],
             unchanged: bool | None = None) -> None:
    """Record a finished batch, unless an input changed while it ran (then the next batch checks in full).
    `unchanged`: unchanged_since, already asked once every input was read (the batch asks while it waits
    for the search index), else asked here."""
    if not (unchanged if unchanged is not None else unchanged_since(root, sources)):
        return
    digest = _manifest_digest(folder)
    if digest is None:
        return
    record = {"format": _FORMAT, "sources": sources.digest, "manifest": digest, "warnings": warnings,
              "files": sources.files}
    path = _path(root, month)
    try:
        output.replace_file(path, marshal.dumps(record))
    except (OSError, ValueError):
        pass  # without a record the next batch only takes the full check
