"""The xnwl command: parses arguments, calls one stage, prints. No logic of its own."""

from __future__ import annotations

import argparse
import os
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
  xnwl schedule                每月按 xnwl.toml 的时间自动拉取订阅源并生成下个月的批次
  xnwl feeds pull              拉取订阅源，新条目放进 content/inbox/ 待编辑处理
  xnwl inbox list              查看收件箱中的候选
  xnwl wechat push --month 2027-04   把该月的公众号文章推送到草稿箱
  xnwl site build              只重新生成网站 output/site/
  xnwl serve                   在本机预览网站（http://127.0.0.1:8000/），修改后自动刷新
"""


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog="xnwl", description=DESCRIPTION)
    parser.add_argument("--root", type=Path, metavar="目录",
                        help="内容目录（含 xnwl.toml）；默认从当前目录向上查找")
    parser.add_argument("--no-cache", action="store_true",
                        help="不沿用任何已有结果：批处理一律从头生成（用于核对；默认在程序、依赖库和全部输入都没变时什么也不做）")
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
    batch.add_argument("--force", action="store_true",
                       help="即使内容、配置、模板都没有变化也重新生成（默认输入未变时什么也不做）")

    schedule = commands.add_parser(
        "schedule", help="定时任务：每月按 xnwl.toml 的时间拉取订阅源并生成下个月的批次",
        description="在前台长期运行（用 systemd 等托管，见 docs/schedule.md）：每月 [schedule] 指定的日期和时间"
                    "（北京时间）先拉取订阅源，再生成下个月的批次。关机错过的运行在开机后补跑一次；每个月只生成一次。"
                    "任务、运行记录和日志都在 state/ 下。")
    mode = schedule.add_mutually_exclusive_group()
    mode.add_argument("--show", action="store_true", help="显示接下来三次运行时间和上次结果，然后退出")
    mode.add_argument("--run-now", action="store_true", help="立即执行一次定时任务（拉取订阅源并生成下个月的批次），然后退出")
    schedule.add_argument("--force", action="store_true", help="与 --run-now 一起用：即使该月已生成过也重新生成")

    feeds = commands.add_parser("feeds", help="订阅源（RSS/Atom）", description="订阅源（RSS/Atom）相关命令。")
    feed_commands = feeds.add_subparsers(dest="feeds_command", title="命令", metavar="<命令>",
                                         parser_class=ChineseArgumentParser, required=True)
    pull = feed_commands.add_parser(
        "pull", help="拉取订阅源，把新条目放进 content/inbox/",
        description="拉取 xnwl.toml [feeds] urls 中的订阅源（或 --feed 指定的），把新条目清理后写成 content/inbox/ 中的候选。"
                    "已见过的条目不会重复添加；一个订阅源出错不影响其他订阅源。")
    pull.add_argument("--feed", action="append", metavar="网址", help="只拉取这个订阅源（可多次使用）")
    pull.add_argument("--timeout", type=float, default=None, metavar="秒", help="每个订阅源的超时时间，默认 20 秒")

    inbox = commands.add_parser("inbox", help="收件箱：从订阅源拉来的候选", description="收件箱 content/inbox/ 相关命令。")
    inbox_commands = inbox.add_subparsers(dest="inbox_command", title="命令", metavar="<命令>",
                                          parser_class=ChineseArgumentParser, required=True)
    inbox_commands.add_parser("list", help="列出收件箱中的候选", description="列出 content/inbox/ 中的候选。")
    accept = inbox_commands.add_parser(
        "accept", help="把一个候选转成活动草稿",
        description="把候选转成 content/events/<编号>.md 活动草稿，并从收件箱移除。需要编辑补全的字段标为“待填写”，"
                    "补全之前 xnwl validate 和批处理都会报错。")
    accept.add_argument("id", metavar="编号", help="候选编号（见 xnwl inbox list）")
    accept.add_argument("--as", dest="kind", required=True, choices=["event"], help="转成什么：event（活动）")

    wechat = commands.add_parser("wechat", help="公众号：把某月的文章推送到草稿箱",
                                 description="公众号相关操作。")
    wechat_commands = wechat.add_subparsers(dest="wechat_command", title="命令", metavar="<命令>",
                                            parser_class=ChineseArgumentParser, required=True)
    push = wechat_commands.add_parser(
        "push", help="把 output/<YYYY-MM>/wechat/drafts.json 推送到公众号草稿箱",
        description="把某月批次里的公众号文章推送到草稿箱：上传正文图片和封面，新建草稿；\n"
                    "同一个月再次推送时更新上次建的草稿，不会重复新建。\n\n"
                    "凭据只从环境变量读取：WECHAT_APPID、WECHAT_APPSECRET。\n"
                    "WECHAT_API_BASE 可改接口地址（默认 https://api.weixin.qq.com）。\n"
                    "令牌缓存与草稿记录保存在 state/wechat/ 下。")
    push.add_argument("--month", metavar="YYYY-MM", required=True, help="月份，如 2027-04")
    push.add_argument("--force", action="store_true", help="连同未通过审核的文章一起推送（会记录在审核记录中）")
    push.add_argument("--by", metavar="姓名", help="与 --force 一起用：谁决定跳过审核")

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
    site_deploy = site_commands.add_parser(
        "deploy", help="写出可发布的网站副本（只含已通过审核的月份）",
        description="把网站写到指定目录，用于上传到正式服务器：只包含周末指南已通过审核的月份（以前通过的月份保留），"
                    "没有“待审”提示。output/site/ 仍是包含全部内容的内部预览。\n\n"
                    "对目标目录做什么：\n"
                    "  · 目标目录必须不存在、是空文件夹，或是以前由 xnwl site deploy 写出的文件夹（其中的\n"
                    "    .xnwl-deploy.json 列出了它写出的每个文件）；否则拒绝，目录中的东西一概不动。\n"
                    "  · 总是拒绝：文件系统根目录、用户主目录、项目目录及其上级和下级目录、含 .git 的文件夹。\n"
                    "  · 再次发布时，只删除上次发布写出、这次不再需要、且没有被改过的文件；\n"
                    "    别人手工放进去的文件保留不动，并列出来。\n"
                    "  · 新网站先写在目标目录旁边的临时文件夹里，全部成功后才换上，访问者看不到写了一半的网站；\n"
                    "    中途失败时，上次发布的网站原样保留。\n"
                    "  · 有通过审核后又改动的项目时拒绝发布并列出它们（--force --by 姓名 可跳过，发布成功后才记录）。\n"
                    "  · --dry-run 只列出将新增、改动、删除、保留的文件，不写任何东西。")
    site_deploy.add_argument("target", type=Path, metavar="目标目录",
                             help="写到这个目录（不存在、空的，或以前发布写出的文件夹）")
    site_deploy.add_argument("--dry-run", action="store_true", help="只列出将新增、改动、删除的文件，不写任何东西")
    site_deploy.add_argument("--force", action="store_true", help="连同未通过审核的月份一起发布（会记录在审核记录中）")
    site_deploy.add_argument("--by", metavar="姓名", help="与 --force 一起用：谁决定跳过审核")
    site_deploy.add_argument("--no-search", action="store_true", help="不生成站内搜索索引")

    check = commands.add_parser("check", help="对某月的批次重新运行自动检查",
                                description="对 output/<YYYY-MM>/ 重新运行全部自动检查（公众号限制、广告法用语、标点规范、"
                                            "图片说明、未核实与日期待定、已结束的活动、推荐数量、连续推荐、海报缺字与对比度、"
                                            "链接），更新审核页；有错误时以 1 退出。")
    check.add_argument("--month", metavar="YYYY-MM", help="月份，默认为下个月（北京时间）")

    review = commands.add_parser("review", help="审核：查看状态、通过或退回某一项",
                                 description="审核记录保存在 content/review/<YYYY-MM>.json（请纳入版本管理）。"
                                             "通过绑定在内容哈希上：内容改动后自动回到“待审”。")
    review_commands = review.add_subparsers(dest="review_command", title="命令", metavar="<命令>",
                                            parser_class=ChineseArgumentParser, required=True)
    review_list = review_commands.add_parser("list", help="列出本批次各项及其审核状态",
                                             description="列出某月批次中可审核的各项、状态和检查结果数。")
    review_list.add_argument("--month", metavar="YYYY-MM", help="月份，默认为下个月（北京时间）")
    for action, label in (("approve", "通过"), ("reject", "退回修改")):
        command = review_commands.add_parser(action, help=f"{label}某一项",
                                             description=f"{label}某一项，并更新审核页。项目编号见 xnwl review list。")
        command.add_argument("item", metavar="项目", help="如 wechat/guide-2027-04 或 posters/route-xxx")
        command.add_argument("--month", metavar="YYYY-MM", help="月份，默认为下个月（北京时间）")
        command.add_argument("--by", metavar="姓名", required=True, help="审核人")
        command.add_argument("--note", metavar="意见", default="",
                             help="审核意见" + ("（退回时必填）" if action == "reject" else ""))

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
    from pipeline import interrupts
    from pipeline.parallel import tie_children

    interrupts.install()  # every Ctrl-C ends the command, even one Python would drop (see pipeline.interrupts)
    tie_children()  # forked helpers end with this process, killed or not
    try:
        return _run(args)
    except interrupts.InterruptedAfterSwitch:
        print("已中断：批次在中断前已完成并替换了输出（output/ 中是新批次的完整内容）。", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("已中断；output/ 中原有内容保持不变。", file=sys.stderr)
        return 130
    except UserError as exc:
        if interrupts.interrupted():  # a helper (a worker) stopped by the same Ctrl-C
            print("已中断；output/ 中原有内容保持不变。", file=sys.stderr)
            return 130
        print(exc.render(), file=sys.stderr)
        return 1
    except BrokenPipeError:  # stdout closed early (xnwl ... | head); not an error of the command

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - a fault of the machine (disk, permissions): a message, not a traceback
        if interrupts.interrupted():
            print("已中断；output/ 中原有内容保持不变。", file=sys.stderr)
            return 130
        os_error = _os_error(exc)
        if os_error is None:
            raise
        from pipeline.faults import os_error_message

        print(f"[错误] {os_error_message(os_error, _ROOT[0] if _ROOT else None)}", file=sys.stderr)
        return 1


def _os_error(exc: BaseException) -> OSError | None:
    """The OSError behind exc (itself, or what it was raised from: a worker's, re-raised by its pool)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        if isinstance(current, OSError) and not isinstance(current, (ConnectionError, TimeoutError)):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


_ROOT: list[Path] = []  # the project folder of this command, once known (named in a fault's message)


def _root(args: argparse.Namespace) -> Path:
    from pipeline.config import CONFIG_NAME, find_root

    if args.root is not None:
        if not args.root.is_absolute():
            try:
                Path.cwd()
            except FileNotFoundError:
                raise UserError(f"当前目录已被删除（或已移走），相对路径 --root {args.root} 无从找起。"
                                "请 cd 到一个存在的目录，或用 --root 指定绝对路径后重试。") from None
        if not (args.root / CONFIG_NAME).is_file():
            raise UserError(f"--root 指定的目录 {args.root} 中没有 {CONFIG_NAME}。")
        root = args.root.resolve()
        try:
            Path.cwd()
        except FileNotFoundError:  # the current folder was deleted: the programs this one starts need one
            os.chdir(root)
        return root
    try:
        here = Path.cwd()
    except FileNotFoundError:
        raise UserError("当前目录已被删除（或已移走），无法从这里运行。请 cd 到内容目录（含 xnwl.toml），"
                        "或用 --root 指定它的绝对路径后重试。") from None
    root = find_root(here)
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
    _ROOT[:] = [root]
    if args.command in _READERS:
        _settle_output(root)
    if args.command == "validate":
        return _validate(root)
    if args.command == "plan":
        return _plan(root, _month(args.month))
    if args.command == "batch":
        return _batch(root, _month(args.month), args.force, not args.no_cache)
    if args.command == "schedule":
        return _schedule(root, args)
    if args.command == "feeds":
        return _feeds_pull(root, args.feed, args.timeout)
    if args.command == "inbox":
        return _inbox_list(root) if args.inbox_command == "list" else _inbox_accept(root, args.id)
    if args.command == "wechat":
        return _wechat_push(root, _month(args.month), args.force, args.by)
    if args.command == "site":
        if args.site_command == "deploy":
            return _site_deploy(root, args.target, args.force, args.by, not args.no_search, args.dry_run)
        if args.site_command != "build":
            raise UserError("请指定网站命令，例如：xnwl site build（用 xnwl site --help 查看）。")
        return _site_build(root, args.month, not args.no_search)
    if args.command == "check":
        return _check(root, _month(args.month))
    if args.command == "review":
        if args.review_command == "list":
            return _review_list(root, _month(args.month))
        return _review_decide(root, _month(args.month), args.item, args.review_command, args.by, args.note)
    if args.command == "serve":
        return _serve(root, args.month, args.host, args.port, not args.no_search)
    raise AssertionError(args.command)


_READERS = ("check", "review", "wechat", "site", "serve")  # commands that read output/ (the batch repairs it itself)


def _settle_output(root: Path) -> None:
    """Finish or undo a switch of output/ that a killed batch left half done, before reading it."""
    from pipeline import output
    from pipeline.config import load_config

    folder = load_config(root).output_dir
    if folder.is_dir():
        for note in output.settle(folder):
            print(f"[提醒] {note}", file=sys.stderr)


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


def _batch(root: Path, month, force: bool, use_cache: bool = True) -> int:  # type: ignore[no-untyped-def]
    from pipeline.batch import run_batch
    from pipeline.batch_summary import summary_lines
    from pipeline.progress import for_stream

    reporter = for_stream(sys.stdout)
    try:
        result = run_batch(root, month, reporter, force=force, use_cache=use_cache)
    finally:
        reporter.close()
    for line in summary_lines(result, root):
        print(line)
    return 0


def _schedule(root: Path, args: argparse.Namespace) -> int:
    if args.force and not args.run_now:
        raise UserError("--force 只能和 --run-now 一起使用。")
    if args.no_cache and not args.run_now:
        raise UserError("--no-cache 用于定时任务时只能和 --run-now 一起使用（常驻的定时任务照常判断批次是否已是最新）。")
    if args.show:
        from pipeline.schedule import show_lines

        for line in show_lines(root):
            print(line)
        return 0
    from pipeline.schedule import LOGGER, job_logger, run_monthly_job
    from pipeline.state import state_dir

    _echo_logs(LOGGER)
    if args.run_now:
        outcome = run_monthly_job(str(root), force=args.force, use_cache=not args.no_cache)
        print({"built": "定时任务已执行完毕。", "skipped": "该月已生成过，未重复生成（需要时加 --force）。",
               "busy": "另一个调度进程正在执行定时任务，本次未执行。"}[outcome])
        return 0
    return _run_scheduler(root, job_logger(root), state_dir(root))


def _echo_logs(name: str) -> None:
    import logging

    from pipeline.schedule import FORMATTER

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(FORMATTER)
    logging.getLogger(name).addHandler(handler)


def _run_scheduler(root: Path, log, state: Path) -> int:  # type: ignore[no-untyped-def]
    import signal

    from pipeline.schedule import MonthlyScheduler

    app = MonthlyScheduler(root)
    app.stop_on_signals((signal.SIGTERM, signal.SIGINT))
    log.info(f"日志写入 {state / 'schedule.log'}；按 Ctrl+C 退出。")
    app.run()
    if app.stop_requested:
        log.info("收到停止信号：调度进程退出（正在进行的批次会先完成；若被强行终止，下次启动时重新执行）。")
    return 0


def _feeds_pull(root: Path, urls: list[str] | None, timeout: float | None) -> int:
    import re

    from pipeline.config import load_config
    from pipeline.feeds.fetch import DEFAULT_TIMEOUT
    from pipeline.feeds.pull import pull_feeds
    from pipeline.state import state_dir

    config = load_config(root)
    feeds = urls or list(config.feeds)
    for url in feeds:
        if not re.match(r"^https?://\S+$", url):
            raise UserError(f"订阅源网址“{url}”无效：应以 http:// 或 https:// 开头。")
    if timeout is not None and not 0 < timeout <= 300:
        raise UserError(f"--timeout {timeout:g} 无效：应在 0 到 300 秒之间。")
    if not feeds:
        print("没有要拉取的订阅源：请在 xnwl.toml 的 [feeds] urls 中添加，或用 --feed 指定。")
        return 0
    reports, notes = pull_feeds(root, feeds, state_dir(root), timeout=timeout or DEFAULT_TIMEOUT)
    for note in notes:
        print(f"[提醒] {note}")
    for report in reports:
        for line in report.lines():
            print(line)
    added = sum(len(r.added) for r in reports)
    failed = [r for r in reports if not r.ok]
    print(f"共 {len(reports)} 个订阅源：{len(reports) - len(failed)} 个成功，{len(failed)} 个失败；"
          f"新增候选 {added} 条（content/inbox/，用 xnwl inbox list 查看）。")
    return 1 if failed else 0


def _inbox_list(root: Path) -> int:
    from pipeline.inbox import list_candidates

    candidates, unreadable = list_candidates(root)
    for line in unreadable:
        print(line, file=sys.stderr)
    if not candidates:
        print("收件箱是空的（content/inbox/ 中没有候选）。")
        return 0
    for c in candidates:
        source = c.feed_title or c.feed
        print(f"{c.id}  {c.published or '发布时间不详'}  {c.title}  〔{source}〕")
    print(f"共 {len(candidates)} 条候选。转为活动草稿：xnwl inbox accept <编号> --as event；不要的候选直接删除文件即可。")
    return 0


def _inbox_accept(root: Path, candidate_id: str) -> int:
    from pipeline.inbox import EDITOR_FIELDS, accept_as_event

    target = accept_as_event(root, candidate_id)
    rel = target.relative_to(root).as_posix()
    print(f"已把候选 {candidate_id} 转为活动草稿 {rel}，并从收件箱移除。")
    print(f"请编辑补全其中标为“待填写”的字段：{'、'.join(EDITOR_FIELDS)}；核实日期后把 status 改为 confirmed、填写 verified。")
    print("注意：补全之前 xnwl validate 会报错，批处理（包括定时任务）也会在校验这一步停下——这是为了不让未核实的活动被发布。")
    return 0


def _wechat_push(root: Path, month, force: bool, by: str | None) -> int:  # type: ignore[no-untyped-def]
    import os

    from pipeline.publish.gate import push_gate
    from pipeline.publish.push import Approvals, push_month
    from pipeline.review.decisions import record_override

    gate = push_gate(root, month, force, by)
    approvals = None if gate.expected is None else Approvals(gate.expected, gate.sources)
    result = push_month(root, month, os.environ, say=lambda line: print(f"· {line}", flush=True), approvals=approvals)
    if force:  # recorded only now that something was pushed
        record_override(root, month, "wechat push --force", by or "", gate.overridden)
    action = "新建" if result.created else "更新"
    print(f"完成：{month.label}的 {result.articles} 篇文章已{action}到公众号草稿箱（media_id {result.media_id}）。"
          "请到公众平台「内容与互动 → 草稿箱」预览后再发表。")
    return 0


def _site_build(root: Path, month_text: str | None, with_search: bool) -> int:
    from pipeline.site_build import build_and_swap
    from pipeline.plan import Month

    month = Month.parse(month_text) if month_text else None
    result = build_and_swap(root, month, with_search)
    print(f"网站已生成：{result.site}（{result.pages} 个页面，共 {result.files} 个文件）。")
    return 0


def _serve(root: Path, month_text: str | None, host: str, port: int, with_search: bool) -> int:
    from pipeline.publish.serve import serve
    from pipeline.plan import Month

    if not 0 <= port <= 65535:
        raise UserError(f"--port 的值 {port} 无效：应为 0 到 65535 之间的整数。")
    month = Month.parse(month_text) if month_text else None
    return serve(root, month, host, port, with_search)


def _site_deploy(root: Path, target: Path, force: bool, by: str | None, with_search: bool, dry_run: bool) -> int:
    from pipeline.publish.deploy import MARKER, deploy

    result = deploy(root, target, force, by, with_search, dry_run)
    changes = result.changes
    months = "、".join(m.label for m in result.months)
    if dry_run:
        print(f"试运行：没有写入任何文件。若发布到 {result.target}（{result.pages} 个页面；包含的月份：{months}）：")
        for label, paths in (("新增", changes.added), ("改动", changes.changed), ("删除", changes.removed),
                             ("保留（不是发布写出的，或发布后被改过）", changes.kept)):
            print(f"{label} {len(paths)} 个文件" + ("：" if paths else ""))
            for path in paths:
                print(f"  {path}")
        print(f"不变 {changes.unchanged} 个文件。")
    else:
        print(f"已发布网站到 {result.target}（{result.pages} 个页面；包含的月份：{months}）：新增 {len(changes.added)} 个文件，"
              f"改动 {len(changes.changed)} 个，删除 {len(changes.removed)} 个上次发布写出、这次没有的文件，"
              f"{changes.unchanged} 个不变。写出的文件清单在 {MARKER}。")
        if changes.kept:
            print(f"保留了 {len(changes.kept)} 个不是发布写出的（或发布后被改过的）文件，没有改动：")
            for path in changes.kept:
                print(f"  {path}")
    if result.left_out:
        print("未通过审核、没有发布的月份：" + "、".join(m.label for m in result.left_out))
    return 0


def _check(root: Path, month) -> int:  # type: ignore[no-untyped-def]
    from pipeline.review.commands import run_checks

    findings = run_checks(root, month)
    for finding in findings:
        where = finding.item or "本批次"
        print(f"[{finding.label}] {where} · {finding.message}", file=sys.stderr if finding.severity == "error" else sys.stdout)
    errors = sum(f.severity == "error" for f in findings)
    print(f"检查完成：{errors} 处错误，{len(findings) - errors} 处提醒；审核页已更新：output/{month}/review/index.html")
    return 1 if errors else 0


def _review_list(root: Path, month) -> int:  # type: ignore[no-untyped-def]
    from pipeline.review.commands import item_rows

    for row in item_rows(root, month):
        print(row)
    return 0


def _review_decide(root: Path, month, item: str, action: str, by: str, note: str) -> int:  # type: ignore[no-untyped-def]
    from pipeline.publish.serve import refresh_preview_site
    from pipeline.review.commands import record_decision

    print(record_decision(root, month, item, action, by, note))
    refresh_preview_site(root)  # its 待审 banners follow the decision
    return 0
