"""`xnwl serve`: loopback only by default, pages served with live reload, content changes rebuilt."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sitecheck import build_tree, serving


def _listening_addresses(port: int) -> set[str]:
    """Local addresses listening on port, read from /proc/net/tcp{,6} (hex, as the kernel writes them)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode("utf-8")


@pytest.fixture
def server(tmp_path: Path):  # type: ignore[no-untyped-def]
    site = build_tree(tmp_path / "tree")
    root = site.parent.parent
    with serving(root) as (host, port):
        yield root, host, port


def test_serve_binds_loopback_and_live_reloads(server) -> None:  # type: ignore[no-untyped-def]
    root, host, port = server
    assert host == "127.0.0.1"
    assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only, not 0.0.0.0
    base = f"http://{host}:{port}/"

    status, kind, home = _get(base)
    assert status == 200 and kind.startswith("text/html")
    assert "/__xnwl/version" in home  # injected while serving...
    assert "__xnwl" not in (root / "output/site/index.html").read_text(encoding="utf-8")  # ...never built in
    status, kind, ics = _get(base + "events/2027-04-gala/2027-04-gala.ics")
    assert status == 200 and kind.startswith("text/calendar") and ics.startswith("BEGIN:VCALENDAR")
    status, _, missing = _get(base + "no/such/page/")
    assert status == 404 and "页面不存在" in missing
    version = _get(base + "__xnwl/version")[2]

    route = root / "routes" / "chibi-sanguo.md"
    route.write_text(route.read_text(encoding="utf-8").replace("title: 赤壁怀古一日行", "title: 赤壁怀古新一日行"),
                     encoding="utf-8")
    deadline = time.monotonic() + 30
    page, now = "", version
    while time.monotonic() < deadline:
        page, now = _get(base + "routes/chibi-sanguo/")[2], _get(base + "__xnwl/version")[2]
        if "赤壁怀古新一日行" in page and now != version:
            break
        time.sleep(0.3)
    assert "赤壁怀古新一日行" in page
    assert now != version  # what makes open pages reload
