"""The 公众号文章 channel: render the month's articles, make them WeChat-safe, check every limit, write the files.

Writes into <batch>/wechat/: <slug>.html (paste-ready fragment), <slug>.preview.html (phone-width preview with a
copy button), images/ (the body images the fragments refer to) and drafts.json (the draft/add request body).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline import output
from pipeline.articles import Article, cover_files, month_articles
from pipeline.channels import ChannelContext
from pipeline.channels.memo import Memo, text_key
from pipeline.channels.wechat import DRAFTS, FOLDER, limits, theme
from pipeline.channels.wechat.preview import preview_page
from pipeline.channels.wechat.render import ArticleProblem, RenderedArticle, render_articles
from pipeline.content.problems import UserError

# Besides the API's fields each article in drafts.json has two of ours, which `wechat push` does not send:
# "slug" (the state file's key) and "thumb_image" (the cover file, uploaded to become "thumb_media_id").


def cover_for(article: Article, index: int) -> str:
    """The first article of a multi-article draft shows a 2.35:1 cover, the others a square thumbnail."""
    covers = cover_files(article)
    return covers["900x383"] if index == 0 else covers["500x500"]


def render_channel(ctx: ChannelContext) -> None:
    memo = Memo(ctx.config.root, "wechat")
    checked = _checked_articles(ctx, memo)
    memo.save()
    folder = ctx.out / FOLDER
    entries: list[dict[str, Any]] = []
    for index, (item, safe_html) in enumerate(checked):
        _write_article(folder, item, safe_html, ctx, index)
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
    output.write_bytes(folder / DRAFTS, output.json_bytes({"articles": entries}))


def check_limits(ctx: ChannelContext) -> None:
    """The articles' WeChat limits checked in memory, before the posters exist (the covers are left out of the
    bodies here): a month that cannot be published fails in seconds. Writes nothing."""
    _checked_articles(ctx, Memo(ctx.config.root, "wechat"))


def _checked_articles(ctx: ChannelContext, memo: Memo) -> list[tuple[RenderedArticle, str]]:
    """Each article rendered with its WeChat-safe HTML; every limit broken by any of them raised at once."""
    try:
        rendered = render_articles(ctx, month_articles(ctx.plan), memo)
    except ArticleProblem as exc:
        raise UserError(f"公众号文章无法生成：{exc}。") from None
    styles = theme.stylesheet(ctx.config)
    checked: list[tuple[RenderedArticle, str]] = []
    failures: list[str] = []
    for item in rendered:
        safe_html, safe_problems = memo.get("safe", text_key(json.dumps(
            [item.html, list(styles.items()), ctx.config.text_color], ensure_ascii=False)),
            lambda: _safe(item.html, styles, ctx.config.text_color))
        problems = limits.article_limit_problems(item.title, ctx.config.wechat_author, item.digest, safe_html,
                                                 ctx.config.url(item.article.page))
        problems += safe_problems
        if problems:
            failures += [f"公众号文章 {item.article.slug}（{item.title}）：{p}" for p in problems]
        checked.append((item, safe_html))
    if failures:
        raise UserError("\n".join(failures) + f"\n{len(failures)} 处超出公众号限制或无法安全粘贴；"
                        "请修改对应内容（不会自动截断），output/ 未改动。")
    return checked


def _safe(html: str, styles: dict[str, str], text_color: str) -> tuple[str, list[str]]:
    """The WeChat-safe HTML of an article and what in it the editor would mangle: a pure function of the
    rendered HTML, the style sheet and the text colour, remembered by them between batches."""
    from pipeline.channels.wechat.wechatsafe import html_problems, make_safe  # only when not remembered

    safe = make_safe(html, styles).html
    return safe, html_problems(safe, text_color)


def _write_article(folder: Path, item: RenderedArticle, html: str, ctx: ChannelContext, index: int) -> None:
    output.write_bytes(folder / f"{item.article.slug}.html", html.encode("utf-8"))
    page = preview_page(ctx.config, item, html, cover="../" + cover_for(item.article, index))
    output.write_bytes(folder / f"{item.article.slug}.preview.html", page.encode("utf-8"))
    for image in item.images:
        output.write_bytes(folder / "images" / image.src, image.path.read_bytes())
    for src, data in item.made:  # the cover at the top and the card's QR code: uploaded by the push like the others
        output.write_bytes(folder / "images" / src, data)
