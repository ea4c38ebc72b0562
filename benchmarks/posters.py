"""Poster speed: median milliseconds per 1080×1920 poster on one core, posters per second on all cores.

One-core figures are CPU time (time.process_time) of a single process drawing and encoding posters one
after another; the all-cores figure is wall time through the batch's own process pool, so it drops when
other work shares the machine (the load average is printed alongside). Nothing is remembered between
posters (only the font objects stay loaded in a process), so every poster costs what it costs in a batch.

    python benchmarks/posters.py [--root .] [--months 2027-01:2027-12] [--repeat 3]

Uses the real channel code on the shipped content: templates -> layers -> Pillow -> JPEG/PNG bytes.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.channels.posters import channel, draw, encode  # noqa: E402
from pipeline.config import load_config  # noqa: E402
from pipeline.content.load import load_content  # noqa: E402
from pipeline.plan import Month, make_plan  # noqa: E402


def story_jobs(root: Path, months: list[Month]) -> list[list[channel.Job]]:
    """The 9:16 posters of each month."""
    config = load_config(root)
    content, _ = load_content(root)
    batches: list[list[channel.Job]] = []
    for month in months:
        plan = make_plan(content, month, config.featured_per_month)
        batches.append([j for j in channel.plan_jobs(config, content, plan, []) if j.format == "9x16"])
    return batches


def _started(_: int) -> None:
    return None


def _timed(job: channel.Job) -> tuple[float, float]:
    # CPU time of this process: other work on the machine does not inflate it (one core, one thread).
    start = time.process_time()
    drawn = draw.render(job.spec)
    middle = time.process_time()
    encode.encode(drawn.image, job.limit, job.jpeg_only)
    end = time.process_time()
    return (middle - start) * 1000, (end - middle) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO)
    parser.add_argument("--months", default="2027-01:2027-12", help="first:last month")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    first, last = (Month.parse(m) for m in args.months.split(":"))
    months = [first.shift(i) for i in range(last.index - first.index + 1)]
    batches = story_jobs(args.root, months)
    jobs = [job for batch in batches for job in batch]

    for job in jobs[:3]:
        _timed(job)  # load the fonts and the libraries' code once, as a worker does at its first poster
    draws, encodes, totals = [], [], []
    for _ in range(args.repeat):
        for batch in batches:
            for job in batch:
                d, e = _timed(job)
                draws.append(d)
                encodes.append(e)
                totals.append(d + e)

    cores = os.cpu_count() or 1
    wall = 0.0
    for _ in range(args.repeat):
        for batch in batches:  # each month through a pool of its own, as a batch does
            with ProcessPoolExecutor(max_workers=cores) as pool:
                list(pool.map(_started, range(cores)))  # start the workers before timing
                start = time.perf_counter()
                list(pool.map(channel.render_job, batch, chunksize=1))
                wall += time.perf_counter() - start

    print(json.dumps({
        "posters": len(jobs),
        "size": "1080x1920",
        "one_core_median_ms": round(statistics.median(totals), 1),
        "one_core_median_draw_ms": round(statistics.median(draws), 1),
        "one_core_median_encode_ms": round(statistics.median(encodes), 1),
        "one_core_p90_ms": round(statistics.quantiles(totals, n=10)[-1], 1),
        "all_cores": cores,
        "all_cores_posters_per_s": round(len(jobs) * args.repeat / wall, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "target_ms": 100,
    }, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
