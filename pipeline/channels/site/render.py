"""The Jinja environment for site pages: autoescape on, links relative to the page being rendered."""

from __future__ import annotations

import json
import posixpath
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, pass_context
from markupsafe import Markup

from pipeline.channels.site import text
from pipeline.channels.site.sanitize import markdown_html
from pipeline.templates import bytecode_cache

# Built-in templates ship with the code; a content root may hold its own templates/site/ to override them.
BUILTIN_TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "site"


def template_dirs(root: Path) -> list[Path]:
    own = root / "templates" / "site"
    dirs = [own] if own.is_dir() else []
    if BUILTIN_TEMPLATES.is_dir() and BUILTIN_TEMPLATES not in [d.resolve() for d in dirs]:
        dirs.append(BUILTIN_TEMPLATES)
    return dirs


@lru_cache(maxsize=65536)
def relative_href(page_path: str, target: str) -> str:
    """Link from the page at page_path ('' home, 'routes/x/', '404.html') to a site path."""
    if target.startswith(("http://", "https://", "#", "mailto:")):
        return target
    base = page_path if page_path.endswith("/") or page_path == "" else posixpath.dirname(page_path) + "/"
    here = [part for part in base.split("/") if part]
    there = [part for part in target.split("/") if part]
    if any(part in (".", "..") for part in here + there):  # never in site paths; keep the general answer
        rel = posixpath.relpath(target or ".", base.strip("/") or ".")
    else:
        common = 0
        while common < len(here) and common < len(there) and here[common] == there[common]:
            common += 1
        rel = "/".join([".."] * (len(here) - common) + there[common:]) or "."
    if target.endswith("/") or target == "":
        rel = "./" if rel == "." else rel + "/"
    return rel


def json_ld(data: Any) -> Markup:
    """JSON for a <script type=application/ld+json>: '<', '>' and '&' escaped so text can never end the script."""
    dumped = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    dumped = dumped.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(dumped)


def make_environment(root: Path) -> Environment:
    # auto_reload off: one build renders from the templates as they were when it began, without a stat of
    # every template (and of each one it extends or imports) per page; `xnwl serve` makes a new environment
    # for every rebuild.
    env = Environment(loader=ChoiceLoader([FileSystemLoader(str(d)) for d in template_dirs(root)]),
                      autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, auto_reload=False, bytecode_cache=bytecode_cache(root, "site"))

    @pass_context
    def href(ctx, target: str) -> str:  # type: ignore[no-untyped-def]
        page = ctx["page"]
        if page.absolute_links:
            return ctx["base_path"] + target
        return relative_href(page.path, target)

    env.globals["href"] = href
    env.filters["markdown"] = markdown_html
    env.filters["json_ld"] = json_ld
    env.filters["day"] = text.day_text
    env.filters["short_day"] = text.short_day
    env.filters["when"] = text.event_when
    env.filters["short_when"] = text.event_short_when
    env.filters["months"] = text.months_text
    env.filters["days"] = text.days_text
    return env
