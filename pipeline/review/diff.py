"""A readable line diff of two texts, for editors: what changed since last month or since the approval."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DiffLine:
    op: str  # " " same, "-" removed, "+" added, "…" lines skipped
    text: str


def line_diff(before: str, after: str, context: int = 1) -> list[DiffLine]:
    """Changed lines with `context` unchanged lines around them; empty when the texts are equal."""
    import difflib  # here, not at the top: a batch does not diff (~3 ms to import)

    old, new = before.splitlines(), after.splitlines()
    lines: list[DiffLine] = []
    for group in difflib.SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("…", ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine(" ", text) for text in old[i1:i2]]
                continue
            lines += [DiffLine("-", text) for text in old[i1:i2]]
            lines += [DiffLine("+", text) for text in new[j1:j2]]
    return lines
