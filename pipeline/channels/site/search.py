"""Site search with Pagefind (extended build: it segments Chinese words). Runs on the built HTML, no server.

Pagefind has no incremental mode: it indexes every page it is given, each time. So the site's index is
split into shards by page path (a fixed hash, so a page stays in its shard), each shard a Pagefind bundle
of its own: shard 0 at pagefind/ (with Pagefind's scripts and WebAssembly), shard k at pagefind/<k>/
(index data only). The search page loads shard 0 and merges the others in the browser (Pagefind's
mergeIndex; they share shard 0's WebAssembly). A shard is indexed again only when the indexed part of one
of its pages changed (see indexed_digest) or a page came or went; otherwise its files are kept.

The number of shards depends only on the number of searchable pages, and which shard a page is in only on
its path and that number: a rebuild that reuses shards gives exactly the bundle a clean build gives.
"""

from __future__ import annotations

import base64
import hashlib
import json
import marshal
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

from pipeline import output
from pipeline.content.problems import UserError

BUNDLE = "pagefind"
TIMEOUT_S = 300
# Pages sent to Pagefind and not yet indexed, at most: a whole shard of PAGES_PER_SHARD at once (it need never
# wait for this process, busy with the rest of the batch, to send more), and their replies (about 400 bytes
# each) fit in a pipe.
IN_FLIGHT = 128
PAGES_PER_SHARD = 128  # one shard re-indexes in about half a second
MAX_SHARDS = 16  # every shard costs the phone two small requests on load and one index chunk per search
_FORMAT = 2  # of the cache (marshal)
# What a merged (non-primary) shard needs in the browser: its entry file, metadata and index data.
_SHARD_FILE = re.compile(r"^(pagefind-entry\.json|pagefind\.[^/]*\.pf_meta|(fragment|index|filter)/[^/]+)$")


def shard_count(searchable: list[str]) -> int:
    """How many shards the pages at these site paths are split into: a power of two (growing the site reshuffles
    pages rarely), about PAGES_PER_SHARD pages each, and none of them empty (the browser loads every one)."""
    per = int(os.environ.get("XNWL_SEARCH_SHARD_PAGES") or PAGES_PER_SHARD)  # tests: shards on a small site
    count = 1
    while count < MAX_SHARDS and count * per < len(searchable):
        count *= 2
    while count > 1 and len({shard_of(rel, count) for rel in searchable}) < count:
        count //= 2
    return count


def shard_of(rel: str, count: int) -> int:
    return int.from_bytes(hashlib.sha256(rel.encode()).digest()[:4], "big") % count


def shard_folder(number: int) -> str:
    return BUNDLE if number == 0 else f"{BUNDLE}/{number}"


_BODY = b"data-pagefind-body"
_ATTRIBUTE_TAG = re.compile(rb"<[^<>]*\bdata-pagefind[^<>]*>")
_HTML_TAG = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
_VOID = re.compile(rb"^<(meta|link|img|input|br|hr|source)\b", re.IGNORECASE)


def indexed_digest(html: bytes) -> str | None:
    """What Pagefind reads from a page, as a digest; None when the page has no data-pagefind-body (not indexed).

    Pagefind reads the element marked data-pagefind-body, the <html> tag (the language) and data-pagefind-*
    attributes anywhere (meta, filters). A page whose other data-pagefind-* elements are more than single
    tags (their text could matter) or that has several bodies is taken whole: never too little."""
    count = html.count(_BODY)
    if count == 0:
        return None
    whole = hashlib.sha256(b"whole\0" + html).hexdigest()
    if count > 1:
        return whole
    at = html.index(_BODY)
    start = html.rfind(b"<", 0, at)
    name = re.match(rb"<([a-zA-Z][a-zA-Z0-9-]*)", html[start:])
    if name is None:
        return whole
    end = _element_end(html, start, name[1])
    if end is None:
        return whole
    digest = hashlib.sha256(b"part\0")
    tag = _HTML_TAG.search(html)
    digest.update((tag[0] if tag else b"") + b"\0")
    for outside in (html[:start], html[end:]):
        for found in _ATTRIBUTE_TAG.finditer(outside):
            if not _VOID.match(found[0]):
                return whole
            digest.update(found[0] + b"\0")
    digest.update(html[start:end])
    return digest.hexdigest()


