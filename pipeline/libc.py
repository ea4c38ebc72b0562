"""Calls of the C library that Python's os module does not offer (renameat2, prctl), through ctypes."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def function(name: str) -> Any | None:
    """The C library's function of that name, or None where this system's C library has none. Looked up once:
    a lookup in a forked child (a dlopen) could wait forever on a lock another thread held at the fork."""
    import ctypes  # only where a call is needed: not on every command's start

    try:
        return getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):
        return None


def errno() -> int:
    """The errno the last call through function() left."""
    import ctypes

    return ctypes.get_errno()
