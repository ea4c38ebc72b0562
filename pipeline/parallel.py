"""Running a function over many items on every core, in forked worker processes.

Workers are forked, so they start with everything the parent had prepared (templates compiled, views built)
and only the items' results travel back. Small batches stay in the process: forking costs more than it saves.
The parent may run other threads (rich's progress bar, `xnwl serve`, the scheduler); the workers only render,
parse and write files, never touching the locks those threads take, so forking beside them is safe.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from typing import TYPE_CHECKING, Callable, Generic, TypeVar

from pipeline import libc

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

T = TypeVar("T")
R = TypeVar("R")


def workers() -> int:
    """Worker processes to use: XNWL_WORKERS if set (1 turns parallel work off), else one per core."""
    value = os.environ.get("XNWL_WORKERS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return os.cpu_count() or 1


def worth_forking(items: int, min_items: int) -> bool:
    """Whether so many items are worth worker processes. XNWL_PARALLEL_FROM overrides min_items (the tests
    use it to run the forked paths on a small tree)."""
    value = os.environ.get("XNWL_PARALLEL_FROM", "")
    if value.isdigit():
        min_items = int(value)
    return min(workers(), 8) >= 2 and items >= max(1, min_items)


def fork_map(func: Callable[[list[T]], list[R]], items: list[T], min_items: int) -> list[R]:
    """func applied to chunks of items, results in the items' order. func must be a module-level function."""
    count = min(workers(), 8)
    if not worth_forking(len(items), min_items):
        return func(items)
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    # Interleaved chunks even out the cost of expensive and cheap items; many small ones per worker keep every
    # worker busy to the end (a worker left with the last big chunk would make the others wait).
    parts = min(count * 16, len(items))
    chunks = [items[i::parts] for i in range(parts)]
    with ProcessPoolExecutor(max_workers=count, mp_context=get_context("fork")) as pool:
        done = list(pool.map(func, chunks))
    results: list[R] = [None] * len(items)  # type: ignore[list-item]
    for start, chunk_results in enumerate(done):
        results[start::parts] = chunk_results
    return results


class Stream(Generic[R]):
    """Results of fork_stream, in the items' order, each available as soon as its chunk is done."""

    def __init__(self, pool: Executor | None, chunks: list[Future[list[R]]]) -> None:
        self._pool, self._chunks, self._next = pool, chunks, 0
        self._ready: deque[R] = deque()

    def __iter__(self) -> Stream[R]:
        return self

    def __next__(self) -> R:
        while not self._ready:
            if self._next == len(self._chunks):
                self.close()
                raise StopIteration
            self._ready.extend(self._chunks[self._next].result())
            self._next += 1
        return self._ready.popleft()

    def close(self) -> None:
        """End the workers (those still working on a chunk are waited for; chunks not started are dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def fork_stream(func: Callable[[list[T]], list[R]], items: list[T], min_items: int) -> Stream[R]:
    """func applied to the items like fork_map, started at once; but the results come one by one, in the items'
    order, as soon as the workers have them: the caller works on the first ones while the workers go on with
    the rest. Close the stream (or exhaust it) to end the workers."""
    from concurrent.futures import Future

    count = min(workers(), 8)
    if not worth_forking(len(items), min_items):
        done: Future[list[R]] = Future()
        done.set_result(func(items))
        return Stream(None, [done])
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    # Consecutive chunks, small enough that the first results come early, large enough to cost little each.
    size = max(8, min(64, len(items) // (count * 16)))
    pool = ProcessPoolExecutor(max_workers=count, mp_context=get_context("fork"))
    return Stream(pool, [pool.submit(func, items[i:i + size]) for i in range(0, len(items), size)])


_PR_SET_PDEATHSIG = 1
def prepare_to_detach() -> None:
    """Call before forking children that call prctl: libc is looked up here, not in each child."""
    libc.function("prctl")


_TIED = False
_FORKING_FROM = 0  # the pid of the process that forks, taken just before (see tie_children)


def tie_children() -> None:
    """From now on, every process forked from this one (worker pools, whoever starts them, and the site's
    helpers) is ended by the kernel when this one ends: a killed batch leaves no worker behind, waiting
    forever for work. Processes started with subprocess (which execs at once) are not concerned."""
    global _TIED
    if _TIED or not hasattr(os, "register_at_fork"):
        return
    _TIED = True
    prepare_to_detach()
    os.register_at_fork(before=_note_forking_process, after_in_child=_die_with_parent)


def _note_forking_process() -> None:
    global _FORKING_FROM
    _FORKING_FROM = os.getpid()


def _die_with_parent() -> None:
    prctl = libc.function("prctl")
    if prctl is not None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # Linux; the signal comes when the forking thread ends
    if os.getppid() != _FORKING_FROM:  # the parent was gone already
        os._exit(1)
