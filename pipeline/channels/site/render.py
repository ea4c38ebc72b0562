"""The Jinja environment for site pages: autoescape on, links relative to the page being rendered."""

from __future__ import annotations

import json
import posixpath
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import markupsafe
from jinja2 import (ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, Template, TemplateError, Undefined,
                    pass_context)
from markupsafe import Markup

from pipeline.channels.site import text
from pipeline.channels.site.sanitize import markdown_html
from pipeline.content import citations
from pipeline.fingerprint import CODE_CACHE, code_digest, keep_code_digest_in
from pipeline.state import cache_dir
from pipeline.templates import bytecode_cache, bytecode_folder

SITE_TEMPLATES = "site"  # the kind of the site's compiled templates (see pipeline.templates.bytecode_cache)
# Built-in templates ship with the code; a content root may hold its own templates/site/ to override them.
BUILTIN_TEMPLATES = Path(__file__).resolve().parents[3] / "templates" / "site"


def template_dirs(root: Path) -> list[Path]:
    own = root / "templates" / "site"
    dirs = [own] if own.is_dir() else []
    if BUILTIN_TEMPLATES.is_dir() and BUILTIN_TEMPLATES not in [d.resolve() for d in dirs]:
        dirs.append(BUILTIN_TEMPLATES)
    return dirs


_OUTSIDE = ("http://", "https://", "#", "mailto:")


@lru_cache(maxsize=4096)
def _parts(path: str) -> tuple[tuple[str, ...], bool]:
    """A site path's non-empty parts, and whether any is '.' or '..' (never in site paths)."""
    parts = tuple(part for part in path.split("/") if part)
    return parts, "." in parts or ".." in parts


def _base(page_path: str) -> str:
    """The folder a page's links start from ('' for the site root)."""
    return page_path if page_path.endswith("/") or page_path == "" else posixpath.dirname(page_path) + "/"


def general_href(page_path: str, target: str) -> str:
    """relative_href for any path: its reference, and its answer for the paths it does not take the short way."""
    if target.startswith(_OUTSIDE):
        return target
    base = _base(page_path)
    here, odd_here = _parts(base)
    there, odd_there = _parts(target)
    if odd_here or odd_there:  # keep the general answer
        rel = posixpath.relpath(target or ".", base.strip("/") or ".")
    else:
        common = 0
        while common < len(here) and common < len(there) and here[common] == there[common]:
            common += 1
        rel = "/".join([".."] * (len(here) - common) + list(there[common:])) or "."
    if target.endswith("/") or target == "":
        rel = "./" if rel == "." else rel + "/"
    return rel


