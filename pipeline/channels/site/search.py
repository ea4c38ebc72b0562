"""Site search with Pagefind (extended build: it segments Chinese words). Runs on the built HTML, no server.

Pagefind re-indexes every page each time, which takes longer than building the pages; so the bundle is
made again only when some page's HTML changed (or a page came or went) since the bundle was made.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline import output
from pipeline.content.problems import UserError
from pipeline.outcache import OutputCache

BUNDLE = "pagefind"
TIMEOUT_S = 300
_OPTIONS = "--silent"  # changes to the command line below go here too: they are part of the cache key


def pages_digest(site_dir: Path, known: dict[str, str]) -> str:
    """What Pagefind reads: the path and bytes of every HTML file of the site (known: sha256 by path, if any)."""
    digest = hashlib.sha256(f"pagefind {_pagefind_version()} {_OPTIONS}\n".encode())
    for folder, dirs, names in os.walk(site_dir):
        rel_folder = os.path.relpath(folder, site_dir).replace(os.sep, "/")
        if rel_folder == BUNDLE or rel_folder.startswith(BUNDLE + "/"):
            dirs[:] = []
            continue
        dirs.sort()
        for name in sorted(names):
            if name.endswith(".html"):
                rel = name if rel_folder == "." else f"{rel_folder}/{name}"
                sha = known.get(rel) or output.sha256_file(Path(folder) / name)
                digest.update(f"{rel}\0{sha}\n".encode())
    return digest.hexdigest()


def _pagefind_command() -> list[str]:
    """The extended Pagefind binary itself (as `python -m pagefind` would pick it), saving a Python start."""
    if os.environ.get("PAGEFIND_BINARY_PATH"):
        return [os.environ["PAGEFIND_BINARY_PATH"]]
    try:
        from pagefind_bin_extended import get_executable

        return [str(get_executable())]
    except Exception:  # noqa: BLE001 - not installed as expected: let the wrapper find it (or say why not)
        return [sys.executable, "-m", "pagefind"]


def _pagefind_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("pagefind")
    except metadata.PackageNotFoundError:
        return "-"


def current_bundle(site_dir: Path, key: str, cache: OutputCache) -> bool:
    """True when site_dir/pagefind is exactly the bundle Pagefind made from pages with this digest."""
    bundle = site_dir / BUNDLE
    present = sorted(p.relative_to(site_dir).as_posix() for p in bundle.rglob("*") if p.is_file()) if bundle.is_dir() else []
    expected = sorted(name for name in cache.known if name.startswith(BUNDLE + "/"))
    return bool(present) and present == expected and all(cache.reusable(name, key) is not None for name in present)


def index(site_dir: Path) -> dict[str, bytes]:
    """Index site_dir's pages (those marked data-pagefind-body) and return the bundle's files by site path."""
    with tempfile.TemporaryDirectory(prefix="xnwl-pagefind-") as tmp:
        bundle = Path(tmp) / BUNDLE
        command = [*_pagefind_command(), "--site", str(site_dir), "--output-path", str(bundle), _OPTIONS]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise UserError(f"站内搜索索引（Pagefind）超过 {TIMEOUT_S} 秒仍未完成，已中止；output/ 未改动。") from None
        if done.returncode != 0 or not (bundle / "pagefind.js").is_file():
            detail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise UserError("站内搜索索引（Pagefind）生成失败；请确认已安装 pagefind[extended]"
                            f"（pip install -e .）。输出：{' / '.join(detail) or '无'}")
        return {f"{BUNDLE}/{p.relative_to(bundle).as_posix()}": p.read_bytes()
                for p in sorted(bundle.rglob("*")) if p.is_file()}
