"""Site search: our own static index of Chinese character bigrams, written as plain JSON files; no server.

Why not Pagefind: Pagefind segments Chinese into dictionary words when it indexes (also the text of custom
records: given "羊楼 楼洞" in a zh-cn record it indexes 羊, 楼, 洞) and again, differently, in the browser, so a
place name its dictionary splits another way is lost. Declaring another language keeps bigram tokens, but
Pagefind's excerpts are then cut from the bigram text, custom records carry no field weights (the title-first
ranking), and its scripts and WebAssembly must load before the first result. This index does just what the
search page needs: substring semantics for Chinese (what Ctrl-F finds), ranking by title, place name and
recency, readable excerpts, and a few small files per query.

Files, under search-index/ (see docs/site.md, 站内搜索):
  meta.json      {"archive", "docs", "format", "shards", "version"}: read first; `version` goes into every
                 other URL; documents from number `archive` on are the archive
  p/<n>.json     postings of the tokens that hash to shard n (token_shard):
                 {token: [d0*4+f0, (d1-d0)*4+f1, ...]} (documents ascending; f: 1 in the title, 2 in one of
                 the page's own place names)
  d/<id>.json    {"u": page path, "t": title, "x": visible text}: what a result shows (its excerpt)
Documents are numbered in ranking order (current guide, routes, upcoming events, themes and counties, lists,
archive), so "among equals" is the document number. The same pages give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence


BUNDLE = "search-index"
FORMAT = 1
TITLE, NAME = 1, 2  # posting flags
SHARD_TARGET = 12 * 1024  # bytes of postings per shard, about (a query fetches one shard per distinct first character)
MAX_SHARDS = 4096
ARCHIVE = 5  # the rank of past guides, event months and events: after everything else that matches as well

# Chinese characters (CJK unified ideographs, extension A, compatibility, extensions B-F) and Latin words and
# numbers; search.js uses the same expression (with the u flag) on the same NFKC-normalised, lower-cased text.
_TOKEN_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+|[0-9a-z]+")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    if not unicodedata.is_normalized("NFKC", text):  # (a quick check: most text is)
        text = unicodedata.normalize("NFKC", text)
    return text.lower()


def tokens(text: str) -> Iterator[str]:
    """The index's tokens of a text: each Chinese run's character bigrams, then its characters (a query of one
    character), each Latin word or number whole."""
    for match in _TOKEN_RUN.finditer(normalise(text)):
        run = match[0]
        if run[0] <= "z":  # [0-9a-z]
            yield run
            continue
        for i in range(len(run) - 1):
            yield run[i:i + 2]
        yield from run


def token_set(text: str) -> set[str]:
    """set(tokens(text)), made faster."""
    found: set[str] = set()
    for run in _TOKEN_RUN.findall(normalise(text)):
        if run[0] <= "z":
            found.add(run)
        else:
            found.update([run[i:i + 2] for i in range(len(run) - 1)])
            found.update(run)
    return found


def token_shard(token: str, shards: int) -> int:
    """Shard of a token: by both characters of a Chinese bigram, else by the first character (a Latin word's
    prefix is looked for in one shard). Knuth's multiplicative hash, every product exact in a JavaScript
    number: search.js computes the same."""
    key = ord(token[0])
    if len(token) == 2 and token[0] > "z":
        key = (key * 40503 + ord(token[1])) % 2097152
    return ((key * 2654435761) % 4294967296 // 65536) % shards


# --- visible text of a page -------------------------------------------------------------------------------

_BODY_MARK = "data-search-body"  # the marker base.html puts on <main> of a searchable page
_SKIPPED = {"script", "style", "svg", "template", "noscript", "button", "select", "textarea", "form"}
_INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "em", "i", "kbd", "mark", "q", "s", "samp", "small",
           "span", "strong", "sub", "sup", "time", "u", "var", "wbr"}
_FIELD = {"span", "time", "small", "data", "bdi"}  # inline, but the templates use them for fields of their own
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_CLOSING = "。！？；：，、…）」』》”’·.!?;:,)"


# One piece of the page at a time: a tag (closing mark, name, attributes), a comment, or text. The pages are
# the site's own templates' output: attribute values are quoted, '<' in text is escaped.
_PIECE = re.compile(r"""<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>"']|"[^"]*"|'[^']*')*)>|<!--.*?-->|<[^>]*>|([^<]+)""", re.S)
_HIDDEN = re.compile(r"""aria-hidden=["']true|data-search-ignore|(?:^|\s)hidden(?:[\s=/]|$)""")


