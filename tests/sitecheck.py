"""Helpers for the site tests: build a content tree's site, read its pages, follow its links."""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup

from conftest import FIXTURE, REPO, xnwl

BASE_URL = "https://xnwl.example.com/"


@contextmanager
def serving(root: Path, month: str = "2027-04"):  # type: ignore[no-untyped-def]
    """A real `xnwl serve` process on a free port; yields (host, port)."""
    command = [sys.executable, "-m", "pipeline", "--root", str(root), "serve", "--port", "0", "--no-search",
               "--month", month]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        line = process.stdout.readline()
        match = re.search(r"http://([\d.]+):(\d+)/", line)
        assert match, line + process.stderr.read()
        yield match.group(1), int(match.group(2))
    finally:
        process.terminate()
        process.wait(timeout=10)


def build_tree(target: Path, shipped: bool = False, month: str = "2027-04") -> Path:
    """Copy the fixture (or the shipped content) to target and run a real batch on it."""
    if shipped:
        target.mkdir(parents=True)
        for name in ("routes", "content"):
            shutil.copytree(REPO / name, target / name)
        shutil.copy(REPO / "xnwl.toml", target / "xnwl.toml")
    else:
        shutil.copytree(FIXTURE, target)
    run = xnwl("batch", "--month", month, root=target)
    assert run.code == 0, run.text
    return target / "output" / "site"


@dataclass
class Page:
    rel: str  # file path inside the site
    url_path: str  # the site path it is published at
    soup: BeautifulSoup
    raw: bytes


def html_pages(site: Path) -> list[Page]:
    pages = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        url_path = rel[: -len("index.html")] if rel.endswith("index.html") else rel
        raw = path.read_bytes()
        pages.append(Page(rel, url_path, BeautifulSoup(raw, "html.parser"), raw))
    return pages


def json_ld(page: Page) -> list[dict]:
    return [json.loads(s.string) for s in page.soup.find_all("script", type="application/ld+json")]


def resolve(site: Path, page: Page, link: str) -> Path | None:
    """The file an internal link of page points to, or None for links to other hosts."""
    parts = urlsplit(link)
    if parts.scheme or parts.netloc:
        return None
    if not parts.path:
        return site / page.rel  # "#anchor" or "?q=" on the same page
    if parts.path.startswith("/"):
        target = parts.path.lstrip("/")
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page.rel), unquote(parts.path)))
        if parts.path.endswith("/"):
            target += "/"
    path = site / target
    if target.endswith("/") or target in (".", ""):
        path = path / "index.html"
    return path


# Elements and attributes that make a browser fetch something by itself (not links a person follows).
RESOURCE_ATTRIBUTES = {
    "img": ("src", "srcset"), "source": ("src", "srcset"), "script": ("src",), "iframe": ("src",),
    "video": ("src", "poster"), "audio": ("src",), "embed": ("src",), "object": ("data",),
    "link": ("href",), "use": ("href", "xlink:href"), "image": ("href", "xlink:href"), "input": ("src",),
}


def resource_urls(page: Page) -> list[str]:
    found = []
    for tag, attributes in RESOURCE_ATTRIBUTES.items():
        for element in page.soup.find_all(tag):
            if tag == "link" and "alternate" in (element.get("rel") or []) or (
                    tag == "link" and "canonical" in (element.get("rel") or [])):
                continue  # not fetched by the browser
            for attribute in attributes:
                value = element.get(attribute)
                if not value:
                    continue
                if attribute == "srcset":
                    found += [item.strip().split(" ")[0] for item in value.split(",")]
                else:
                    found.append(value)
    for element in page.soup.find_all(style=True):
        if "url(" in element["style"]:
            found.append(element["style"])
    return found


class _QuietFiles(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".ics": "text/calendar", ".js": "text/javascript"}

    def log_message(self, format, *args):  # type: ignore[no-untyped-def]
        pass


@contextmanager
def served_files(site: Path):  # type: ignore[no-untyped-def]
    """A built site's folder as a static web server on 127.0.0.1 (as a visitor's host would serve it): its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietFiles, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
