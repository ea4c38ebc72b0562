"""Posters: Jinja layout templates -> layer lists -> Pillow, with Chinese line breaking and bundled fonts.

The entry point is render(ctx): every poster and cover of the month into ctx.out/posters/ (see channel.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.channels import ChannelContext


def render(ctx: ChannelContext) -> None:
    from pipeline.channels.posters.channel import render as render_posters  # Pillow and numpy load only here

    render_posters(ctx)
