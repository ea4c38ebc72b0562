"""Channels: pure renderers of a MonthPlan (plus the content model) into files in a staging folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pipeline.config import Config
from pipeline.content.model import Content
from pipeline.output import Move
from pipeline.plan import MonthPlan


@dataclass
class ChannelContext:
    config: Config
    content: Content
    plan: MonthPlan
    out: Path  # the batch's staging folder, output/<YYYY-MM>/ once swapped in
    output_root: Path  # output/, for channels that keep something across months (the site)
    warnings: list[str] = field(default_factory=list)
    # Called after the month folder was swapped in: a channel that builds outside it (the site, in its
    # own staging folder) swaps its result into place here, so a failed batch changes nothing at all.
    after_swap: list[Callable[[], None]] = field(default_factory=list)
    # Folders a channel built outside the month folder (the site's staging copy), switched into output/
    # together with the month folder, in one step that is never left half done (see output.switch).
    switch_in: list[Move] = field(default_factory=list)
    # Work a channel left running in the background (the site's search index), waited for after the last
    # channel: finish() raises UserError if it failed; finish(failed=True) stops it and cleans up.
    waiting: list[Callable[..., None]] = field(default_factory=list)
    # Folders a channel built outside the month folder, by name (the site's staging copy), for later stages
    built: dict[str, Path] = field(default_factory=dict)
    # progress(done, total) moves the channel's bar, for a channel that renders many items
    progress: Callable[[int, int], None] = lambda done, total: None


@dataclass(frozen=True)
class Channel:
    name: str  # Chinese, shown to the user
    render: Callable[[ChannelContext], None]
    # Work that needs no content, started before the content is loaded (the site's staging copy);
    # returns what to call once the batch is over, whether or not the channel ran: it stops what was not used.
    head_start: Callable[[Config, Path], Callable[[], None]] | None = None
    # Work started right after the plan, before any channel renders (the site: the search shard of a small
    # edit, guessed with the month's last batch); it must not fail: the channel's render reports problems.
    ahead: Callable[[ChannelContext], None] | None = None


def registered_channels() -> tuple[Channel, ...]:
    """The stages a batch runs after the plan, in order; the review stage reads what the channels made."""
    from pipeline.channels import posters

    return (
        posters.CHANNEL,
        Channel("公众号文章", _wechat),  # after the posters: each article opens with its cover
        Channel("网站", _site),  # after the posters: it uses their covers
        Channel("审核", _review),  # last: it checks what the others made
    )


def _site(ctx: ChannelContext) -> None:
    """Transitional (issue 21), until the new batch calls pipeline.channels.site.render itself: the site rendered
    into its own staging folder, switched in together with the month folder (or discarded if the batch fails)."""
    from pipeline import output
    from pipeline.channels.site import render
    from pipeline.channels.site.standalone import SITE, site_inputs

    month = ctx.plan.month
    staging = output.new_staging(ctx.output_root, SITE)
    try:
        inputs = site_inputs(ctx.config, ctx.content, month, ctx.output_root, ctx.out)
        ctx.warnings += render(ctx.config, ctx.content, month, inputs, staging, progress=ctx.progress)
    except BaseException:
        output.discard(staging)
        raise
    ctx.built["site"] = staging
    ctx.switch_in.append(Move(staging, SITE))
    ctx.waiting.append(lambda failed=False: output.discard(staging) if failed and not output.switch_left(ctx.output_root)
                       else None)


def _review(ctx: ChannelContext) -> None:
    from pipeline.review.stage import render_review  # imported when it runs, like the WeChat channel

    render_review(ctx)


def check_wechat_limits(ctx: ChannelContext) -> None:
    """The articles' limits, checked before the costly channels run (a month with very many events)."""
    from pipeline.channels.wechat.channel import check_limits

    check_limits(ctx)


def _wechat(ctx: ChannelContext) -> None:
    from pipeline.channels.wechat.channel import render_channel  # imported when it runs: a no-op batch is quicker

    render_channel(ctx)
