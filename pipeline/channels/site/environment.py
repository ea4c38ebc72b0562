"""The Jinja environment for site pages: autoescape on, links relative to the page being rendered."""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, pass_context
from markupsafe import Markup, escape

from pipeline.channels.site import text
from pipeline.channels.site.sanitize import markdown_html
from pipeline.content import citations
from pipeline.templates import make_environment

_OUTSIDE = ("http://", "https://", "#", "mailto:")


def relative_href(page_path: str, target: str) -> str:
    """Link from the page at page_path ('' home, 'routes/x/', '404.html') to a site path ('' home, 'routes/',
    'assets/site.css'); links off the site are left as they are."""
    if target.startswith(_OUTSIDE):
        return target
    here = page_path.rpartition("/")[0]  # the page's folder: 'routes/x' for 'routes/x/' and 'routes/x/a.html'
    folders = here.split("/") if here else []
    parts = target.split("/")  # the last part is a file's name, or '' for a folder
    if any(part in ("", ".", "..") for part in folders + parts[:-1]) or parts[-1] in (".", ".."):
        rel = posixpath.relpath(target or ".", here or ".")  # not a path the site makes: the general answer
        return "./" if rel == "." and target.endswith("/") else rel + "/" if target.endswith("/") else rel
    shared = 0
    most = min(len(folders), len(parts) - 1)
    while shared < most and folders[shared] == parts[shared]:
        shared += 1
    return "../" * (len(folders) - shared) + "/".join(parts[shared:]) or "./"


def json_ld(data: Any) -> Markup:
    """JSON for a <script type=application/ld+json>: '<', '>' and '&' escaped so text can never end the script."""
    dumped = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    dumped = dumped.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(dumped)


# What a line must never split on a phone: a number and its unit (4月25日, 11月, 2天, 10 公里, 1974年), a weekday
# in brackets, and a few words (日期待定, 停留, 一日游). Breaks stay possible between these, e.g. after 2027年.
_KEEP = re.compile(r"\d+(?:[.:]\d+)?(?:月\d+日|\s?(?:年|月|日|天|公里|千米|米|小时|分钟|条|项|处|站|个|元|人|届|期|%))"
                   r"|（周[一二三四五六日]）|日期待定|停留|一日游")
_TAG = re.compile(r"(<[^>]*>)")


def _keep_text(html_text: str) -> str:
    """Escaped text with each _KEEP match wrapped in <span class="nw"> (white-space: nowrap in site.css)."""
    return _KEEP.sub(lambda m: f'<span class="nw">{m.group(0)}</span>', html_text)


def keep_together(value: Any) -> Markup:
    """The `nobreak` filter: value as HTML, numbers with their units (and the words above) never split across
    lines. Plain text is escaped first; in Markup (a Markdown body) only the text between tags is touched."""
    if isinstance(value, Markup):
        return Markup("".join(part if part.startswith("<") else _keep_text(part) for part in _TAG.split(value)))
    return Markup(_keep_text(str(escape(str(value)))))


@pass_context
def href(ctx, target: str) -> str:  # type: ignore[no-untyped-def]
    """`path|href` or href(path): the link to a site path from the page being rendered."""
    page = ctx["page"]
    if page.absolute_links:  # the 404 page is served at any address: its links start from the site root
        return ctx["base_path"] + target
    return relative_href(page.path, target)


FILTERS = {
    "href": href,
    "markdown": markdown_html,
    "json_ld": json_ld,
    "nobreak": keep_together,
    "day": text.day_text,
    "short_day": text.short_day,
    "when": text.event_when,
    "short_when": text.event_short_when,
    "months": text.months_text,
    "days": text.days_text,
    "source_html": citations.to_html,
}


def make_site_environment(root: Path) -> Environment:
    """templates/site/ of the content root (an office's own), then the project's."""
    return make_environment(root, "site", autoescape=True, filters=FILTERS, globals={"href": href})