def _element_end(html: bytes, start: int, name: bytes) -> int | None:
    """End offset of the element opened at start (nested elements of the same name counted)."""
    pattern = re.compile(rb"<(/?)" + re.escape(name) + rb"(?=[\s>/])", re.IGNORECASE)
    depth = 0
    for found in pattern.finditer(html, start):
        depth += -1 if found[1] else 1
        if depth == 0:
            close = html.find(b">", found.end())
            return None if close < 0 else close + 1
    return None


@dataclass
class BundleReport:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    shards: int = 0
    indexed: list[int] = field(default_factory=list)  # shards indexed again


class SearchCache:
    """state/cache/search-bundle.marshal: each page's indexed digest (by the sha256 of its HTML) and each shard's
    key and files (sha256, size, mtime, inode: a file whose stat is unchanged is not read again)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.pages: dict[str, list[Any]] = {}
        self.shards: dict[str, dict[str, Any]] = {}
        if path is None:
            return
        try:
            data = marshal.loads(path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return
        if isinstance(data, dict) and data.get("format") == _FORMAT:
            self.pages = data.get("pages") or {}
            self.shards = data.get("shards") or {}

    def save(self, pages: dict[str, list[Any]], shards: dict[str, dict[str, Any]]) -> None:
        if self.path is None or (pages == self.pages and shards == self.shards):
            return
        try:
            output.replace_file(self.path, marshal.dumps({"format": _FORMAT, "pages": dict(sorted(pages.items())),
                                                          "shards": dict(sorted(shards.items()))}))
        except (OSError, ValueError):
            pass  # without the cache every shard is indexed again next time


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _intact(site_dir: Path, files: dict[str, list[Any]]) -> bool:
    base = f"{site_dir}/"  # strings, not Paths: this runs for every file of the bundle
    for rel, entry in files.items():
        try:
            st = os.stat(base + rel)
        except OSError:
            return False
        if [st.st_size, st.st_mtime_ns, st.st_ino] != entry[1:]:
            return False
    return bool(files)


def site_pages(site_dir: Path) -> dict[str, str]:
    """sha256 of every HTML file of the site (what Pagefind would look at), by site path."""
    found = {}
    for folder, dirs, names in os.walk(site_dir):
        rel_folder = os.path.relpath(folder, site_dir).replace(os.sep, "/")
        if rel_folder == BUNDLE or rel_folder.startswith(BUNDLE + "/"):
            dirs[:] = []
            continue
        for name in names:
            if name.endswith(".html"):
                rel = name if rel_folder == "." else f"{rel_folder}/{name}"
                found[rel] = output.sha256_file(Path(folder) / name)
    return found


def build_bundle(site_dir: Path, pages: dict[str, str], shards: int, cache_path: Path | None,
                 started: _Service | None = None, ahead: Ahead | None = None) -> BundleReport:
    """Make site_dir/pagefind the sharded bundle of the HTML files `pages` (sha256 by site path: every HTML
    file of the site), indexing only the shards whose pages changed since cache_path was written.
    `started`: a Pagefind process from start_pagefind, used (or stopped) here; `ahead`: a shard already being
    indexed (see index_ahead), used if its pages are still the same."""
    try:
        return _build_bundle(site_dir, pages, shards, cache_path, started, ahead)
    finally:
        if started is not None:
            started.stop()
        if ahead is not None:
            ahead.stop()


Read = Callable[[str], bytes]  # a page's bytes by its site path


def _reader(site_dir: Path) -> Read:
    base = f"{site_dir}/"
    return lambda rel: Path(base + rel).read_bytes()


def _page_digests(read: Read, pages: dict[str, str], cache: SearchCache) -> dict[str, list[Any]]:
    """[sha256 of the page, its indexed_digest] by site path (the latter from the cache while the page is the same)."""
    digests: dict[str, list[Any]] = {}
    for rel, sha in pages.items():
        known = cache.pages.get(rel)
        if known is not None and known[0] == sha:
            digests[rel] = known
        else:
            digests[rel] = [sha, indexed_digest(read(rel))]
    return digests


def _shard_key(number: int, shards: int, members: list[str], indexed: dict[str, str]) -> str:
    # The bundle depends on Pagefind's version and on this module (how shards are made and trimmed).
    head = f"pagefind {_pagefind_version()} {_module_digest()} shard {number} of {shards}\n"
    return hashlib.sha256((head + "".join(f"{rel}\0{indexed[rel]}\n" for rel in members)).encode()).hexdigest()


@lru_cache(maxsize=1)
def _module_digest() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _build_bundle(site_dir: Path, pages: dict[str, str], shards: int, cache_path: Path | None,
                  started: _Service | None, ahead: Ahead | None) -> BundleReport:
    cache = ahead.cache if ahead is not None and ahead.cache.path == cache_path else SearchCache(cache_path)
    checked = ahead.intact if ahead is not None and cache is ahead.cache else {}
    read = _reader(site_dir)
    digests = _page_digests(read, pages, cache)
    indexed = {rel: entry[1] for rel, entry in digests.items() if entry[1] is not None}
    if not indexed:  # no page marks its body: Pagefind then indexes whole pages, all of them
        indexed = {rel: hashlib.sha256(b"whole\0" + read(rel)).hexdigest() for rel in pages}
    members: dict[int, list[str]] = {n: [] for n in range(shards)}
    for rel in sorted(indexed):
        members[shard_of(rel, shards)].append(rel)
    keys = {n: _shard_key(n, shards, rels, indexed) for n, rels in members.items()}

    report = BundleReport(shards=shards)
    kept: dict[str, dict[str, Any]] = {}
    stale = []
    for n in range(shards):
        known = cache.shards.get(str(n))
        if known and known.get("key") == keys[n] and (
                checked[str(n)] if str(n) in checked else _intact(site_dir, known.get("files") or {})):
            kept[str(n)] = known
            report.unchanged += len(known["files"])
        else:
            stale.append(n)
    bundles: dict[int, dict[str, bytes]] = {}
    if ahead is not None and ahead.shard in stale:
        early = ahead.result(keys[ahead.shard])
        if early is not None:
            bundles[ahead.shard] = early
    rest = [n for n in stale if n not in bundles]
    if rest:
        bundles.update(_index({n: members[n] for n in rest}, read, started))
    made: dict[str, dict[str, Any]] = {}
    for n in sorted(bundles):
        bundle = bundles[n]
        files: dict[str, list[Any]] = {}
        folder = shard_folder(n)
        for name in sorted(bundle):
            rel = f"{folder}/{name}"
            data = bundle[name]
            sha = hashlib.sha256(data).hexdigest()
            path = site_dir / rel
            if _stat(path) is not None and output.sha256_file(path) == sha:
                report.unchanged += 1
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                output.replace_file(path, data)
                report.written.append(rel)
            files[rel] = [sha, *(_stat(path) or [])]
        made[str(n)] = {"key": keys[n], "files": files}
        report.indexed.append(n)
    wanted = {rel for shard in (*kept.values(), *made.values()) for rel in shard["files"]}
    report.removed = _remove_others(site_dir / BUNDLE, wanted)
    report.written.sort()
    cache.save({rel: entry for rel, entry in digests.items()}, {**kept, **made})
    return report


class Ahead:
    """One shard indexed by Pagefind in a thread while the rest of the site is still being written: after a
    small edit, the pages of one shard can be final long before the others (see build.render_into), or known
    before any is written (see build.start_early). build_bundle uses what it made only if the shard's key,
    worked out again from the final pages, is the one it was made for."""

    def __init__(self, read: Read, shard: int, members: list[str], key: str, service: _Service,
                 cache: SearchCache) -> None:
        self.shard, self.key, self.service = shard, key, service
        self.cache = cache  # as index_ahead read it: build_bundle need not read it again
        self.intact: dict[str, bool] = {}  # see check_intact
        self.bundle: dict[str, bytes] | None = None
        self.thread = threading.Thread(target=self._run, args=(read, members), name="xnwl-search-ahead",
                                       daemon=True)
        self.thread.start()

    def _run(self, read: Read, members: list[str]) -> None:
        try:
            self.bundle = _index({self.shard: members}, read, self.service)[self.shard]
        except BaseException:  # noqa: BLE001 - the shard is then indexed with the others, which reports why
            self.bundle = None

    def check_intact(self, live: Path) -> None:
        """Check now whether each shard's files, as the cache records them, are still in the live site, which the
        staging copy build_bundle works on mirrors (hard links: the same files): build_bundle then need not stat
        them all again while the batch's own thread is busy (each call would wait for the interpreter lock)."""
        self.intact = {n: _intact(live, shard.get("files") or {}) for n, shard in self.cache.shards.items()}

    def result(self, key: str) -> dict[str, bytes] | None:
        self.thread.join()
        return self.bundle if key == self.key else None

    def stop(self) -> None:
        self.service.stop()
        self.thread.join()


