"""argparse in Chinese: headings, usage prefix and error messages shown to users."""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

_HEADINGS = {
    "positional arguments": "参数",
    "options": "选项",
    "optional arguments": "选项",
}
_ERRORS = [
    (re.compile(r"the following arguments are required: (.+)"), r"缺少必填参数：\1"),
    (re.compile(r"unrecognized arguments: (.+)"), r"无法识别的参数：\1"),
    (re.compile(r"argument (\S+): invalid choice: '?([^' ]+)'? \(choose from (.+)\)"), r"\1 的取值“\2”无效，可选：\3"),
    (re.compile(r"argument (\S+): expected one argument"), r"\1 后面需要一个值"),
    (re.compile(r"argument (\S+): invalid (\w+) value: (.+)"), r"\1 的值 \3 无效"),
]


class ChineseHelpFormatter(argparse.RawDescriptionHelpFormatter):
    def start_section(self, heading: str | None) -> None:
        super().start_section(_HEADINGS.get(heading or "", heading))

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, prefix="用法：" if prefix is None else prefix)


class ChineseArgumentParser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def error(self, message: str) -> NoReturn:
        for pattern, replacement in _ERRORS:
            if pattern.search(message):
                message = pattern.sub(replacement, message)
                break
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：参数错误：{message}\n（用 {self.prog} --help 查看用法）\n")
