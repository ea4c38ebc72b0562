"""The one Jinja environment factory of every channel and of the review page.

Templates are looked up in the content root's templates/<folder>/ first, so an office can restyle its own
channels, then in the project's templates/<folder>/ beside this package (content trees without their own).
Nothing is compiled ahead or kept between runs: an environment compiles a template the first time it is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

PROJECT_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def template_dirs(root: Path, folder: str = "") -> list[Path]:
    """Existing template folders, the content root's first; `folder` names a sub-folder (site, wechat, posters)."""
    dirs = [root / "templates" / folder, PROJECT_TEMPLATES / folder]
    unique: list[Path] = []
    for candidate in dirs:
        if candidate.is_dir() and candidate.resolve() not in [u.resolve() for u in unique]:
            unique.append(candidate)
    return unique


def make_environment(root: Path, folder: str = "", *, autoescape: bool | Callable[[str | None], bool] = True,
                     filters: Mapping[str, Callable[..., Any]] | None = None,
                     globals: Mapping[str, Any] | None = None,
                     keep_trailing_newline: bool = True) -> Environment:
    """An environment over template_dirs(root, folder): strict undefined values, block whitespace trimmed."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in template_dirs(root, folder)]),
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
        auto_reload=False,  # one run renders from the templates as they were when it began
    )
    env.filters.update(filters or {})
    env.globals.update(globals or {})
    return env

