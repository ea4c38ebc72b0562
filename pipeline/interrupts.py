"""Ctrl-C that is never lost.

Python turns SIGINT into KeyboardInterrupt wherever the main thread happens to be. Where that is a callback
whose exceptions the interpreter only prints (the hooks run around os.fork, such as logging's `_releaseLock`;
a finaliser), the KeyboardInterrupt is dropped ("Exception ignored in …") and the batch went on to finish.
So the handler also counts the signal, and the batch asks `check()` at every stage boundary and before it
switches its output in: an interrupt that was dropped is raised again there. During the switch itself
(`deferred()`), an interrupt only counts: the switch finishes, then it is raised.
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator

_received = 0
_deferring = 0


class InterruptedAfterSwitch(KeyboardInterrupt):
    """Ctrl-C arrived while the new output was being switched in: the batch had already completed it."""


def install() -> None:
    """Count every SIGINT, and raise KeyboardInterrupt as Python does (main thread only; else a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return  # ignored (started in the background with SIGINT ignored) or someone else's: left alone
    signal.signal(signal.SIGINT, _on_interrupt)
    previous = sys.unraisablehook

    def unraisable(info: Any) -> None:
        if isinstance(info.exc_value, KeyboardInterrupt):
            return  # counted; raised again by check() (no "Exception ignored" traceback for a Ctrl-C)
        previous(info)

    sys.unraisablehook = unraisable


def _on_interrupt(signum: int, frame: Any) -> None:
    global _received
    _received += 1
    if not _deferring:
        raise KeyboardInterrupt


def interrupted() -> bool:
    """Whether a SIGINT arrived in this process (whether or not its KeyboardInterrupt got through)."""
    return _received > 0


def check() -> None:
    """Raise KeyboardInterrupt if a SIGINT arrived, even one whose exception was swallowed."""
    if _received:
        raise KeyboardInterrupt


@contextmanager
def deferred() -> Iterator[None]:
    """A block an interrupt must not cut in two: a SIGINT meanwhile is raised once the block is done."""
    global _deferring
    before = _received
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    if _received != before and not _deferring:
        raise InterruptedAfterSwitch
