"""Benchmarks of the whole tool, each case run several times; prints one JSON object of medians.

    .venv/bin/python benchmarks/run.py [--repeat 3] [--workdir DIR] [--skip-large] [--vs-hugo]

Every timing is a whole `xnwl` process, as a user runs it, measured from outside (wall seconds). Peak RSS
is that of the largest single process (the command or one of its workers, from wait4); the tree's peak PSS
adds up the proportional set size of every process of the command while it runs, sampled every 50 ms
(pages that forked workers share with their parent are counted once in all).

Cases:
- start-up: `xnwl --help`
- the shipped content: cold full batch (no output/, no state/), then the same batch again (no-op)
- a synthetic corpus of about 2,000 site pages (benchmarks/make_corpus.py): cold full batch, no-op batch,
  batch after one route changed; cold `xnwl site build --no-search` (pages per second)
- a synthetic corpus of about 20,000 site pages: cold `xnwl site build --no-search` (unless --skip-large)
- posters per second on one core and on all cores (benchmarks/posters.py)
- with --baseline FILE: the ratio of every timing to the same timing in FILE (an earlier run's JSON, e.g. of the
  code before a change), and whether the cold 2,000-page site stays within 1.25 times the baseline's
- with --vs-hugo: the 2,000-page corpus as an equivalent Hugo site (benchmarks/hugo_site.py), Debian's
  `hugo` timed cold in the same run, interleaved with xnwl's cold site build; the ratio xnwl / Hugo.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from hugo_site import convert  # noqa: E402
from make_corpus import make_corpus  # noqa: E402

MONTH = "2027-04"
SMALL = {"routes": 1360, "events": 360, "events_per_month": 4}  # 2,000 site pages
# About ten times the content: 20,000 pages. Events 40 a month, over 90 months: at 4 a month the events index
# would list 900 past months, more than one page may hold (30 KB).
LARGE = {"routes": 14300, "events": 3600, "events_per_month": 40}
# Issue 21's budget: no-op ≤ 0.5 s at 2,000 pages; the cold 2,000-page site at most 25 % slower than the
# baseline (the code before the one-cache redesign, measured with --baseline); 20,000 pages linear, under 1 GB.
TARGETS = {
    "site_2k_vs_hugo_ratio": 1.0, "noop_batch_2k_s": 0.5, "site_2k_cold_over_baseline": 1.25,
    "cold_batch_shipped_s": 5.0, "site_20k_over_2k_time": 11.0, "site_20k_peak_rss_mb": 1024, "help_s": 0.3,
}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def xnwl_command() -> list[str]:
    script = Path(sys.executable).parent / "xnwl"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "pipeline"]


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    return found


def _tree_pss_kb(pid: int) -> int:
    """Proportional set size of the process and all its descendants: shared pages counted once in all."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as handle:
                total += next(int(line.split()[1]) for line in handle if line.startswith("Pss:"))
        except (OSError, StopIteration, ValueError):
            continue
        stack += _children(current)
    return total


class Measured:
    def __init__(self, seconds: float, peak_kb: int, tree_kb: int, out: str) -> None:
        self.seconds, self.peak_kb, self.tree_kb, self.out = seconds, peak_kb, tree_kb, out


class Failed(Exception):
    pass


