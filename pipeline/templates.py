"""The Jinja environment shared by every stage, autoescape on for HTML.

Templates are looked up in the content root's templates/ first, so an office can restyle its own
channels, then in the project's templates/ beside this package (content trees without their own).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, select_autoescape

PROJECT_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def template_dirs(root: Path, channel: str = "") -> list[Path]:
    """Existing template folders, the content root's first; `channel` names a sub-folder (wechat, posters)."""
    dirs = [root / "templates" / channel, PROJECT_TEMPLATES / channel]
    unique: list[Path] = []
    for folder in dirs:
        if folder.is_dir() and folder.resolve() not in [u.resolve() for u in unique]:
            unique.append(folder)
    return unique


def bytecode_folder(root: Path, kind: str) -> Path:
    from pipeline.state import cache_dir

    return cache_dir(root) / f"jinja-{kind}"


class _BytecodeCache(FileSystemBytecodeCache):
    """state/cache/ may be deleted at any time, also while a long-running process (the scheduler, `xnwl serve`)
    keeps an environment: the folder is then made again, and a compiled template that cannot be kept is
    simply compiled again next time."""

    def dump_bytecode(self, bucket: Any) -> None:
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def bytecode_cache(root: Path, kind: str) -> FileSystemBytecodeCache | None:
    """Compiled templates under state/cache/jinja-<kind>/, so a run does not compile every template again.

    Jinja keys each entry by the template's file and checks its source (and Jinja's version): an edited
    template is compiled afresh. One folder per kind of environment: their settings compile differently."""
    folder = bytecode_folder(root, kind)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _BytecodeCache(str(folder))


@lru_cache(maxsize=8)
def environment(root: Path) -> Environment:
    return Environment(
        bytecode_cache=bytecode_cache(root, "review"),
        loader=ChoiceLoader([FileSystemLoader(str(folder)) for folder in template_dirs(root)]),
        autoescape=select_autoescape(("html", "htm", "xml", "svg")),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
