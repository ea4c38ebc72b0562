"""Write a synthetic content tree in xnwl's own format, for benchmarks.

    python benchmarks/make_corpus.py OUT --routes N --events M [--seed S]

Deterministic for a seed: the same arguments write the same bytes. Text lengths and front matter follow the
shipped content (route bodies of 300–800 hanzi with headings and lists, 3–6 stops, 1–3 days, mostly one county,
seasonal best months). Events are spread over as many months as it takes to hold at most --events-per-month
starting in each month (default 4, like the shipped content), ending in December 2027, so a monthly batch of
any month of 2027 stays within the WeChat article limits however large the corpus is.
"""

from __future__ import annotations

import argparse
import random
import shutil
import math
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
THEMES = ("sanguo", "chadao", "kangyang", "xiangcun", "bishu", "shanghua", "quanxue", "hongse")
COUNTIES = ("xianan", "chibi", "jiayu", "tongcheng", "chongyang", "tongshan")
KINDS = ("scenic", "town", "village", "museum", "memorial", "heritage", "nature", "water", "cave", "hotspring",
         "farm", "food", "stay")
CATEGORIES = ("festival", "village-gala", "heritage", "exhibition", "performance", "sports")
PLACES = ("古镇", "茶园", "湖畔", "山庄", "村落", "竹海", "温泉", "古道", "书院", "老街", "渡口", "梯田", "花海", "林场")
PREFIXES = ("桂香", "青石", "云中", "松涛", "金鸾", "南屏", "清泉", "白鹭", "翠竹", "丹霞", "望江", "月亮", "石门", "龙潭")
PHRASES = (
    "沿着青石板路慢慢走", "山间的雾气还没散去", "茶农正在采摘新叶", "湖面上有白鹭掠过", "老街两旁是明清民居",
    "午后在树荫下喝一杯青砖茶", "傍晚的江风格外凉爽", "村口的古桂树已有数百年", "竹林深处传来溪水声",
    "温泉池边升起白色的热气", "孩子们在田埂上追逐", "台阶不少，穿一双好走的鞋", "周末人多，建议早出发",
    "山顶能望见远处的长江", "晚饭尝尝当地的农家菜", "夜里可以住在村里的民宿", "春天油菜花开满山坡",
    "秋天桂花香飘满街巷", "冬天泡汤最能解乏", "夏天山里比城里凉快许多",
)
# Best-month patterns of the shipped routes (spring and autumn, summer, winter, ...), most common first.
SEASONS = ((3, 4, 5, 9, 10, 11), (3, 4, 5, 9, 10, 11), (3, 4, 5, 9, 10, 11), (6, 7, 8), (12, 1, 2),
           (5, 6, 7, 8, 9, 10), (4, 5, 6, 9, 10, 11), (9, 10), (4, 5, 10), (11, 12, 1, 2), (3, 4, 5), (9, 10, 11))
LAST_EVENT_MONTH = (2027, 12)


def sentence(rng: random.Random, count: int) -> str:
    return "，".join(rng.choice(PHRASES) for _ in range(count)) + "。"


def body(rng: random.Random, low: int, high: int) -> str:
    target = rng.randint(low, high)
    parts: list[str] = []
    size = 0
    while size < target:
        if parts and rng.random() < 0.2:
            parts.append(f"## {rng.choice(PREFIXES)}{rng.choice(PLACES)}")
        elif parts and rng.random() < 0.15:
            parts.append("\n".join(f"- {rng.choice(PHRASES)}。" for _ in range(3)))
        else:
            text = sentence(rng, rng.randint(2, 5))
            parts.append(text)
            size += sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return "\n\n".join(parts) + "\n"


def route_file(rng: random.Random, index: int) -> tuple[str, str]:
    route_id = f"route-{index:05d}"
    theme = THEMES[index % len(THEMES)]
    counties = sorted(rng.sample(COUNTIES, rng.choices((1, 2, 3), (13, 5, 2))[0]), key=COUNTIES.index)
    months = sorted(rng.choice(SEASONS))
    stops = []
    for _ in range(rng.randint(3, 6)):
        county = rng.choice(counties)
        stop = [f"  - name: {rng.choice(PREFIXES)}{rng.choice(PLACES)}", f"    county: {county}",
                f"    kind: {rng.choice(KINDS)}"]
        if rng.random() < 0.6:
            stop.append(f"    lnglat: [{113.6 + rng.random():.4f}, {29.1 + rng.random():.4f}]")
        stop.append(f"    stay: 约{rng.randint(1, 4)}小时")
        if rng.random() < 0.5:
            stop.append(f"    note: {rng.choice(PHRASES)}。")
        stops.append("\n".join(stop))
    title = f"{rng.choice(PREFIXES)}{rng.choice(PLACES)}{rng.choice(('一日游', '两日行', '慢游', '寻访记'))}{index}"
    text = "\n".join([
        "---", f"id: {route_id}", f"title: {title}", f"summary: {sentence(rng, 2)}", f"theme: {theme}",
        f"counties: [{', '.join(counties)}]", f"days: {rng.randint(1, 3)}",
        f"best_months: [{', '.join(map(str, months))}]", "stops:", *stops,
        "from_wuhan:", "  rail: 武汉站乘京广高铁至咸宁北站约半小时。", "  drive: 经G4京港澳高速南行。",
        "images: []", "verified:", "---", body(rng, 300, 800),
    ])
    return route_id, text


