"""<root>/state/: what the scheduler and feed pulls keep between runs (git-ignored, never published)."""

from __future__ import annotations

from pathlib import Path


def state_dir(root: Path) -> Path:
    return root / "state"


def cache_dir(root: Path) -> Path:
    """Parsed content and fingerprints of rendered outputs, kept between runs to skip unchanged work."""
    return state_dir(root) / "cache"