def measure(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Measured:
    """Run a command to the end: wall time, peak RSS of its largest process, peak RSS of its process tree."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out,
                                   stderr=subprocess.STDOUT)
        tree = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                tree[0] = max(tree[0], _tree_pss_kb(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise Failed(f"命令失败（{process.returncode}）：{' '.join(command)}\n{text[-2000:]}")
    return Measured(seconds, usage.ru_maxrss, tree[0], text)


def median(values: list[float], digits: int = 3) -> float:
    return round(statistics.median(values), digits)


def summary(runs: list[Measured]) -> dict[str, float]:
    return {"s": median([r.seconds for r in runs]), "peak_rss_mb": median([r.peak_kb / 1024 for r in runs], 1),
            "peak_tree_pss_mb": median([r.tree_kb / 1024 for r in runs], 1)}


# ext4 without a journal (this machine's disk) does not reuse an inode soon after its deletion, and checks each
# candidate in the inode table: for one to six minutes after thousands of files were deleted (fs/ext4/ialloc.c:
# RECENTCY_MIN 60 s, RECENTCY_DIRTY 300 s more while the table block is dirty, which creating files keeps it),
# creating files and folders in the same place costs several times more kernel time. A benchmark that deleted
# the last run's output before timing the next one would mostly measure that. So nothing is deleted while the
# benchmark runs: a cold start moves the old output aside, and what was set aside is deleted at the end.
SET_ASIDE = ".set-aside"


def set_aside(path: Path) -> None:
    if path.exists():
        folder = path.parent.parent / SET_ASIDE
        folder.mkdir(exist_ok=True)
        path.rename(folder / f"{len(list(folder.iterdir()))}-{path.parent.name}-{path.name}")


def fresh(root: Path) -> None:
    """Cold: no output and no caches (moved aside, see set_aside)."""
    for name in ("output", "state"):
        set_aside(root / name)


def precompile() -> None:
    """Bytecode for the package, as a regular install has it (pip compiles what it installs; an editable
    install and PYTHONDONTWRITEBYTECODE=1 would otherwise compile the modules again in every timed run)."""
    found = subprocess.run([sys.executable, "-c", "import pipeline, pathlib; print(pathlib.Path(pipeline.__file__).parent)"],
                           capture_output=True, text=True, check=True, cwd=REPO)
    subprocess.run([sys.executable, "-m", "compileall", "-q", found.stdout.strip()], check=True)


def copy_shipped(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in ("routes", "content", "templates"):
        shutil.copytree(REPO / name, target / name, ignore=shutil.ignore_patterns("inbox", "review"))
    shutil.copy(REPO / "xnwl.toml", target / "xnwl.toml")
    return target


def pages_of(out: str) -> int:
    match = re.search(r"（(\d+) 个页面", out)
    return int(match[1]) if match else 0


def touch_route(root: Path, n: int) -> None:
    route = sorted((root / "routes").glob("*.md"))[len(list((root / "routes").glob("*.md"))) // 2]
    route.write_text(route.read_text(encoding="utf-8") + f"\n第 {n} 次修改：补充一句出行提示。\n", encoding="utf-8")


def bench_help(repeat: int) -> dict[str, float]:
    runs = [measure([*xnwl_command(), "--help"]) for _ in range(max(10, repeat))]
    return summary(runs)


def bench_shipped(work: Path, repeat: int) -> dict[str, object]:
    root = copy_shipped(work / "shipped")
    batch = [*xnwl_command(), "--root", str(root), "batch", "--month", MONTH]
    cold, noop = [], []
    for n in range(repeat):
        fresh(root)
        say(f"  已发布内容：冷启动完整批处理 {n + 1}/{repeat}")
        cold.append(measure(batch))
        noop.append(measure(batch))
        assert "已是最新" in noop[-1].out, noop[-1].out
    return {"cold_batch": summary(cold), "noop_batch": summary(noop)}


def bench_corpus_2k(work: Path, repeat: int, hugo: bool) -> dict[str, object]:
    root = work / "corpus-2k"
    make_corpus(root, SMALL["routes"], SMALL["events"], 1, SMALL["events_per_month"])
    x = xnwl_command()
    batch = [*x, "--root", str(root), "batch", "--month", MONTH]
    site = [*x, "--root", str(root), "site", "build", "--no-search", "--month", MONTH]
    cold, noop, changed, site_runs, hugo_runs = [], [], [], [], []
    hugo_root = work / "hugo-2k"
    if hugo:
        convert(root, hugo_root)
    for n in range(repeat):
        fresh(root)
        say(f"  约 2,000 页：冷启动完整批处理 {n + 1}/{repeat}")
        cold.append(measure(batch))
        noop.append(measure(batch))
        assert "已是最新" in noop[-1].out, noop[-1].out
        touch_route(root, n)
        changed.append(measure(batch))
        assert "已写入" in changed[-1].out, changed[-1].out
    for n in range(repeat):
        say(f"  约 2,000 页：冷启动网站生成{'（与 Hugo 交替）' if hugo else ''} {n + 1}/{repeat}")
        fresh(root)
        site_runs.append(measure(site))
        if hugo:
            for name in ("public", "resources", "hugo-cache"):
                set_aside(hugo_root / name)
            hugo_runs.append(measure(["hugo", "--quiet", "--cacheDir", str(hugo_root / "hugo-cache")], cwd=hugo_root))
    pages = pages_of(site_runs[-1].out)
    result: dict[str, object] = {
        "routes": SMALL["routes"], "events": SMALL["events"], "site_pages": pages,
        "cold_batch": summary(cold), "noop_batch": summary(noop), "one_route_changed_batch": summary(changed),
        "one_route_changed_share_of_cold": round(median([r.seconds for r in changed]) / median([r.seconds for r in cold]), 3),
        "site_build_cold": {**summary(site_runs), "pages_per_s": round(pages / median([r.seconds for r in site_runs]))},
    }
    if hugo:
        html = list((hugo_root / "public").rglob("*.html"))
        aliases = sum(1 for p in html if b'http-equiv="refresh"' in p.read_bytes()[:400])
        version = subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.strip()
        result["hugo"] = {"version": version, "html_files": len(html), "pages_without_redirects": len(html) - aliases,
                          **summary(hugo_runs),
                          "xnwl_over_hugo": round(median([r.seconds for r in site_runs]) / median([r.seconds for r in hugo_runs]), 2)}
    return result


def bench_corpus_20k(work: Path, repeat: int) -> dict[str, object]:
    root = work / "corpus-20k"
    make_corpus(root, LARGE["routes"], LARGE["events"], 1, LARGE["events_per_month"])
    site = [*xnwl_command(), "--root", str(root), "site", "build", "--no-search", "--month", MONTH]
    runs = []
    for n in range(repeat):
        say(f"  约 20,000 页：冷启动网站生成 {n + 1}/{repeat}")
        fresh(root)
        runs.append(measure(site))
    pages = pages_of(runs[-1].out)
    return {"routes": LARGE["routes"], "events": LARGE["events"], "site_pages": pages,
            "site_build_cold": {**summary(runs), "pages_per_s": round(pages / median([r.seconds for r in runs]))}}


def bench_posters(repeat: int) -> dict[str, object]:
    done = measure([sys.executable, str(REPO / "benchmarks" / "posters.py"), "--repeat", str(repeat)])
    data = json.loads(done.out[done.out.index("{"):])
    return {"one_core_posters_per_s": round(1000 / data["one_core_median_ms"], 1), **data,
            "peak_rss_mb": round(done.peak_kb / 1024, 1), "peak_tree_pss_mb": round(done.tree_kb / 1024, 1)}


def machine() -> dict[str, object]:
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": sys.version.split()[0],
            "load_average_1min_at_start": round(os.getloadavg()[0], 2)}


def ratios(result: dict[str, object], baseline: dict[str, object]) -> dict[str, float]:
    """Each timing of this run over the same timing of the baseline run (below 1: faster now)."""
    found: dict[str, float] = {}

    def walk(now: object, then: object, path: str) -> None:
        if isinstance(now, dict) and isinstance(then, dict):
            for key in now:
                if key in then:
                    walk(now[key], then[key], f"{path}.{key}" if path else key)
        elif path.endswith((".s", "_ms")) and isinstance(now, (int, float)) and isinstance(then, (int, float)) and then:
            found[path] = round(now / then, 2)

    for case in ("help", "shipped", "corpus_2k", "corpus_20k", "posters"):
        walk(result.get(case), baseline.get(case), case)
    return found


def verdicts(result: dict[str, object], baseline: dict[str, object] | None = None) -> dict[str, object]:
    found: dict[str, float] = {}
    ok = {name: isinstance(result.get(name), dict) and "error" not in result[name] for name in
          ("help", "shipped", "corpus_2k", "corpus_20k")}
    if ok["help"]:
        found["help_s"] = result["help"]["s"]
    if ok["shipped"]:
        found["cold_batch_shipped_s"] = result["shipped"]["cold_batch"]["s"]
    if ok["corpus_2k"]:
        small = result["corpus_2k"]
        found["noop_batch_2k_s"] = small["noop_batch"]["s"]
        base = (baseline or {}).get("corpus_2k")
        if isinstance(base, dict) and "site_build_cold" in base:
            found["site_2k_cold_over_baseline"] = round(small["site_build_cold"]["s"] / base["site_build_cold"]["s"], 2)
        if "hugo" in small:
            found["site_2k_vs_hugo_ratio"] = small["hugo"]["xnwl_over_hugo"]
        if ok["corpus_20k"]:
            large = result["corpus_20k"]
            found["site_20k_over_2k_time"] = round(large["site_build_cold"]["s"] / small["site_build_cold"]["s"], 2)
            found["site_20k_peak_rss_mb"] = max(large["site_build_cold"]["peak_rss_mb"],
                                                large["site_build_cold"]["peak_tree_pss_mb"])
    return {name: {"value": value, "target": TARGETS[name], "met": value <= TARGETS[name]} for name, value in found.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="每个用例运行几次（取中位数），默认 3")
    parser.add_argument("--workdir", type=Path, help="放合成内容与输出的目录（默认临时目录，结束后删除）")
    parser.add_argument("--skip-large", action="store_true", help="跳过约 20,000 页的用例")
    parser.add_argument("--vs-hugo", action="store_true", help="同时计时 Debian 的 hugo（需先 apt-get install -y hugo）")
    parser.add_argument("--baseline", type=Path, metavar="JSON",
                        help="另一次运行的结果（例如改动前的代码），给出与它的比值")
    args = parser.parse_args()
    if args.vs_hugo and shutil.which("hugo") is None:
        say("找不到 hugo：请先安装（Debian：apt-get install -y hugo），或去掉 --vs-hugo。")
        return 1
    if args.workdir is not None and args.workdir.exists() and any(args.workdir.iterdir()):
        say(f"工作目录 {args.workdir} 不是空的：请给一个新的目录（基准测试运行时不删除任何文件，见 docs/benchmarks.md）。")
        return 1
    work = args.workdir or Path(tempfile.mkdtemp(prefix="xnwl-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    precompile()
    result: dict[str, object] = {"machine": machine(), "repeat": args.repeat}
    cases = [("help", "启动：xnwl --help", lambda: bench_help(args.repeat)),
             ("shipped", "已发布内容（routes/、content/）", lambda: bench_shipped(work, args.repeat)),
             ("corpus_2k", "合成内容：约 2,000 页", lambda: bench_corpus_2k(work, args.repeat, args.vs_hugo)),
             ("corpus_20k", "合成内容：约 20,000 页", lambda: bench_corpus_20k(work, args.repeat)),
             ("posters", "海报", lambda: bench_posters(args.repeat))]
    try:
        for name, title, case in cases:
            if name == "corpus_20k" and args.skip_large:
                continue
            say(title)
            try:
                result[name] = case()
            except Failed as failure:  # reported in the JSON; the other cases still run
                say(str(failure))
                result[name] = {"error": str(failure)}
    finally:
        shutil.rmtree(work / SET_ASIDE, ignore_errors=True)  # earlier outputs, moved aside by fresh()
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    result["machine"]["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    baseline = json.loads(args.baseline.read_text(encoding="utf-8")) if args.baseline else None
    if baseline is not None:
        result["vs_baseline"] = ratios(result, baseline)
    result["targets"] = verdicts(result, baseline)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