def event_months(count: int, per_month: int, rng: random.Random) -> list[tuple[int, int]]:
    """A start month for each event: at most per_month in any month, the last month being LAST_EVENT_MONTH."""
    span = max(1, math.ceil(count / per_month))
    last = LAST_EVENT_MONTH[0] * 12 + LAST_EVENT_MONTH[1] - 1
    slots = [divmod(last - back, 12) for back in range(span) for _ in range(per_month)][:count]
    rng.shuffle(slots)
    return [(year, month + 1) for year, month in slots]


def event_file(rng: random.Random, index: int, route_ids: list[str], month: tuple[int, int]) -> tuple[str, str, date]:
    start = date(month[0], month[1], rng.randint(1, 28))
    end = start + timedelta(days=rng.choice((0, 0, 1, 2, 6, 14)))
    event_id = f"{start:%Y-%m}-event-{index:05d}"
    related = rng.sample(route_ids, min(len(route_ids), rng.randint(0, 2)))
    text = "\n".join([
        "---", f"id: {event_id}", f"title: {rng.choice(PREFIXES)}{rng.choice(PLACES)}文化节{index}",
        f"summary: {sentence(rng, 2)}", f"start: {start.isoformat()}", f"end: {end.isoformat()}",
        f"county: {rng.choice(COUNTIES)}", f"venue: {rng.choice(PREFIXES)}{rng.choice(PLACES)}",
        f"category: {rng.choice(CATEGORIES)}", f"routes: [{', '.join(related)}]",
        f"status: {rng.choice(('tentative', 'confirmed'))}", "source: 合成数据", "verified:", "---",
        body(rng, 80, 300) + "具体日期以官方发布为准。\n",
    ])
    return event_id, text, start


def make_corpus(out: Path, routes: int, events: int, seed: int, events_per_month: int = 4) -> None:
    rng = random.Random(seed)
    for folder in ("routes", "content"):
        shutil.rmtree(out / folder, ignore_errors=True)
    (out / "routes").mkdir(parents=True)
    for sub in ("events", "weekend", "images"):
        (out / "content" / sub).mkdir(parents=True)
    shutil.copy(REPO / "xnwl.toml", out / "xnwl.toml")
    for name in ("themes.yaml", "counties.yaml"):
        shutil.copy(REPO / "content" / name, out / "content" / name)
    if (REPO / "templates").is_dir():
        shutil.rmtree(out / "templates", ignore_errors=True)
        shutil.copytree(REPO / "templates", out / "templates")

    route_months: dict[int, list[str]] = {m: [] for m in range(1, 13)}
    route_ids = []
    for index in range(routes):
        route_id, text = route_file(rng, index)
        route_ids.append(route_id)
        (out / "routes" / f"{route_id}.md").write_text(text, encoding="utf-8")
        months = [int(m) for m in text.split("best_months: [")[1].split("]")[0].split(", ")]
        for month in months:
            route_months[month].append(route_id)
    by_month: dict[int, list[str]] = {m: [] for m in range(1, 13)}
    for index, month in enumerate(event_months(events, events_per_month, rng)):
        event_id, text, start = event_file(rng, index, route_ids, month)
        (out / "content" / "events" / f"{event_id}.md").write_text(text, encoding="utf-8")
        if start.year == LAST_EVENT_MONTH[0]:  # guides pick events of the year the benchmarks batch
            by_month[start.month].append(event_id)
    for month in range(1, 13):
        picks = [f"  - route: {rid}\n    reason: {rng.choice(PHRASES)}。" for rid in route_months[month][:5]]
        picks += [f"  - event: {eid}\n    reason: {rng.choice(PHRASES)}。" for eid in sorted(by_month[month])[:2]]
        text = f"---\ntitle: {month}月好去处\npicks:\n" + "\n".join(picks) + "\n---\n" + body(rng, 150, 400)
        (out / "content" / "weekend" / f"{month:02d}.md").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description="生成用于性能测试的合成内容目录")
    parser.add_argument("out", type=Path, help="输出目录")
    parser.add_argument("--routes", type=int, required=True, help="线路条数")
    parser.add_argument("--events", type=int, required=True, help="活动个数")
    parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
    parser.add_argument("--events-per-month", type=int, default=4, help="每个月最多开始几个活动（默认 4）")
    args = parser.parse_args()
    make_corpus(args.out, args.routes, args.events, args.seed, args.events_per_month)
    print(f"已生成：{args.out}（{args.routes} 条线路，{args.events} 个活动，12 份指南）")


if __name__ == "__main__":
    main()
