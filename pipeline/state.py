"""<root>/state/: what the scheduler and feed pulls keep between runs (git-ignored, never published)."""

from __future__ import annotations

from pathlib import Path


def state_dir(root: Path) -> Path:
    return root / "state"
