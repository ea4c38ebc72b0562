"""The `source` field of an event: free text that names public reports, each a web address and its date.

    http://www.cnhubei.com/content/2025-01/17/content_18866807.html（2025-01-17 荆楚网）；https://…（2024-11-21 …）

An address runs to the first character that is not printable ASCII (a space, a full-width bracket or
semicolon), less trailing ASCII punctuation. The text after an address, up to the next one, is its note:
that is where its date is written. Pure functions; nothing here fetches anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from markupsafe import Markup, escape

_URL = re.compile(r"https?://[!-~]+")
_TRAILING = ".,;:!?)]}'\""
_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


@dataclass(frozen=True, slots=True)
class Citation:
    url: str
    note: str  # the text after the address, up to the next address
    dates: tuple[date, ...]  # every valid YYYY-MM-DD in the note


def parts(text: str) -> tuple[tuple[str, str], ...]:
    """("text", …) and ("url", …) pieces, in order; joined they give `text` back."""
    pieces: list[tuple[str, str]] = []
    pos = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if match.start() > pos:
            pieces.append(("text", text[pos:match.start()]))
        pieces.append(("url", url))
        pos = match.start() + len(url)
    if pos < len(text):
        pieces.append(("text", text[pos:]))
    return tuple(pieces)


def citations(text: str) -> tuple[Citation, ...]:
    pieces = parts(text)
    found: list[Citation] = []
    for index, (kind, value) in enumerate(pieces):
        if kind != "url":
            continue
        note = pieces[index + 1][1] if index + 1 < len(pieces) and pieces[index + 1][0] == "text" else ""
        found.append(Citation(value, note, _dates(note)))
    return tuple(found)


def _dates(note: str) -> tuple[date, ...]:
    days: list[date] = []
    for y, m, d in _DATE.findall(note):
        try:
            days.append(date(int(y), int(m), int(d)))
        except ValueError:
            continue
    return tuple(days)


def to_html(text: str, lone_label: str | None = None) -> Markup:
    """The field as HTML: text escaped, each address a link labelled with its host name; a field that is
    one address and nothing else (a feed item's link) is labelled `lone_label` when given."""
    pieces = parts(text.strip())
    lone = lone_label if len(pieces) == 1 and pieces[0][0] == "url" else None
    out: list[str] = []
    for kind, value in parts(text):
        if kind == "url":
            label = lone or urlsplit(value).hostname or value
            out.append(f'<a href="{escape(value)}" rel="noopener nofollow">{escape(label)}</a>')
        else:
            out.append(str(escape(value)))
    return Markup("".join(out))
