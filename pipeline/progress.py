"""Stage progress for a batch: a rich bar per stage on a terminal, plain lines otherwise, or nothing.

rich is imported only when a terminal asks for bars, so `xnwl --help` stays fast.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Sequence, TextIO


class Reporter:
    """Silent reporter; the base of the others. The batch announces every stage up front."""

    def begin(self, stages: Sequence[str]) -> None:
        self.stages = list(stages)

    def start(self, stage: str) -> None:
        pass

    def advance(self, done: int, total: int) -> None:
        """Progress inside the running stage (a channel rendering many items)."""

    def finish(self, stage: str) -> None:
        pass

    def skip(self, stage: str, reason: str) -> None:
        pass

    def close(self) -> None:
        pass

    def position(self, stage: str) -> str:
        stages = getattr(self, "stages", [])
        index = stages.index(stage) + 1 if stage in stages else 0
        return f"[{index}/{len(stages)}]"


class LineReporter(Reporter):
    """One line when a stage starts and one when it ends, for logs, pipes and the scheduler."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self.started = 0.0
        self.shown_quarter = 0

    def start(self, stage: str) -> None:
        self.started = time.monotonic()
        self.shown_quarter = 0
        self.write(f"{self.position(stage)} {stage} ……")

    def advance(self, done: int, total: int) -> None:
        quarter = 4 * done // total if total > 0 else 0
        if 0 < quarter < 4 and quarter > self.shown_quarter:
            self.shown_quarter = quarter
            self.write(f"      {done}/{total}")

    def finish(self, stage: str) -> None:
        self.write(f"{self.position(stage)} {stage} 完成（{time.monotonic() - self.started:.1f} 秒）")

    def skip(self, stage: str, reason: str) -> None:
        self.write(f"{self.position(stage)} {stage} 跳过：{reason}")


class RichReporter(Reporter):
    """A progress bar per stage, drawn by rich on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/]"),
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=stream),
        )
        self.tasks: dict[str, Any] = {}
        self.current: str | None = None

    def begin(self, stages: Sequence[str]) -> None:
        super().begin(stages)
        self.progress.start()
        for stage in stages:
            self.tasks[stage] = self.progress.add_task(f"{self.position(stage)} {stage}", total=1, start=False)

    def start(self, stage: str) -> None:
        self.current = stage
        self.progress.start_task(self.tasks[stage])

    def advance(self, done: int, total: int) -> None:
        if self.current is not None and total > 0:
            self.progress.update(self.tasks[self.current], total=total, completed=done)

    def finish(self, stage: str) -> None:
        task = self.tasks[stage]
        total = next(t.total for t in self.progress.tasks if t.id == task) or 1
        self.progress.update(task, total=total, completed=total)
        self.current = None

    def skip(self, stage: str, reason: str) -> None:
        task = self.tasks[stage]
        self.progress.update(task, description=f"{self.position(stage)} {stage}（跳过：{reason}）", completed=1)

    def close(self) -> None:
        self.progress.stop()


def for_stream(stream: TextIO = sys.stdout) -> Reporter:
    """Bars when the stream is a terminal, plain lines when it is a pipe or a file."""
    if stream.isatty():
        return RichReporter(stream)

    def write(line: str) -> None:
        try:
            print(line, file=stream, flush=True)
        except BrokenPipeError:  # the reader went away (xnwl batch | head): the batch itself goes on
            pass

    return LineReporter(write)
