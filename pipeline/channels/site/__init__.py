"""The website channel: the whole static site, rebuilt by every batch into output/site/."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from pipeline.channels import ChannelContext
from pipeline.config import Config


def head_start(config: Config, output_root: Path) -> Callable[[], None]:
    """Start copying output/site into the site's staging folder while the batch loads the content."""
    from pipeline.channels.site import files

    return files.begin_staging(output_root, files.spare_folder(config.root, output_root))


def render_channel(ctx: ChannelContext) -> None:
    from pipeline.channels.site import files
    from pipeline.channels.site.build import build_site

    # The search bundle is still being made when this returns: the batch waits for it before the manifest.
    result = build_site(ctx.config, ctx.content, ctx.plan.month, ctx.output_root, batch_folder=ctx.out, background=True)
    ctx.built["site"] = result.staging
    ctx.waiting.append(result.finish)
    ctx.after_swap.append(lambda: files.swap(result.staging, ctx.output_root, result.spare))
