"""The xnwl command: parses arguments, calls one stage, prints. No logic of its own."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from pipeline import __version__
from pipeline.cli_help import ChineseArgumentParser
from pipeline.content.problems import UserError

DESCRIPTION = """咸宁文旅月度内容流水线：线路、周末好去处与节庆活动 → 公众号草稿、海报、网站。

常用：
  xnwl validate                校验 routes/ 与 content/ 下的全部内容
  xnwl batch --month 2027-04   生成 2027 年 4 月的批次到 output/2027-04/
  xnwl site build              只重新生成网站 output/site/
  xnwl serve                   在本机预览网站（http://127.0.0.1:8000/），修改后自动刷新
"""


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog="xnwl", description=DESCRIPTION)
    parser.add_argument("--root", type=Path, metavar="目录",
                        help="内容目录（含 xnwl.toml）；默认从当前目录向上查找")
    parser.add_argument("--version", action="version", version=f"xnwl {__version__}", help="显示版本号并退出")
    commands = parser.add_subparsers(dest="command", title="命令", metavar="<命令>", parser_class=ChineseArgumentParser)

    commands.add_parser("validate", help="校验全部内容，列出所有问题",
                        description="校验 routes/ 与 content/ 下的全部内容；有错误时逐条列出并以 1 退出。")

    plan = commands.add_parser("plan", help="显示某月的月度计划（周末、节假日、指南、活动、推荐线路）",
                               description="计算并显示某月的月度计划，不写任何文件。")
    plan.add_argument("--month", metavar="YYYY-MM", help="月份，默认为下个月（北京时间）")

    batch = commands.add_parser("batch", help="生成某月的批次到 output/<YYYY-MM>/",
                                description="校验 → 计划 → 各渠道 → 清单；全部成功后才替换 output/<YYYY-MM>/。")
    batch.add_argument("--month", metavar="YYYY-MM", help="月份，默认为下个月（北京时间）")

    site = commands.add_parser("site", help="网站：单独重新生成 output/site/",
                               description="网站相关命令。")
    site_commands = site.add_subparsers(dest="site_command", title="命令", metavar="<命令>",
                                        parser_class=ChineseArgumentParser)
    site_build = site_commands.add_parser(
        "build", help="只重新生成网站（不生成公众号文章和海报）",
        description="用与批处理相同的代码生成网站：先在临时文件夹中生成，成功后才替换 output/site/；"
                    "只改写内容有变化的文件，删除已不存在的页面。")
    site_build.add_argument("--month", metavar="YYYY-MM",
                            help="网站首页展示的月份，默认为 output/ 中最新一个已生成批次的月份")
    site_build.add_argument("--no-search", action="store_true", help="不重建站内搜索索引（更快；搜索结果可能过时）")

    serve = commands.add_parser("serve", help="在本机预览网站，修改内容或模板后自动重建并刷新",
                                description="生成网站并用本机服务器预览；routes/、content/、templates/ 或 xnwl.toml "
                                            "有改动时自动重建，浏览器页面自动刷新。默认只监听 127.0.0.1。")
    serve.add_argument("--port", type=int, default=8000, metavar="端口", help="端口，默认 8000")
    serve.add_argument("--host", default="127.0.0.1", metavar="地址",
                       help="监听地址，默认 127.0.0.1（仅本机）；填 0.0.0.0 会让局域网内的设备也能访问")
    serve.add_argument("--month", metavar="YYYY-MM", help="首页展示的月份，默认同 site build")
    serve.add_argument("--no-search", action="store_true", help="不生成站内搜索索引（重建更快）")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return _run(args)
    except UserError as exc:
        print(exc.render(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断；output/ 中原有内容保持不变。", file=sys.stderr)
        return 130


def _root(args: argparse.Namespace) -> Path:
    from pipeline.config import CONFIG_NAME, find_root

    if args.root is not None:
        if not (args.root / CONFIG_NAME).is_file():
            raise UserError(f"--root 指定的目录 {args.root} 中没有 {CONFIG_NAME}。")
        return args.root.resolve()
    root = find_root(Path.cwd())
    if root is None:
        raise UserError(f"在当前目录及其上级目录中找不到 {CONFIG_NAME}；请进入内容目录，或用 --root 指定。")
    return root


def _month(text: str | None):  # type: ignore[no-untyped-def]
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from pipeline.plan import Month

    if text:
        return Month.parse(text)
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    return Month(now.year, now.month).shift(1)


def _run(args: argparse.Namespace) -> int:
    root = _root(args)
    if args.command == "validate":
        return _validate(root)
    if args.command == "plan":
        return _plan(root, _month(args.month))
    if args.command == "batch":
        return _batch(root, _month(args.month))
    if args.command == "site":
        if args.site_command != "build":
            raise UserError("请指定网站命令，例如：xnwl site build（用 xnwl site --help 查看）。")
        return _site_build(root, args.month, not args.no_search)
    if args.command == "serve":
        return _serve(root, args.month, args.host, args.port, not args.no_search)
    raise AssertionError(args.command)


def _validate(root: Path) -> int:
    from pipeline.config import load_config
    from pipeline.content.load import load_content

    load_config(root)
    content, problems = load_content(root)
    for problem in problems.sorted():
        print(problem.render(), file=sys.stderr if problem.severity == "error" else sys.stdout)
    if problems.errors:
        print(f"校验未通过：{len(problems.errors)} 处错误，{len(problems.warnings)} 处提醒。", file=sys.stderr)
        return 1
    print(summary_line(content))
    return 0


def summary_line(content) -> str:  # type: ignore[no-untyped-def]
    themes = Counter(r.theme for r in content.routes.values())
    counties = Counter(c for r in content.routes.values() for c in r.counties)
    months = Counter(m for r in content.routes.values() for m in r.best_months)
    theme_part = "、".join(f"{t.name}{themes[t.id]}" for t in content.themes.values())
    county_part = "、".join(f"{c.name}{counties[c.id]}" for c in content.counties.values())
    month_part = " ".join(f"{m}月{months[m]}" for m in range(1, 13))
    events = sorted(content.events.values(), key=lambda e: e.start_date)
    span = f"（{events[0].start_date:%Y-%m} 至 {events[-1].start_date:%Y-%m}）" if events else ""
    return (f"校验通过：{len(content.routes)} 条线路；主题 {theme_part}；县市区 {county_part}；"
            f"各月适宜线路 {month_part}；{len(content.guides)} 份周末指南；{len(content.events)} 个活动{span}。")


def _plan(root: Path, month) -> int:  # type: ignore[no-untyped-def]
    from pipeline.batch import validated_content
    from pipeline.config import load_config
    from pipeline.plan import make_plan

    config = load_config(root)
    content, _ = validated_content(root)
    plan = make_plan(content, month, config.featured_per_month)
    print(f"{month.label} 月度计划")
    print(f"周末指南：{plan.guide.title}（{plan.guide.source}）")
    for weekend in plan.weekends:
        marks = []
        for info in weekend.days:
            if info.makeup_workday:
                marks.append(f"{info.day:%m-%d} 调休上班")
            elif info.holiday:
                marks.append(f"{info.day:%m-%d} {info.holiday}")
        extra = f"（{'；'.join(marks)}）" if marks else ""
        print(f"  周末 {weekend.saturday.day:%m-%d}—{weekend.sunday.day:%m-%d}{extra}")
    for period in plan.rest_periods:
        print(f"  {period.holiday or '连休'}：{period.first:%m-%d} 至 {period.last:%m-%d}，共 {period.length} 天")
    print(f"本月活动：{len(plan.events)} 个")
    for event in plan.events:
        mark = "（日期待定）" if event.tentative else ""
        print(f"  {event.start_date:%m-%d} {event.title}{mark}")
    print("推荐线路：" + "、".join(r.title for r in plan.featured))
    for warning in plan.warnings:
        print(f"[提醒] {warning}")
    return 0


def _batch(root: Path, month) -> int:  # type: ignore[no-untyped-def]
    from pipeline.batch import run_batch

    result = run_batch(root, month, progress=lambda stage: print(f"· {stage}", flush=True))
    for note in result.repairs:
        print(f"[修复] {note}")
    for warning in result.warnings:
        print(f"[提醒] {warning}")
    print(f"完成：{month.label}批次已写入 {result.folder}（{result.files} 个文件）。")
    return 0


def _site_build(root: Path, month_text: str | None, with_search: bool) -> int:
    from pipeline.channels.site.standalone import build_and_swap
    from pipeline.plan import Month

    month = Month.parse(month_text) if month_text else None
    result = build_and_swap(root, month, with_search)
    print(f"网站已生成：{result.staging.parent.parent / 'site'}（{result.pages} 个页面；改写 {len(result.written)} 个文件，"
          f"删除 {len(result.removed)} 个，{result.unchanged} 个未变）。")
    return 0


def _serve(root: Path, month_text: str | None, host: str, port: int, with_search: bool) -> int:
    from pipeline.channels.site.serve import serve
    from pipeline.plan import Month

    if not 0 <= port <= 65535:
        raise UserError(f"--port 的值 {port} 无效：应为 0 到 65535 之间的整数。")
    month = Month.parse(month_text) if month_text else None
    return serve(root, month, host, port, with_search)
