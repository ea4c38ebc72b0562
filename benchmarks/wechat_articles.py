"""Benchmark: render a year of WeChat articles from the shipped content and report time and sizes.

    .venv/bin/python benchmarks/wechat_articles.py [--year 2027]

Prints, per month, the time the 公众号文章 channel took and each article's HTML size against the API's limits
(20,000 characters, 1 MB). Nothing is written outside a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.batch import validated_content  # noqa: E402
from pipeline.channels import ChannelContext  # noqa: E402
from pipeline.channels import wechat  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.plan import Month, make_plan  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2027)
    args = parser.parse_args()
    config = load_config(ROOT)
    started = time.perf_counter()
    content, _ = validated_content(ROOT)
    print(f"load + validate: {time.perf_counter() - started:.3f} s ({len(content.routes)} routes, "
          f"{len(content.events)} events)")
    timings, sizes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(1, 13):
            month = Month(args.year, number)
            plan = make_plan(content, month, config.featured_per_month)
            out = Path(tmp) / str(month)
            out.mkdir()
            t0 = time.perf_counter()
            wechat.render(ChannelContext(config, content, plan, out, Path(tmp)))
            timings.append(time.perf_counter() - t0)
            drafts = json.loads((out / "wechat/drafts.json").read_text(encoding="utf-8"))
            lengths = [len(a["content"]) for a in drafts["articles"]]
            sizes += lengths
            print(f"{month}: {timings[-1] * 1000:6.1f} ms, {len(lengths)} articles, HTML chars "
                  + " ".join(str(n) for n in lengths))
    print(f"per month: median {statistics.median(timings) * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms")
    print(f"article HTML: median {statistics.median(sizes):.0f} chars, max {max(sizes)} chars "
          f"({max(sizes) / 20000:.0%} of the 20,000 limit)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