def index_ahead(site_dir: Path, shard: int, shards: int, pages: dict[str, str], cache_path: Path | None,
                service: _Service, read: Read | None = None) -> Ahead | None:
    """Start indexing `shard`, given the sha256 of each of its pages (by site path) as they will be in the
    finished site; None when the bundle from the last build in site_dir still fits them (nothing to do).
    read(): the pages' bytes, if they are not in site_dir yet."""
    read = read or _reader(site_dir)
    cache = SearchCache(cache_path)
    digests = _page_digests(read, pages, cache)
    indexed = {rel: entry[1] for rel, entry in digests.items() if entry[1] is not None}
    members = sorted(rel for rel in indexed if shard_of(rel, shards) == shard)
    if not members:
        return None
    key = _shard_key(shard, shards, members, indexed)
    known = cache.shards.get(str(shard))
    if known and known.get("key") == key and _intact(site_dir, known.get("files") or {}):
        return None
    return Ahead(read, shard, members, key, service, cache)


def _remove_others(bundle: Path, wanted: set[str]) -> list[str]:
    removed = []
    for folder, _, names in os.walk(bundle, topdown=False):
        rel_folder = os.path.relpath(folder, bundle.parent).replace(os.sep, "/")
        for name in names:
            rel = f"{rel_folder}/{name}"
            if rel not in wanted:
                os.unlink(os.path.join(folder, name))
                removed.append(rel)
        if folder != str(bundle) and not os.listdir(folder):
            os.rmdir(folder)
    return sorted(removed)


