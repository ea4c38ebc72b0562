"""Chinese line breaking for posters (W3C clreq basic rules, GB/T 15834-2011 §5.1).

Text is cut into unbreakable clusters, then filled greedily into lines:
- closing marks and pause/stop marks never start a line: they stick to what precedes them;
- opening marks (and currency signs) never end a line: they stick to what follows them;
- —— and …… are never split and never start a line;
- a Latin word, a number, a date, a time, a range and a price with its unit stay whole, and so does a
  Chinese numeral with its unit (两天, 半小时);
- a middle dot (·) neither starts nor ends a line: it stays between the words it joins;
- a place name the caller marks (keep_whole, or Names.protect for the content's own names) stays whole.
A line that is too long is pushed back (推出): the whole cluster moves to the next line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

Measure = Callable[[str], float]

# Never at a line start.
NO_START = set("、，。．：；！？）》〉」』】〕〗］｝”’·・％℃‰°々〃ー～…—,.;:!?)]}%→")
# Never at a line end.
NO_END = set("（《〈「『【〔〖［｛“‘￥¥$＄#＃([{·・")
ELLIPSIS = "……"
# U+2060 WORD JOINER: no break here (put between the characters of a name that must stay whole).
WORD_JOINER = "\u2060"
# Trailing marks dropped before an ellipsis is appended ("如此，……" reads wrong).
_DROP_BEFORE_ELLIPSIS = set("、，。．：；！？,.;:!? ") | NO_END
# A shortened text preferably ends at the end of a sentence: whole sentences need no ellipsis.
SENTENCE_END = set("。！？；!?;")

_UNIT = (r"(?:周年|公里|千米|小时|分钟|平方米|km|kg|KB|MB|GB|°C|"
         r"[年月日号时点分秒元块角万亿千百米天晚人岁次个条处座级期届周度层栋%％℃°])")
_WORD = r"(?:https?://)?[A-Za-z0-9]+(?:(?:[.,:：'’&+·\-_]|/+)[A-Za-z0-9]+)*(?:/(?![A-Za-z0-9]))?"
_AMOUNT = rf"[￥¥$＄]?{_WORD}(?:{_UNIT})?(?:/[人晚位天次张份间台件])?(?:（周[一二三四五六日天]）)?"
# A Chinese numeral with its unit: 两天, 半小时, 十月, 三日游's 三日.
_CN_AMOUNT = r"[一二三四五六七八九十两半]+个?(?:小时|分钟|公里|千米|天|日|晚|年|月|周|次|人|岁)"
# Chained amounts: 2027年4月3日, 4月3日（周六）, 4月3日—25日, 9:00—17:00, 80—120元, 3月至5月.
_ATOM_PATTERN = (
    rf"(?P<num>{_AMOUNT}(?:{_AMOUNT})*(?:(?:[-–—~～至](?!—))(?:{_AMOUNT})+)*)"
    rf"|(?P<cn>{_CN_AMOUNT})"
    r"|(?P<run>—{2,}|…+|─{2,}|⋯+)"
    r"|(?P<space>[ \t\u3000]+)"
    r"|(?P<char>.)"
)


@lru_cache(maxsize=1)
def _atom() -> re.Pattern[str]:
    # Compiled at first use (~6 ms), not when the module is imported.
    return re.compile(_ATOM_PATTERN, re.S)


@dataclass(frozen=True, slots=True)
class Cluster:
    text: str
    space: bool = False  # a break opportunity that disappears at a line edge


def clusters(text: str) -> list[Cluster]:
    """Cut one paragraph (no newlines) into clusters that may not be split across lines."""
    out: list[Cluster] = []
    glue_next = False  # the previous cluster ends with an opening mark, or a word joiner
    for match in _atom().finditer(text):
        piece = match.group()
        kind = match.lastgroup
        if piece == WORD_JOINER:
            glue_next = bool(out)  # the joiner itself is not drawn
            continue
        if kind == "space":
            if glue_next and out:
                continue  # "（ 注" : drop the space, keep the mark with what follows
            out.append(Cluster(" " if piece[0] != "\u3000" else piece, space=True))
            continue
        sticks_back = kind == "run" or (kind == "char" and piece in NO_START)
        if out and not out[-1].space and (glue_next or sticks_back):
            out[-1] = Cluster(out[-1].text + piece)
        elif out and out[-1].space and sticks_back and len(out) > 1:
            # "A → B", "word ，": a mark after a space still may not start a line; the space stays
            space = out.pop()
            out[-1] = Cluster(out[-1].text + space.text + piece)
        else:
            out.append(Cluster(piece))
        glue_next = kind == "char" and piece in NO_END
    return out


def keep_whole(text: str) -> str:
    """Text that may not be broken across lines (a place name): joined by word joiners."""
    return WORD_JOINER.join(text)


class Names:
    """Place names that may not be broken across lines (stop names, venues, counties, stations): protect()
    joins every occurrence in a text with word joiners, longest name first."""

    def __init__(self, names: list[str] | set[str] | tuple[str, ...]) -> None:
        usable = sorted({n for n in names if len(n) >= 2 and WORD_JOINER not in n}, key=lambda n: (-len(n), n))
        self.names = tuple(usable)
        self._pattern = re.compile("|".join(re.escape(n) for n in usable)) if usable else None

    def protect(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(lambda m: keep_whole(m.group()), text)


def _split_wide(cluster: str, width: float, measure: Measure) -> list[Cluster]:
    """Last resort for a cluster wider than the line (a long URL): split between its atoms, so ——
    and …… still stay whole, and inside an atom only if that atom alone is too wide."""
    pieces: list[str] = []
    for match in _atom().finditer(cluster):
        atom = match.group()
        if measure(atom) <= width:
            pieces.append(atom)
        else:
            pieces.extend(atom)
    parts: list[Cluster] = []
    current = ""
    for piece in pieces:
        if current and measure(current + piece) > width:
            parts.append(Cluster(current))
            current = piece
        else:
            current += piece
    if current:
        parts.append(Cluster(current))
    return parts


def _line_clusters(text: str, width: float, measure: Measure) -> list[list[Cluster]]:
    """Greedy fill of one paragraph; each line is the list of its clusters, edge spaces dropped."""
    items: list[Cluster] = []
    for cluster in clusters(text):
        if not cluster.space and measure(cluster.text) > width:
            items.extend(_split_wide(cluster.text, width, measure))
        else:
            items.append(cluster)
    return _fill(items, width, measure)


def _fill(items: list[Cluster], width: float, measure: Measure) -> list[list[Cluster]]:
    """Clusters (none wider than width) filled greedily into lines."""
    lines: list[list[Cluster]] = []
    current: list[Cluster] = []
    current_width = 0.0
    pending: Cluster | None = None
    for cluster in items:
        if cluster.space:
            pending = cluster if current else None
            continue
        cluster_width = measure(cluster.text)
        gap = measure(pending.text) if pending is not None else 0.0
        if current and current_width + gap + cluster_width > width:
            lines.append(current)
            current, current_width, pending, gap = [], 0.0, None, 0.0
        if pending is not None:
            current.append(pending)
        current.append(cluster)
        current_width += gap + cluster_width
        pending = None
    if current or not lines:
        lines.append(current)
    return lines


def _join(line: list[Cluster]) -> str:
    return "".join(c.text for c in line)


def wrap(text: str, width: float, measure: Measure) -> list[str]:
    """Break text into lines no wider than width. Newlines in text are kept as hard breaks."""
    return [_join(line) for paragraph in text.split("\n") for line in _line_clusters(paragraph, width, measure)]


@dataclass(frozen=True, slots=True)
class Fitted:
    lines: list[str]
    ellipsized: bool  # shortened: whole sentences left out, or cut with ……
    overflow: bool  # more lines than allowed and no shortening permitted


def fit(text: str, width: float, max_lines: int, measure: Measure, ellipsis: bool) -> Fitted:
    """Wrap into at most max_lines lines. When that is too many and shortening is allowed: the longest run
    of whole sentences that fits (no ellipsis needed), else the last line cut with ……."""
    paragraphs = [_line_clusters(p, width, measure) for p in text.split("\n")]
    lines = [line for paragraph in paragraphs for line in paragraph]
    if len(lines) <= max_lines:
        return Fitted([_join(line) for line in lines], False, False)
    if not ellipsis:
        return Fitted([_join(line) for line in lines], False, True)
    sentences = _sentence_prefix(text, width, max_lines, measure)
    if sentences is not None:
        return Fitted(sentences, True, False)
    kept = [_join(line) for line in lines[: max_lines - 1]]
    # The last allowed line takes what is left of its paragraph, as far as it fits with the ellipsis.
    index = max_lines - 1
    for paragraph in paragraphs:
        if index < len(paragraph):
            rest = [c for line in paragraph[index:] for c in line]
            break
        index -= len(paragraph)
    last = ""
    for cluster in rest:
        candidate = last + cluster.text
        if measure(_with_ellipsis(candidate)) > width:
            break
        last = candidate
    return Fitted(kept + [_with_ellipsis(last)], True, False)


def _sentence_prefix(text: str, width: float, max_lines: int, measure: Measure) -> list[str] | None:
    """The lines of the longest run of whole sentences at the start of text that fits in max_lines (a
    semicolon that ends it becomes a full stop); None if even the first sentence does not fit."""
    ends = [i + 1 for i, ch in enumerate(text) if ch in SENTENCE_END and i + 1 < len(text)]
    for end in reversed(ends):
        prefix = text[:end]
        if prefix[-1] in "；;":
            prefix = prefix[:-1] + "。"
        lines = wrap(prefix, width, measure)
        if len(lines) <= max_lines:
            return lines
    return None


def _with_ellipsis(text: str) -> str:
    text = text.rstrip()
    while text and text[-1] in _DROP_BEFORE_ELLIPSIS:
        text = text[:-1].rstrip()
    return text + ELLIPSIS


def balance(text: str, width: float, measure: Measure, lines: int) -> float:
    """The narrowest width (down to half) that still gives the same number of lines: evens out a title
    whose last line would hold a lone character or two."""
    if lines < 2:
        return width
    # Never so narrow that a cluster (a date with its comma, a place name) would have to be split.
    paragraphs = [clusters(p) for p in text.split("\n")]
    widest = max((measure(c.text) for p in paragraphs for c in p if not c.space), default=0.0)
    if widest > width:
        return width
    low, high = max(width / 2, widest), width
    for _ in range(10):
        middle = (low + high) / 2
        if sum(len(_fill(p, middle, measure)) for p in paragraphs) <= lines:
            high = middle
        else:
            low = middle
    return high
