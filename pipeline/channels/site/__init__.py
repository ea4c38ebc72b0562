"""The website channel: the whole static site, rebuilt by every batch into output/site/."""

from __future__ import annotations

from pipeline.channels import ChannelContext


def render_channel(ctx: ChannelContext) -> None:
    from pipeline.channels.site import files
    from pipeline.channels.site.build import build_site

    # The search bundle is still being made when this returns: the batch waits for it before the manifest.
    result = build_site(ctx.config, ctx.content, ctx.plan.month, ctx.output_root, batch_folder=ctx.out, background=True)
    ctx.built["site"] = result.staging
    ctx.waiting.append(result.finish)
    ctx.after_swap.append(lambda: files.swap(result.staging, ctx.output_root, result.spare))
