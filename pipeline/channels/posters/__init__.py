"""Posters: Jinja layout templates -> layer lists -> Pillow, with Chinese line breaking and bundled fonts."""

from __future__ import annotations

from pipeline.channels import Channel, ChannelContext


def _render(ctx: ChannelContext) -> None:
    from pipeline.channels.posters.channel import render

    render(ctx)


CHANNEL = Channel("海报", _render)
