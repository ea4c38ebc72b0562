"""Channels: pure renderers of a month's typed context into files.

Each channel is a package with one entry point, called by the batch (pipeline.batch) in this order:
- posters.render(ctx): output/<month>/posters/ (the covers the others use);
- wechat.render(ctx): output/<month>/wechat/;
- site.render(config, content, month, inputs, folder): the whole site into an empty folder.
A channel reads nothing but its arguments and the files earlier channels wrote into the month's folder; it
keeps nothing between runs (reuse is decided by the batch alone, see pipeline.cache).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pipeline.config import Config
from pipeline.content.model import Content
from pipeline.plan import MonthPlan


@dataclass
class ChannelContext:
    config: Config
    content: Content
    plan: MonthPlan
    out: Path  # the batch's staging folder, output/<YYYY-MM>/ once switched in
    warnings: list[str] = field(default_factory=list)
    # progress(done, total) moves the channel's bar, for a channel that renders many items
    progress: Callable[[int, int], None] = lambda done, total: None
