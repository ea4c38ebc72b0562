"""`xnwl site deploy DIR`: the publishable copy of the site, with only the approved monthly guides.

The preview in output/site shows everything (待审 banners on unapproved months); the deployable copy
holds a month's guide only once its guide article was approved as it is now. --force publishes every
built month and is recorded, with who and when, in the month's review file.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline.channels.site import search
from pipeline.channels.site.build import poster_covers, prepare, render_into
from pipeline.outcache import OutputCache
from pipeline.content.problems import UserError
from pipeline.plan import Month

_MONTH_FOLDER = re.compile(r"^\d{4}-\d{2}$")


@dataclass
class DeployResult:
    target: Path
    months: list[Month]
    pages: int


def built_months(output_root: Path) -> list[Month]:
    if not output_root.is_dir():
        return []
    return sorted(Month.parse(p.name) for p in output_root.iterdir()
                  if p.is_dir() and _MONTH_FOLDER.match(p.name) and (p / "manifest.json").is_file())


def deploy(root: Path, target: Path, force: bool = False, by: str | None = None, with_search: bool = True) -> DeployResult:
    from pipeline.batch import validated_content
    from pipeline.config import load_config
    from pipeline.review.decisions import record_override
    from pipeline.review.gate import guide_approved

    config = load_config(root)
    target = target.resolve()
    output_root = config.output_dir.resolve()
    if target == output_root or output_root in target.parents or target == config.root.resolve():
        raise UserError(f"发布目录 {target} 不能放在内容目录或 output/ 里面，请换一个目录。")
    content, _ = validated_content(root)
    months = built_months(output_root)
    if not months:
        raise UserError("output/ 中还没有任何批次：请先运行 xnwl batch。")
    if force:
        if not (by or "").strip():
            raise UserError("使用 --force 时必须用 --by 写明是谁决定跳过审核。")
        published = months
        for month in months:
            if not guide_approved(config, content, month):
                record_override(root, month, "site deploy --force", by or "", [f"wechat/guide-{month}"])
    else:
        published = [m for m in months if guide_approved(config, content, m)]
    if not published:
        raise UserError("还没有通过审核的月份，没有发布任何内容。请先审核各月的周末指南："
                        "xnwl review approve wechat/guide-<YYYY-MM> --month <YYYY-MM> --by 姓名。")
    latest = published[-1]
    work = target.parent / f".{target.name}.deploy-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        prepared = prepare(config, content, latest, poster_covers(output_root, latest, None), work,
                           only=frozenset(published))
        # no cache: the preview's cache describes output/site, not this copy
        render_into(prepared, work, OutputCache(None, work))
        pages = prepared.pages
        if with_search:
            search.build_bundle(work, search.documents(prepared.pages, latest))
        _replace_dir(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return DeployResult(target, published, len(pages))


def _replace_dir(new: Path, target: Path) -> None:
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