def page_text(html: bytes) -> str | None:
    """The visible text of a page's searchable part (the element marked data-search-body), its fields (one
    per block element, and per span, time, small: the templates' inline fields) joined with Chinese
    punctuation, without what is hidden or decorative (aria-hidden, svg, scripts, forms) or marked
    data-search-ignore; None when the page has no searchable part."""
    page = html.decode("utf-8", "replace")
    at = page.find(_BODY_MARK)
    if at < 0:
        return None
    start = page.rfind("<", 0, at)
    opened = _PIECE.match(page, start)
    if opened is None or not opened[2]:
        return None
    fields: list[tuple[str, str]] = []  # (text, the tag that ended it)
    current: list[str] = []
    depth = 1  # open elements inside the body
    skip, skip_depth = "", 0  # the element being left out (its tag), nested same tags counted

    def close_field(tag: str) -> None:
        text = _SPACE.sub(" ", "".join(current)).strip()
        if text:
            fields.append((text, tag))
        current.clear()

    for piece in _PIECE.finditer(page, opened.end()):
        text = piece[4]
        if text is not None:
            if skip:
                continue
            if "&" in text:
                text = unescape(text)
            if current:
                last = current[-1][-1:]
                if last == " " and text[:1].isspace():
                    text = text.lstrip()
                elif last.isascii() and last.isalnum() and text[:1].isascii() and text[:1].isalnum():
                    text = " " + text  # two inline pieces of Latin or digits are never fused ("5" "12月")
            if text:
                current.append(text)
            continue
        tag = piece[2]
        if not tag:
            continue  # a comment or a doctype
        tag = tag.lower()
        if piece[1]:  # a closing tag
            if tag in _VOID:
                continue
            if skip:
                if tag == skip:
                    skip_depth -= 1
                    if skip_depth == 0:
                        skip = ""
                        depth -= 1
                continue
            depth -= 1
            if depth == 0:
                break
            if tag not in _INLINE:
                close_field(tag)
            elif tag in _FIELD and current and not current[-1][-1:].isspace():
                current.append(" ")
            continue
        if skip:
            if tag == skip and tag not in _VOID:
                skip_depth += 1
            continue
        void = tag in _VOID or piece[3].endswith("/")
        if not void:
            depth += 1
        if not void and (tag in _SKIPPED or _HIDDEN.search(piece[3])):
            skip, skip_depth = tag, 1
            if tag not in _INLINE:
                close_field(tag)
            continue
        if tag == "br" or tag not in _INLINE:
            close_field(tag)
        elif tag in _FIELD and current and not current[-1][-1:].isspace():
            current.append(" ")  # a field of its own: never fused with the text beside it ("行" "2天")
    close_field("")
    parts: list[str] = []
    previous_tag = ""
    for text, tag in fields:
        if parts and parts[-1][-1] not in _CLOSING:
            parts[-1] += "：" if previous_tag == "dt" else "。"
        parts.append(text)
        previous_tag = tag
    return "".join(parts)


# --- the documents and their ranking order ----------------------------------------------------------------

@dataclass(frozen=True)
class Doc:
    rel: str  # site file of the page
    path: str  # its site path (the URL below the site's base)
    title: str
    names: tuple[str, ...] = ()  # its own place names: a route's stops, an event's venue
    rank: tuple[Any, ...] = ()  # its place among pages that match equally well (lower first)


def documents(pages: Sequence[Any], month: Any) -> list[Doc]:
    """The searchable pages (build's Page objects, in the site's order) as documents, in ranking order for the
    site of `month`: its guide, routes, upcoming events (by date), themes and counties, list pages, then the
    archive (past guides, event months and events, newest first)."""
    first_day = month.first_day
    docs = []
    for order, page in enumerate(pages):
        if not page.searchable:
            continue
        v = page.vars
        names: tuple[str, ...] = ()
        if page.template == "guide.html":
            guide_month = v["plan"].month
            rank: tuple[Any, ...] = (0,) if guide_month == month else (ARCHIVE, -guide_month.year, -guide_month.month, 0)
        elif page.template == "event.html":
            event = v["view"].event
            names = (event.venue,)
            day = event.start_date.toordinal()
            rank = (2, day, 1) if event.end_date >= first_day else (ARCHIVE, -day, 2)
        elif page.template == "events_month.html":
            m = v["month"]
            rank = (2, m.first_day.toordinal(), 0) if m >= month else (ARCHIVE, -m.year, -m.month, 1)
        elif page.template == "route.html":
            names = tuple(stop.name for stop in v["view"].route.stops)
            rank = (1,)
        elif page.template in ("theme.html", "county.html"):
            names = (page.title.split("（")[0],)
            rank = (3,)
        else:
            rank = (4,)
        docs.append(Doc(page.file, page.path, page.title, names, (*rank, order)))
    return sorted(docs, key=lambda doc: doc.rank)