def _pagefind_command() -> list[str]:
    """The extended Pagefind binary itself (as `python -m pagefind` would pick it), saving a Python start."""
    if os.environ.get("PAGEFIND_BINARY_PATH"):
        return [os.environ["PAGEFIND_BINARY_PATH"]]
    # Where pagefind_bin_extended.get_executable() looks, without importing that package (it sets up logging
    # and platform detection: milliseconds before every batch's Pagefind can start).
    from importlib.util import find_spec

    try:
        spec = find_spec("pagefind_bin_extended")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin:
        for name in ("pagefind_extended", "pagefind", "pagefind_extended.exe", "pagefind.exe"):
            candidate = Path(spec.origin).parent / name
            if candidate.is_file():
                return [str(candidate)]
    return [sys.executable, "-m", "pagefind"]  # not installed as expected: the wrapper finds it (or says why not)


def _pagefind_version() -> str:
    from pipeline.fingerprint import library_version

    return library_version("pagefind")


_FAILED = "站内搜索索引（Pagefind）生成失败；请确认已安装 pagefind[extended]（pip install -e .）。输出：{}"


class _Service:
    """Pagefind's service mode (what its Python API drives), spoken synchronously: one process indexes every
    shard, so Pagefind's Chinese dictionary is loaded once, and no reply waits on the API's polling interval."""

    def __init__(self) -> None:
        command = _pagefind_command()
        if command[0] == sys.executable:
            raise UserError(_FAILED.format("找不到 Pagefind 程序"))
        try:
            self.process = subprocess.Popen([*command, "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL)
        except OSError as error:
            raise UserError(_FAILED.format(error)) from None
        self.deadline = time.monotonic() + TIMEOUT_S
        self.number = 0
        self.pending = bytearray()

    def send(self, payloads: list[dict[str, Any]]) -> list[int]:
        """Send requests without waiting for their replies; their message numbers."""
        assert self.process.stdin is not None
        numbers = []
        try:
            for payload in payloads:
                self.number += 1
                numbers.append(self.number)
                message = {"message_id": self.number, "payload": payload}
                self.process.stdin.write(base64.b64encode(json.dumps(message, ensure_ascii=False).encode()) + b",")
            self.process.stdin.flush()
        except OSError:
            raise UserError(_FAILED.format("Pagefind 进程意外退出")) from None
        return numbers

    def ask_streamed(self, payloads: Iterator[dict[str, Any]], count: int) -> list[dict[str, Any]]:
        """The replies to `count` requests made one by one, at most IN_FLIGHT of them unanswered at a time: the
        next is made and sent as each reply comes, so a page is read only shortly before Pagefind gets to it,
        and neither process holds a large site's pages in memory (Pagefind takes in every request as it comes,
        however many it has yet to work on). Its few replies meanwhile always fit in the pipe, so neither
        process waits on the other."""
        numbers = list(range(self.number + 1, self.number + count + 1))

        def send_next() -> None:
            payload = next(payloads, None)
            if payload is not None:
                self.send([payload])

        for _ in range(min(IN_FLIGHT, count)):
            send_next()
        return self.wait(numbers, send_next)

    def wait(self, numbers: list[int], answered: Callable[[], None] = lambda: None) -> list[dict[str, Any]]:
        """The replies to these messages (replies to others, such as the warm-up's, are passed over); answered()
        is called after each."""
        import select

        assert self.process.stdout is not None
        wanted = set(numbers)
        replies: dict[int, dict[str, Any]] = {}
        out = self.process.stdout.fileno()
        while len(replies) < len(wanted):
            end = self.pending.find(b",")
            while end < 0:  # replies can be megabytes (GetFiles): grow one buffer, look only at what is new
                left = self.deadline - time.monotonic()
                if left <= 0 or not select.select([out], [], [], left)[0]:
                    raise UserError(f"站内搜索索引（Pagefind）超过 {TIMEOUT_S} 秒仍未完成，已中止；output/ 未改动。")
                chunk = os.read(out, 1 << 20)
                if not chunk:
                    raise UserError(_FAILED.format("Pagefind 进程意外退出"))
                seen = len(self.pending)
                self.pending += chunk
                end = self.pending.find(b",", seen)
            answer = json.loads(base64.b64decode(self.pending[:end]))
            del self.pending[:end + 1]
            if answer.get("message_id") not in wanted:
                continue
            result = answer.get("payload") or {}
            if result.get("type") == "Error":
                raise UserError(_FAILED.format(result.get("message") or "未知错误"))
            replies[answer["message_id"]] = result
            answered()
        return [replies[number] for number in numbers]

    def ask(self, payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self.wait(self.send(payloads))

    def warm_up(self) -> None:
        """Have Pagefind load its Chinese dictionary now (it does on the first Chinese page), in its own process,
        while this one renders the site: an index of one page that is never written."""
        [reply] = self.ask([{"type": "NewIndex", "config": None}])
        self.send([{"type": "AddFile", "index_id": reply["index_id"], "url": "/warm-up/", "file_path": None,
                    "file_contents": _WARM_UP}])

    def stop(self) -> None:
        """End the process now, whatever it is doing (nothing is left to ask of it)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def close(self) -> None:
        if self.process.stdin is not None:
            try:
                self.process.stdin.close()
            except OSError:  # it has ended (or was stopped) with a request not yet written
                pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


_WARM_UP = '<html lang="zh-cn"><body><main data-pagefind-body><p>咸宁温泉与赏花一日游</p></main></body></html>'


_EARLY: list[_Service] = []  # started by start_pagefind_early for the next build of this process


def start_pagefind() -> _Service | None:
    """Pagefind, started before the pages are rendered so that its start-up overlaps theirs (build_bundle uses
    and stops it); None if it cannot start now (build_bundle then reports why)."""
    while _EARLY:
        service = _EARLY.pop()
        if service.process.poll() is None:
            return service
        service.stop()  # it ended meanwhile: start another (which says why if it cannot start)
    try:
        service = _Service()
        service.warm_up()
    except UserError:
        return None
    return service


def start_pagefind_early() -> Callable[[], None]:
    """Start Pagefind now, when the build that will use it (start_pagefind) is still loading its content:
    loading Pagefind's Chinese dictionary takes a quarter of a second. Returns what stops it if that build
    never takes it."""
    service = start_pagefind()
    if service is None:
        return lambda: None
    _EARLY.append(service)

    def stop() -> None:
        if service in _EARLY:
            _EARLY.remove(service)
            service.stop()

    return stop


def page_url(rel: str) -> str:
    """The URL Pagefind gives the page at this site path when it finds the page in a folder: '/' and the path,
    without a final index.html."""
    folder, _, name = rel.rpartition("/")
    if name != "index.html":
        return "/" + rel
    return f"/{folder}/" if folder else "/"


def _index(shards: dict[int, list[str]], read: Read, started: _Service | None) -> dict[int, dict[str, bytes]]:
    """Index each shard's pages and return each bundle's files by path inside the bundle; merged shards keep
    only their index data.

    Pagefind numbers the pages of an index in the order it is given them, and the bundle's bytes follow those
    numbers. Given a folder, it takes the order its file system lists files in, which differs from one disk to
    another; so every page is handed over on its own, in the order of the site paths (the shard's list is
    sorted), and the same pages give the same bundle on any machine."""
    order = sorted(shards)
    # Many shards (a first build): two Pagefind processes, one per core; each loads its dictionary once.
    groups = [order[0::2], order[1::2]] if len(order) >= 4 and (os.cpu_count() or 1) > 1 else [order]
    if len(groups) == 1:
        results = [_index_group(shards, order, read, started)]
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(groups)) as pool:
            results = list(pool.map(lambda n: _index_group(shards, groups[n], read, started if n == 0 else None),
                                    range(len(groups))))
    found: dict[int, dict[str, bytes]] = {}
    for result in results:
        for n, files in result.items():
            if "pagefind.js" not in files:
                raise UserError(_FAILED.format("没有生成 pagefind.js"))
            found[n] = {name: data for name, data in files.items() if n == 0 or _SHARD_FILE.match(name)}
    return found


def _index_group(shards: dict[int, list[str]], order: list[int], read: Read,
                 started: _Service | None = None) -> dict[int, dict[str, bytes]]:
    """The bundles' files come back in the replies (GetFiles): Pagefind's WriteFiles answers before its
    files are completely written."""
    service = started or _Service()
    try:
        ids = [r["index_id"] for r in service.ask([{"type": "NewIndex", "config": None}] * len(order))]
        pages = [(index_id, rel) for index_id, n in zip(ids, order) for rel in sorted(shards[n])]
        service.ask_streamed(({"type": "AddFile", "index_id": index_id, "url": page_url(rel), "file_path": None,
                               "file_contents": read(rel).decode("utf-8", "replace")} for index_id, rel in pages),
                             len(pages))
        replies = service.ask([{"type": "GetFiles", "index_id": i} for i in ids])
    finally:
        service.close()
    return {n: {entry["path"]: base64.b64decode(entry["content"]) for entry in reply.get("files") or []}
            for n, reply in zip(order, replies)}
