"""公众号文章: the month's WeChat articles (render -> WeChat-safe HTML -> files in <batch>/wechat/).

Entry points: render(ctx) writes ctx.out/wechat/; check_limits(ctx) checks every article's WeChat limits in
memory and writes nothing. The draft-box push is in pipeline/publish/."""

from pipeline.channels.wechat.channel import check_limits, render

__all__ = ["check_limits", "render"]