# --- the index --------------------------------------------------------------------------------------------

def _postings(docs: Sequence[Doc], texts: Sequence[str]) -> dict[str, list[int]]:
    """{token: [d0*4+f0, (d1-d0)*4+f1, ...]}: every token of a page's text, title and own place names, the
    documents ascending (they are taken in order), each as the difference to the one before, times 4, plus its
    flags (TITLE, NAME)."""
    numbers: defaultdict[str, list[int]] = defaultdict(list)
    flagged: defaultdict[str, dict[int, int]] = defaultdict(dict)
    for number, (doc, text) in enumerate(zip(docs, texts)):
        here = token_set(text)
        for token in token_set(doc.title):
            flagged[token][number] = TITLE
            here.add(token)
        for name in doc.names:
            for token in token_set(name):
                flags = flagged[token]
                flags[number] = flags.get(number, 0) | NAME
                here.add(token)
        for token in here:
            numbers[token].append(number)
    found = {}
    for token, ascending in numbers.items():
        values = [(b - a) * 4 for a, b in zip([0, *ascending], ascending)]
        flags = flagged.get(token)
        if flags:
            for i, number in enumerate(ascending):
                values[i] += flags.get(number, 0)
        found[token] = values
    return found


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def shard_count(total_bytes: int) -> int:
    count = 1
    while count < MAX_SHARDS and total_bytes / count > SHARD_TARGET:
        count *= 2
    return count


def make_index(docs: Sequence[Doc], texts: Sequence[str]) -> dict[str, bytes]:
    """The index's files (paths inside search-index/) for these documents, in ranking order, and their texts."""
    postings = _postings(docs, texts)
    total = sum(len(token.encode()) + 6 + 3 * len(values) for token, values in postings.items())
    shards = shard_count(total)
    grouped: list[dict[str, list[int]]] = [{} for _ in range(shards)]
    for token in sorted(postings):
        grouped[token_shard(token, shards)][token] = postings[token]
    made = {f"p/{n}.json": _json(group) for n, group in enumerate(grouped)}
    for number, (doc, text) in enumerate(zip(docs, texts)):
        made[f"d/{number}.json"] = _json({"t": doc.title, "u": doc.path, "x": text})
    version = hashlib.sha256(b"".join(name.encode() + b"\0" + made[name] for name in sorted(made))).hexdigest()[:12]
    archive = next((n for n, doc in enumerate(docs) if doc.rank[:1] == (ARCHIVE,)), len(docs))
    made["meta.json"] = _json({"archive": archive, "docs": len(docs), "format": FORMAT, "shards": shards,
                               "version": version})
    return made


# --- writing it into the site -----------------------------------------------------------------------------

def build_bundle(site_dir: Path, docs: Iterable[Doc], texts_by_page: Mapping[str, str | None] | None = None) -> int:
    """Write site_dir/search-index (absent until now) for these documents, from their pages in site_dir (or from
    `texts_by_page`, the page_text of each document's page by its site file, when the caller has them).
    Returns the number of documents indexed (pages without a searchable part are left out)."""
    kept, texts = [], []
    for doc in docs:
        if texts_by_page is not None:
            text = texts_by_page[doc.rel]
        else:
            text = page_text((site_dir / doc.rel).read_bytes())
        if text is not None:
            kept.append(doc)
            texts.append(text)
    made = make_index(kept, texts)
    bundle = site_dir / BUNDLE
    for folder in ("", "p", "d"):
        (bundle / folder).mkdir(exist_ok=folder != "")
    for name in sorted(made):
        (bundle / name).write_bytes(made[name])
    return len(kept)
