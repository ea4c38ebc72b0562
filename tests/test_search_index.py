"""Talking to Pagefind's service: pages handed over one by one in path order, at the URLs Pagefind itself would
give them, sent only a few ahead of what it has indexed; a page that cannot be read, or Pagefind ending, is
reported at once."""

from __future__ import annotations

import json
import random
import time

import pytest

from pipeline.channels.site import search
from pipeline.content.problems import UserError


def _page(title: str) -> bytes:
    return (f'<html lang="zh-cn"><body><main data-pagefind-body><h1>{title}</h1>'
            f"<p>{title}：咸宁温泉与赏花一日游</p></main></body></html>").encode()


def _entry(bundle: dict[str, bytes]) -> dict:  # type: ignore[type-arg]
    return json.loads(bundle["pagefind-entry.json"])


@pytest.mark.parametrize("rel, url", [
    ("index.html", "/"), ("404.html", "/404.html"), ("routes/index.html", "/routes/"),
    ("routes/tongshan-cool/index.html", "/routes/tongshan-cool/"), ("routes/myindex.html", "/routes/myindex.html"),
    ("events/2027-04/index.html", "/events/2027-04/"), ("search/index.htm", "/search/index.htm"),
])
def test_page_urls_are_those_pagefind_gives_pages_it_finds_in_a_folder(rel: str, url: str) -> None:
    assert search.page_url(rel) == url


def test_a_shard_is_the_same_whatever_order_its_pages_come_in() -> None:
    pages = {f"routes/r{n:02d}/index.html": _page(f"线路{n}") for n in range(12)}
    shuffled = list(pages)
    random.Random(7).shuffle(shuffled)
    first = search._index({0: sorted(pages)}, pages.__getitem__, None)[0]
    second = search._index({0: shuffled}, pages.__getitem__, None)[0]
    assert first == second
    assert _entry(first)["languages"]["zh-cn"]["page_count"] == 12


def test_many_pages_of_one_shard_are_all_indexed() -> None:
    """1,500 pages: far more than a pipe holds each way."""
    pages = {f"p/{n:04d}.html": _page(f"第{n}页") for n in range(1500)}
    bundle = search._index({0: list(pages)}, pages.__getitem__, None)[0]
    assert _entry(bundle)["languages"]["zh-cn"]["page_count"] == 1500


def test_pages_are_read_only_a_few_ahead_of_pagefind(monkeypatch: pytest.MonkeyPatch) -> None:
    """A large site is never all in memory, here or in Pagefind (which takes in every request as it comes):
    a page is read only once all but IN_FLIGHT of those before it are indexed."""
    monkeypatch.setattr(search, "IN_FLIGHT", 4)
    answered = [0]
    unanswered_at_read: list[int] = []
    real_wait = search._Service.wait

    def wait(self, numbers, answered_callback=None):  # type: ignore[no-untyped-def]
        if answered_callback is None:  # NewIndex, GetFiles
            return real_wait(self, numbers)

        def counted() -> None:
            answered[0] += 1
            answered_callback()
        return real_wait(self, numbers, counted)

    monkeypatch.setattr(search._Service, "wait", wait)
    pages = {f"p/{n:03d}.html": _page(f"第{n}页") for n in range(200)}

    def read(rel: str) -> bytes:
        unanswered_at_read.append(len(unanswered_at_read) - answered[0])
        return pages[rel]

    bundle = search._index({0: list(pages)}, read, None)[0]
    assert _entry(bundle)["languages"]["zh-cn"]["page_count"] == 200
    assert len(unanswered_at_read) == 200 and max(unanswered_at_read) <= 4


def test_a_page_that_cannot_be_read_is_reported_at_once() -> None:
    pages = {f"p/{n:03d}.html": _page(f"第{n}页") for n in range(300)}

    def read(rel: str) -> bytes:
        if rel == "p/150.html":
            raise FileNotFoundError(rel)
        return pages[rel]

    started = time.monotonic()
    with pytest.raises(FileNotFoundError, match="p/150.html"):
        search._index({0: list(pages)}, read, None)
    assert time.monotonic() - started < search.TIMEOUT_S / 10  # not left to the time limit


def test_pagefind_ending_midway_is_a_message() -> None:
    service = search._Service()
    [index] = service.ask([{"type": "NewIndex", "config": None}])
    pages = [f"p/{n}.html" for n in range(200)]

    def payloads():  # type: ignore[no-untyped-def]
        for n, rel in enumerate(pages):
            if n == 100:
                service.process.kill()
            yield {"type": "AddFile", "index_id": index["index_id"], "url": "/" + rel, "file_path": None,
                   "file_contents": _page(rel).decode()}

    with pytest.raises(UserError, match="Pagefind"):
        service.ask_streamed(payloads(), len(pages))
    service.close()