@lru_cache(maxsize=8192)
def _folders(page_path: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The folders of a page's base, each with its '/' ('routes/', 'x/'), and '../' repeated 0 to that many times;
    None unless the base is plain: no leading or doubled '/', no '.' or '..' part. Worked out once per page."""
    base = _base(page_path)
    parts, odd = _parts(base)
    if odd or base != "".join(part + "/" for part in parts):
        return None
    return tuple(part + "/" for part in parts), tuple("../" * n for n in range(len(parts) + 1))


@lru_cache(maxsize=8192)
def _plain(target: str) -> bool | None:
    """None for a link off the site (left as it is); True for '' or parts joined by single '/' (a folder's path
    ends with '/') none of which is '.' or '..'; False for any other path."""
    if target.startswith(_OUTSIDE):
        return None
    parts, odd = _parts(target)
    joined = "/".join(parts)
    return not odd and (target == joined or (target == joined + "/" and target != "/"))


def relative_href(page_path: str, target: str) -> str:
    """Link from the page at page_path ('' home, 'routes/x/', '404.html') to a site path: general_href's answer.
    For plain paths (all of the site's own), the folders the two share are skipped by comparing strings."""
    plain = _plain(target)
    if plain is None:
        return target
    known = _folders(page_path)
    if known is None or not plain:
        return general_href(page_path, target)
    folders, up = known
    depth = len(folders)
    shared = at = 0
    while shared < depth and target.startswith(folders[shared], at):
        at += len(folders[shared])
        shared += 1
    rest = target[at:]
    if shared < depth and rest == folders[shared][:-1]:  # the next folder's own name, as a file: that folder
        return "/".join([".."] * (depth - shared - 1)) or "."
    return up[depth - shared] + rest or "./"


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=False)  # what json.dumps would make each time


def json_ld(data: Any) -> Markup:
    """JSON for a <script type=application/ld+json>: '<', '>' and '&' escaped so text can never end the script."""
    dumped = _JSON.encode(data)
    dumped = dumped.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(dumped)


_escape_inner = getattr(markupsafe, "_escape_inner", None)  # markupsafe's C escaping of a str, when present


def _escape(value: Any) -> Any:
    """What autoescaped templates call on every `{{ ... }}`: markupsafe.escape's text, without wrapping plain
    strings in Markup (the compiled code only joins these results into the page or into a Markup)."""
    kind = type(value)
    if kind is str:
        return _escape_inner(value)  # type: ignore[misc]
    if kind is Markup:  # already safe: markupsafe.escape would copy it
        return value
    if kind is int or kind is float:  # digits, '.', '-', '+', 'e', 'inf', 'nan': nothing to escape
        return str(value)
    if kind is Undefined:  # `{{ x if test }}` with a false test: Jinja's plain Undefined, which prints as nothing
        return _escape_inner(str(value))  # type: ignore[misc]
    return markupsafe.escape(value)


class _SiteTemplate(Template):
    """A template whose compiled code escapes output with _escape: hundreds of thousands of calls per build."""

    @classmethod
    def from_code(cls, environment, code, globals, uptodate=None):  # type: ignore[no-untyped-def, override]
        template = super().from_code(environment, code, globals, uptodate)
        namespace = template.root_render_func.__globals__  # the compiled module's: its blocks and macros share it
        if _escape_inner is not None and namespace.get("escape") is markupsafe.escape:
            namespace["escape"] = _escape
        return template


# What a line must never split on a phone: a number and its unit (4月25日, 11月, 2天, 10 公里, 1974年), a weekday
# in brackets, and a few words (日期待定, 停留, 一日游). Breaks stay possible between these, e.g. after 2027年.
_KEEP = re.compile(r"\d+(?:[.:]\d+)?(?:月\d+日|\s?(?:年|月|日|天|公里|千米|米|小时|分钟|条|项|处|站|个|元|人|届|期|%))"
                   r"|（周[一二三四五六日]）|日期待定|停留|一日游")
_TAG = re.compile(r"(<[^>]*>)")


def _keep_text(text: str) -> str:
    """Escaped text with each _KEEP match wrapped in <span class="nw"> (white-space: nowrap in site.css)."""
    return _KEEP.sub(lambda m: f'<span class="nw">{m.group(0)}</span>', text)


@lru_cache(maxsize=8192)
def _keep_plain(value: str) -> Markup:
    return Markup(_keep_text(str(markupsafe.escape(value))))


def keep_together(value: Any) -> Markup:
    """The `nobreak` filter: value as HTML, numbers with their units (and the words above) never split across
    lines. Plain text is escaped first; in Markup (a Markdown body) only the text between tags is touched."""
    if isinstance(value, Markup):
        return Markup("".join(part if part.startswith("<") else _keep_text(part) for part in _TAG.split(value)))
    return _keep_plain(str(value))


def make_environment(root: Path) -> Environment:
    # auto_reload off: one build renders from the templates as they were when it began, without a stat of
    # every template (and of each one it extends or imports) per page; `xnwl serve` makes a new environment
    # for every rebuild.
    env = Environment(loader=ChoiceLoader([FileSystemLoader(str(d)) for d in template_dirs(root)]),
                      autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, auto_reload=False,
                      bytecode_cache=bytecode_cache(root, SITE_TEMPLATES))

    @pass_context
    def href(ctx, target: str) -> str:  # type: ignore[no-untyped-def]
        page = ctx["page"]
        if page.absolute_links:
            return ctx["base_path"] + target
        return relative_href(page.path, target)

    env.template_class = _SiteTemplate
    env.globals["href"] = href
    env.filters["href"] = href  # `path|href`: a filter is called directly, a function through Context.call
    env.filters["markdown"] = markdown_html
    env.filters["json_ld"] = json_ld
    env.filters["nobreak"] = keep_together
    env.filters["day"] = text.day_text
    env.filters["short_day"] = text.short_day
    env.filters["when"] = text.event_when
    env.filters["short_when"] = text.event_short_when
    env.filters["months"] = text.months_text
    env.filters["days"] = text.days_text
    env.filters["source_html"] = citations.to_html
    return env


def compile_all(env: Environment) -> None:
    """Compile every template of the environment now (into its bytecode cache too, when it has one)."""
    for name in sorted(env.list_templates()):
        try:
            env.get_template(name)
        except TemplateError:  # not a template, or broken: reported by the page that uses it, if any does
            pass


def warmed_up(root: Path) -> bool:
    """Whether an earlier build left what warm_up makes (a template or the code changed since then costs the
    build only that template, or the code digest, worked out again)."""
    return (cache_dir(root) / CODE_CACHE).is_file() and any(bytecode_folder(root, SITE_TEMPLATES).glob("*"))


def warm_up(root: Path) -> None:
    """What a build of the site works out from the code and the templates alone, left in state/cache/ for it:
    the code digest and the compiled templates (run in a child process while the content is loaded)."""
    keep_code_digest_in(cache_dir(root))
    code_digest()
    compile_all(make_environment(root))
