"""Site search with Pagefind (extended build: it segments Chinese words). Runs on the built HTML, no server."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline.content.problems import UserError

BUNDLE = "pagefind"
TIMEOUT_S = 300


def index(site_dir: Path) -> dict[str, bytes]:
    """Index site_dir's pages (those marked data-pagefind-body) and return the bundle's files by site path."""
    with tempfile.TemporaryDirectory(prefix="xnwl-pagefind-") as tmp:
        bundle = Path(tmp) / BUNDLE
        command = [sys.executable, "-m", "pagefind", "--site", str(site_dir), "--output-path", str(bundle), "--silent"]
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
