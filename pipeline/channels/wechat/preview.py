"""<slug>.preview.html: the article in a phone-width frame, with a 「复制到公众号」 button (rich HTML to the clipboard)."""

from __future__ import annotations

from jinja2 import Environment
from markupsafe import Markup

from pipeline.channels.wechat import limits
from pipeline.channels.wechat.compose import RenderedArticle
from pipeline.config import Config

PREVIEW_TEMPLATE = "preview.html.j2"
CONTENT_WIDTH = 677  # px: the article column of the 公众号 editor and of WeChat on a large phone


def preview_page(env: Environment, config: Config, item: RenderedArticle, html: str, cover: str) -> str:
    """`env`: the articles' environment (compose.environment), templates/wechat/preview.html.j2 in it."""
    return env.get_template(PREVIEW_TEMPLATE).render(
        title=item.title, author=config.wechat_author, digest=item.digest, fragment=Markup(html), cover=cover,
        source_url=config.url(item.article.page), width=CONTENT_WIDTH, chars=len(html),
        size_kb=round(len(html.encode("utf-8")) / 1024, 1), limits=limits, config=config)
