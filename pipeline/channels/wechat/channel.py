"""The 公众号文章 channel: render the month's articles, make them WeChat-safe, check every limit, write the files.

Writes into <batch>/wechat/: <slug>.html (paste-ready fragment), <slug>.preview.html (phone-width preview with a
copy button), images/ (the body images the fragments refer to) and drafts.json (the draft/add request body).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment

from pipeline import output
from pipeline.articles import Article, cover_files, month_articles
from pipeline.channels import ChannelContext
from pipeline.channels.wechat import limits, theme
from pipeline.channels.wechat.preview import preview_page
from pipeline.channels.wechat.compose import ArticleProblem, RenderedArticle, environment, render_articles
from pipeline.channels.wechat.wechatsafe import html_problems, make_safe
from pipeline.content.problems import UserError
from pipeline.outputs_layout import WECHAT_DRAFTS, WECHAT_FOLDER

# Besides the API's fields each article in drafts.json has two of ours, which `wechat push` does not send:
# "slug" (the state file's key) and "thumb_image" (the cover file, uploaded to become "thumb_media_id").


def cover_for(article: Article, index: int) -> str:
    """The first article of a multi-article draft shows a 2.35:1 cover, the others a square thumbnail."""
    covers = cover_files(article)
    return covers["900x383"] if index == 0 else covers["500x500"]


def render(ctx: ChannelContext) -> None:
    """Write the month's articles into ctx.out/wechat/ (the covers are read from ctx.out/posters/)."""
    env = environment(ctx.config.root)
    checked = _checked_articles(ctx, env)
    folder = ctx.out / WECHAT_FOLDER
    entries: list[dict[str, Any]] = []
    for index, (item, safe_html) in enumerate(checked):
        _write_article(folder, item, safe_html, ctx, env, index)
        entries.append({
            "slug": item.article.slug,
            "title": item.title,
            "author": ctx.config.wechat_author,
            "digest": item.digest,
            "content": safe_html,
            "content_source_url": ctx.config.url(item.article.page),
            "thumb_image": cover_for(item.article, index),
            "need_open_comment": 1 if ctx.config.need_open_comment else 0,
            "only_fans_can_comment": 0,
        })
    output.write_bytes(folder / WECHAT_DRAFTS, output.json_bytes({"articles": entries}))


def check_limits(ctx: ChannelContext) -> None:
    """The articles' WeChat limits checked in memory, before the posters exist (the covers are left out of the
    bodies here): a month that cannot be published fails in seconds. Writes nothing."""
    _checked_articles(ctx, environment(ctx.config.root))


def _checked_articles(ctx: ChannelContext, env: Environment) -> list[tuple[RenderedArticle, str]]:
    """Each article rendered with its WeChat-safe HTML; every limit broken by any of them raised at once."""
    try:
        rendered = render_articles(ctx, env, month_articles(ctx.plan))
    except ArticleProblem as exc:
        raise UserError(f"公众号文章无法生成：{exc}。") from None
    styles = theme.stylesheet(ctx.config)
    checked: list[tuple[RenderedArticle, str]] = []
    failures: list[str] = []
    for item in rendered:
        safe_html = make_safe(item.html, styles).html
        problems = limits.article_limit_problems(item.title, ctx.config.wechat_author, item.digest, safe_html,
                                                 ctx.config.url(item.article.page))
        problems += html_problems(safe_html, ctx.config.text_color)
        if problems:
            failures += [f"公众号文章 {item.article.slug}（{item.title}）：{p}" for p in problems]
        checked.append((item, safe_html))
    if failures:
        raise UserError("\n".join(failures) + f"\n{len(failures)} 处超出公众号限制或无法安全粘贴；"
                        "请修改对应内容（不会自动截断），output/ 未改动。")
    return checked


def _write_article(folder: Path, item: RenderedArticle, html: str, ctx: ChannelContext, env: Environment,
                   index: int) -> None:
    output.write_bytes(folder / f"{item.article.slug}.html", html.encode("utf-8"))
    page = preview_page(env, ctx.config, item, html, cover="../" + cover_for(item.article, index))
    output.write_bytes(folder / f"{item.article.slug}.preview.html", page.encode("utf-8"))
    for image in item.images:
        output.write_bytes(folder / "images" / image.src, image.path.read_bytes())
    for src, data in item.made:  # the cover at the top and the card's QR code: uploaded by the push like the others
        output.write_bytes(folder / "images" / src, data)
