"""The website channel: the whole static site, rebuilt by every batch into output/site/."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from pipeline.channels import ChannelContext
from pipeline.config import Config


def head_start(config: Config, output_root: Path) -> Callable[[], None]:
    """Start copying output/site into the site's staging folder and compiling the templates while the content
    is loaded. Returns what to call once the build is over (or will not happen): it stops
    whatever was not used."""
    from pipeline.channels.site import files
    from pipeline.channels.site.render import warm_up, warmed_up
    from pipeline.parallel import start_child

    finish_warm_up = start_child(lambda: warm_up(config.root)) if not warmed_up(config.root) else lambda: None
    finish_staging = files.begin_staging(output_root, files.spare_folder(config.root, output_root))

    def finish() -> None:
        build = sys.modules.get("pipeline.channels.site.build")
        if build is not None:
            build.drop_early(output_root)
        finish_staging()
        finish_warm_up()

    return finish


def ahead(ctx: ChannelContext) -> None:
    from pipeline.channels.site.build import start_early

    start_early(ctx.config, ctx.content, ctx.plan.month, ctx.output_root)


def render_channel(ctx: ChannelContext) -> None:
    from pipeline.channels.site import files
    from pipeline.channels.site.build import build_site
    from pipeline.output import Move

    # The search bundle is still being made when this returns: the batch waits for it before the manifest.
    result = build_site(ctx.config, ctx.content, ctx.plan.month, ctx.output_root, batch_folder=ctx.out, background=True)
    ctx.built["site"] = result.staging
    ctx.waiting.append(result.finish)
    ctx.switch_in.append(Move(result.staging, files.SITE, result.spare))  # with the month folder, atomically
