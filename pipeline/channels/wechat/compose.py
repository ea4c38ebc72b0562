"""The month's articles -> article HTML (before the WeChat-safe pass), from the Jinja templates in templates/wechat/."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import segno
from markupsafe import Markup

from pipeline import urls
from pipeline.articles import Article, cover_files
from pipeline.channels import ChannelContext
from pipeline.channels.wechat import dates, dom, limits
from pipeline.channels.wechat.weekends import WeekendSlot, plan_guide
from pipeline.content import citations
from pipeline.content.model import EVENT_CATEGORIES, Event, Image, Route
from pipeline.content.problems import UserError
from pipeline.markdown import render_markdown
from pipeline.plan import MonthPlan
from pipeline.templates import make_environment, template_dirs

TEMPLATE_FOLDER = "wechat"
TEMPLATES = {"guide": "guide.html.j2", "events": "events.html.j2", "route": "route.html.j2"}
TENTATIVE = "日期待定（以官方发布为准）"
MADE_PREFIX = "xnwl-"  # images/ names of the images made here (cover copy, QR code), apart from content images
QR_CHANNEL = "mp"  # ?from=mp on the card's QR code: a visit from the 公众号 article
QR_SCALE = 8  # px per module: a version 3–5 code is 264–360 px wide, shown at 150 px (sharp on 2–3x screens)


@dataclass(frozen=True)
class RenderedArticle:
    article: Article
    title: str
    digest: str
    html: str  # styled later by wechatsafe
    images: tuple[Image, ...]  # every content image the HTML refers to, as images/<src>
    made: tuple[tuple[str, bytes], ...] = ()  # images made for the article (cover, QR card): (src, bytes)


class ArticleProblem(Exception):
    """Something in the content that makes an article impossible to render as asked (shown to the user)."""


def environment(root: Path) -> jinja2.Environment:
    """The articles' templates: the content tree's own templates/wechat/ first (editors may override), then the
    shipped ones. A new environment for every run: nothing compiled is kept between runs."""
    if not template_dirs(root, TEMPLATE_FOLDER):
        raise UserError(f"找不到公众号文章模板：应在 templates/{TEMPLATE_FOLDER}/ 下（随程序提供，可在内容目录中覆盖）。")
    return make_environment(
        root, TEMPLATE_FOLDER, autoescape=True, keep_trailing_newline=False,
        filters={"day": dates.day_label, "span": dates.span_label, "when": dates.event_when,
                 "weekday": dates.weekday, "source_html": citations.to_html},
        globals={"TENTATIVE": TENTATIVE, "CATEGORIES": EVENT_CATEGORIES})


class _Renderer:
    def __init__(self, ctx: ChannelContext, env: jinja2.Environment) -> None:
        self.ctx = ctx
        self.config = ctx.config
        self.content = ctx.content
        self.plan = ctx.plan
        self.env = env
        self.images: dict[str, Image] = {}
        self.made: dict[str, bytes] = {}

    # helpers exposed to the templates -------------------------------------------------------------
    def county(self, county_id: str) -> str:
        return self.content.counties[county_id].name

    def counties(self, ids: tuple[str, ...]) -> str:
        return "、".join(self.county(c) for c in ids)

    def theme(self, theme_id: str) -> str:
        return self.content.themes[theme_id].name

    def span(self, first: date, last: date) -> str:
        return dates.span_label(first, last, self.plan.month.year)

    def route_titles(self, route_ids: tuple[str, ...]) -> str:
        return "、".join(f"《{self.content.routes[r].title}》" for r in route_ids)

    def image(self, image: Image) -> Markup:
        self.images[image.src] = image
        return Markup('<img src="{}" alt="{}" data-credit="{}">').format(f"images/{image.src}", image.alt, image.credit)

    def markdown(self, text: str, images: tuple[Image, ...], where: str) -> Markup:
        """Markdown body -> HTML with its images pointed at images/; an image in it must be one of the item's
        registered images (alt + credit)."""
        tree = dom.parse(render_markdown(text))
        known = {i.src: i for i in images}
        for node in tree.iter():
            if node.tag != "img":
                continue
            src = node.attrs.get("src", "")
            image = known.get(src)
            if image is None:
                raise ArticleProblem(f"{where} 正文中的图片“{src}”没有登记在该条目的 images 中"
                                     "（需要 src、alt 与 credit），请先登记")
            self.images[image.src] = image
            node.attrs = {"src": f"images/{image.src}", "alt": node.attrs.get("alt") or image.alt,
                          "data-credit": image.credit}
        return Markup(dom.serialize(tree))

    def cover(self, article: Article, title: str) -> Markup:
        """The article's 2.35:1 cover (made by the posters channel, which runs first) at the top of the body: an
        image the push uploads with media/uploadimg like every body image. When the posters channel failed there
        is none: the batch fails with the posters' problems, and the article's own are still listed with them."""
        path = self.ctx.out / cover_files(article)["900x383"]
        if not path.is_file():
            return Markup("")
        src = f"{MADE_PREFIX}cover-{article.slug}.jpg"
        self.made[src] = path.read_bytes()
        return Markup('<img src="{}" alt="{}" data-caption="">').format(f"images/{src}", f"封面：{title}")

    def qr(self, article: Article) -> Markup:
        """A QR code of the article's page on the site (?from=mp), for the closing card: WeChat readers long-press
        an image to open the code in it, while links to other sites do not survive in the body."""
        url = urls.tagged_url(self.page_url(article), QR_CHANNEL)
        buffer = io.BytesIO()
        segno.make_qr(url, error="m").save(buffer, kind="png", scale=QR_SCALE, border=4, dark="#000000",
                                           light="#ffffff")
        src = f"{MADE_PREFIX}qr-{article.slug}.png"
        self.made[src] = buffer.getvalue()
        return Markup('<img class="qr" src="{}" alt="{}" data-caption="">').format(f"images/{src}", "本页网址的二维码")

    def route_events(self, route: Route) -> list[Event]:
        return [e for e in self.plan.events if route.id in e.routes]

    def page_url(self, article: Article) -> str:
        return self.config.url(article.page)

    # the articles ------------------------------------------------------------------------------
    def render(self, article: Article) -> RenderedArticle:
        self.images = {}
        self.made = {}
        make = {"guide": self.guide, "events": self.events, "route": self.route}[article.kind]
        title, digest, values = make(article)
        template = self.env.get_template(TEMPLATES[article.kind])
        html = template.render(
            title=title, article=article, plan=self.plan, month=self.plan.month, config=self.config,
            page_url=self.page_url(article), h=self, **values)
        images = tuple(self.images[k] for k in sorted(self.images))
        return RenderedArticle(article, title, digest, html, images, tuple(sorted(self.made.items())))

    def guide(self, article: Article) -> tuple[str, str, dict[str, Any]]:
        plan = self.plan
        layout = plan_guide(plan, self.content)
        for event in layout.skipped_events:
            self.ctx.warnings.append(f"{plan.guide.source} 推荐的活动 {event.id}（{event.title}）不在{plan.month.label}举行，"
                                     "公众号周末指南中已略过。")
        title = f"{plan.month.month}月周末好去处｜{plan.guide.title}"
        routes = sum(len(s.routes) for s in layout.slots)
        events = len(plan.events)  # the guide shows every one of them (plan_guide), as the calendar and posters do
        assert sorted(e.id for e in layout.events) == sorted(e.id for e in plan.events)
        holidays = [p.holiday or "连休" for p in plan.rest_periods]
        extra = f"，含{'、'.join(holidays)}假期" if holidays else ""
        digest = (f"{plan.month.label}咸宁周末好去处：{len(plan.weekends)}个周末{extra}，"
                  f"精选{routes}条线路" + (f"、{events}个活动" if events else "") + "，按周末排好了。")
        return title, digest, {"layout": layout, "slot_notes": self.slot_notes,
                               "guide_body": self.markdown(plan.guide.body, (), plan.guide.source),
                               "events_title": events_title(plan)}

    def slot_notes(self, slot: WeekendSlot) -> list[str]:
        year = self.plan.month.year
        notes = []
        period = slot.period
        for info in slot.weekend.days:
            if info.makeup_workday:
                notes.append(f"{dates.day_label(info.day, year)}调休上班")
            elif info.holiday and not (period and period.holiday == info.holiday):
                notes.append(f"{dates.day_label(info.day, year)}{info.holiday}")
        if period is not None:
            kind = "长假" if period.length >= 5 else "小长假"
            name = f"{period.holiday}{kind}" if period.holiday else f"连休{kind}"
            notes.append(f"{name}：{dates.span_label(period.first, period.last, year)}，连休{period.length}天")
        if not slot.rest_days:
            notes.append("本周末两天都调休上班，推荐放在其他周末")
        return notes

    def events(self, article: Article) -> tuple[str, str, dict[str, Any]]:
        plan = self.plan
        title = events_title(plan)
        groups: dict[Any, list[Event]] = {}
        for event in plan.events:
            groups.setdefault(event.start_date, []).append(event)
        names = [e.title.split("：")[0] for e in plan.events]
        if names:
            head = f"{plan.month.label}咸宁共有{len(names)}个节庆活动："
            shown: list[str] = []
            for name in names:
                if shown and len(head + "、".join([*shown, name]) + "等，按日期排好了。") > limits.DIGEST_MAX:
                    break
                shown.append(name)
            digest = head + "、".join(shown) + ("等" if len(shown) < len(names) else "") + "，按日期排好了。"
        else:
            digest = f"{plan.month.label}咸宁暂无已收录的节庆活动，可关注后续发布。"
        return title, digest, {"groups": sorted(groups.items())}

    def route(self, article: Article) -> tuple[str, str, dict[str, Any]]:
        route = article.route
        assert route is not None
        months = "、".join(f"{m}月" for m in route.best_months)
        body = self.markdown(route.body, route.images, route.source)
        return route.title, route.summary, {
            "route": route, "months": months, "body": body, "events": self.route_events(route)}


def events_title(plan: MonthPlan) -> str:
    return f"{plan.month.label}咸宁节庆活动日历"


def render_articles(ctx: ChannelContext, env: jinja2.Environment, articles: tuple[Article, ...]) -> list[RenderedArticle]:
    renderer = _Renderer(ctx, env)
    try:
        return [renderer.render(a) for a in articles]
    except jinja2.TemplateSyntaxError as exc:
        raise UserError(f"公众号模板 {exc.filename or exc.name} 第 {exc.lineno} 行语法错误：{exc.message}。") from None
    except jinja2.TemplateError as exc:
        raise UserError(f"公众号模板出错（templates/{TEMPLATE_FOLDER}/）：{exc}。") from None
