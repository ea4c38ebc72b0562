"""`xnwl wechat push --month YYYY-MM`: the month's drafts.json -> the 公众号 draft box.

Order: check everything locally -> access token -> body images (media/uploadimg, URLs substituted) -> covers
(material/add_material?type=image) -> draft/add, or draft/update when this month was pushed before.
What was created is remembered in state/wechat/state.json (per API base and account, per month), so a second
push updates the same draft instead of adding a duplicate, and images are not uploaded twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from pipeline.channels.wechat import dom, limits
from pipeline.config import load_config
from pipeline.content.problems import UserError
from pipeline.outputs_layout import WECHAT_DRAFTS as DRAFTS, WECHAT_FOLDER as FOLDER
from pipeline.plan import Month
from pipeline.publish.imagefit import ImageTooLarge, fit_image
from pipeline.publish.wechat_api import (
    DEFAULT_BASE,
    ApiError,
    Credentials,
    Redactor,
    TokenCache,
    WeChatClient,
    write_private,
)
from pipeline.review.payload import approval_hash, body_image_srcs, payload_digest

STATE_FOLDER = Path("state") / "wechat"
TOKEN_FILE = "token.json"
STATE_FILE = "state.json"
INVALID_MEDIA = 40007
API_FIELDS = ("title", "author", "digest", "content", "content_source_url", "thumb_media_id", "need_open_comment",
              "only_fans_can_comment")


@dataclass
class LocalArticle:
    slug: str
    fields: dict[str, Any]  # only the API's fields (not slug, thumb_image); content with local image paths
    cover: Path
    images: list[Path]  # body images, in order of appearance

    def payload_digest(self, batch: Path) -> str:
        """What this push is about to send (fields, cover bytes, body image bytes), as the approval hashes it."""
        return payload_digest(self.fields, self.cover,
                              [batch / FOLDER / src for src in body_image_srcs(self.fields["content"])])


@dataclass(frozen=True)
class Approvals:
    """What the gate allows: slug -> the approval hash it stands for, and slug -> the sources digest now."""
    expected: dict[str, str]
    sources: dict[str, str]


@dataclass
class PushResult:
    media_id: str
    created: bool
    articles: int


def credentials_from_env(env: Mapping[str, str]) -> Credentials:
    appid, secret = env.get("WECHAT_APPID", "").strip(), env.get("WECHAT_APPSECRET", "").strip()
    missing = [name for name, value in (("WECHAT_APPID", appid), ("WECHAT_APPSECRET", secret)) if not value]
    if missing:
        raise UserError(f"缺少环境变量 {'、'.join(missing)}：请在运行前设置公众号的 AppID 和 AppSecret"
                        "（公众平台 → 设置与开发 → 基本配置）。凭据只从环境变量读取，不要写进 xnwl.toml。")
    return Credentials(appid, secret)


def api_base(env: Mapping[str, str], redact: Redactor | None = None) -> str:
    """WECHAT_API_BASE (default the official API). Its value is shown only without user, password, query or
    fragment, and with every credential masked: a secret must not be printed even from there."""
    base = env.get("WECHAT_API_BASE", "").strip() or DEFAULT_BASE
    parts = urlsplit(base)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UserError(f"环境变量 WECHAT_API_BASE 的值“{shown_base(base, redact)}”无效：应为 http:// 或 https:// "
                        "开头的网址。")
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise UserError(f"环境变量 WECHAT_API_BASE（{shown_base(base, redact)}）不能含用户名、密码、“?”查询参数或“#”："
                        "凭据只从 WECHAT_APPID、WECHAT_APPSECRET 读取。")
    return base.rstrip("/")


def shown_base(base: str, redact: Redactor | None = None) -> str:
    """The API base as it may be printed: scheme, host, port and path, credentials masked."""
    try:
        parts = urlsplit(base)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        text = f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else "…"
    except ValueError:
        text = "…"
    return redact(text) if redact is not None else text


# local files -------------------------------------------------------------------------------------
def read_drafts(batch: Path, month: Month) -> list[LocalArticle]:
    path = batch / FOLDER / DRAFTS
    shown = f"output/{month}/{FOLDER}/{DRAFTS}"
    if not path.is_file():
        raise UserError(f"找不到 {shown}：请先运行 xnwl batch --month {month} 生成本月的公众号文章。")
    try:
        items = json.loads(path.read_text(encoding="utf-8")).get("articles")
    except (ValueError, AttributeError):
        items = None
    if not isinstance(items, list) or not items:
        raise UserError(f"{shown} 格式不对（应含非空的 articles 列表）：请重新运行 xnwl batch --month {month}。")
    articles, problems = [], []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("slug", "title", "content")):
            problems.append(f"{shown} · articles[{index}]：缺少 slug、title 或 content")
            continue
        slug = item["slug"]
        fields = {k: item[k] for k in API_FIELDS if k in item}
        for problem in limits.article_limit_problems(item["title"], str(item.get("author", "")),
                                                     str(item.get("digest", "")), item["content"],
                                                     str(item.get("content_source_url", ""))):
            problems.append(f"公众号文章 {slug}（{item['title']}）：{problem}")
        cover_rel = str(item.get("thumb_image", ""))
        cover = batch / cover_rel
        if not cover_rel or not cover.is_file():
            problems.append(f"公众号文章 {slug}：封面图 output/{month}/{cover_rel} 不存在"
                            "（由海报渠道在批处理时生成；请确认海报已生成后再推送）")
        images = []
        for node in dom.parse(item["content"]).iter():
            if node.tag == "img":
                src = node.attrs.get("src", "")
                local = batch / FOLDER / src
                if src.startswith(("http://", "https://")) or not local.is_file():
                    problems.append(f"公众号文章 {slug}：正文图片 {src} 在 output/{month}/{FOLDER}/ 中不存在")
                elif local not in images:
                    images.append(local)
        articles.append(LocalArticle(slug, fields, cover, images))
    if problems:
        raise UserError("\n".join(problems) + "\n推送前检查未通过，没有调用微信接口。")
    return articles


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# state -------------------------------------------------------------------------------------------
class PushState:
    """{account: {"images": {sha256: url}, "covers": {sha256: media_id}, "months": {YYYY-MM: {slug: {media_id, index}}}}}"""

    def __init__(self, path: Path, account: str) -> None:
        self.path = path
        self.account = account
        try:
            self.data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(self.data, dict):
                self.data = {}
        except (OSError, ValueError):
            self.data = {}
        mine = self.data.setdefault(account, {})
        for key in ("images", "covers", "months"):
            if not isinstance(mine.get(key), dict):
                mine[key] = {}
        self.mine = mine

    def save(self) -> None:
        write_private(self.path, (json.dumps(self.data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
                      .encode("utf-8"))

    @property
    def images(self) -> dict[str, str]:
        return self.mine["images"]

    @property
    def covers(self) -> dict[str, str]:
        return self.mine["covers"]

    def month(self, month: Month) -> dict[str, dict[str, Any]]:
        entry = self.mine["months"].get(str(month))
        return entry if isinstance(entry, dict) else {}

    def set_month(self, month: Month, media_id: str, slugs: list[str]) -> None:
        self.mine["months"][str(month)] = {slug: {"media_id": media_id, "index": i} for i, slug in enumerate(slugs)}
        self.save()


# the push ----------------------------------------------------------------------------------------
def push_month(root: Path, month: Month, env: Mapping[str, str], say: Callable[[str], None],
               client: WeChatClient | None = None, approvals: Approvals | None = None) -> PushResult:
    """Push the month's drafts; `approvals` limits it to the approved articles (None: all, when forced).

    Each approved article's hash is recomputed from the payload about to be sent: an article whose fields,
    cover or images differ from what was approved is refused by name, before any call to WeChat."""
    config = load_config(root)
    batch = config.output_dir / str(month)
    credentials = credentials_from_env(env)
    redact = Redactor(credentials.appid, credentials.secret)
    base = api_base(env, redact)
    articles = read_drafts(batch, month)
    if approvals is not None:
        skipped = [a.slug for a in articles if a.slug not in approvals.expected]
        articles = [a for a in articles if a.slug in approvals.expected]
        differ = [a for a in articles if approval_hash(a.payload_digest(batch), approvals.sources.get(a.slug, ""))
                  != approvals.expected[a.slug]]
        if differ:
            names = "、".join(f"wechat/{a.slug}（{a.fields.get('title', '')}）" for a in differ)
            raise UserError(f"要发送的内容与审核通过的不一致，现为待审：{names}。没有推送任何内容。"
                            f"请在审核页查看改动并重新审核：xnwl review approve <项目> --month {month} --by 姓名。")
        if not articles:
            raise UserError(f"{month.label}没有可推送的已通过审核的文章，没有推送任何内容。")
        if skipped:
            say(f"未通过审核、不推送：{'、'.join(skipped)}")
    state_dir = root / STATE_FOLDER
    account = credentials.key(base)
    if client is None:
        client = WeChatClient(base, credentials, TokenCache(state_dir / TOKEN_FILE, account), redact)
    state = PushState(state_dir / STATE_FILE, account)
    try:
        return _push(client, state, batch, month, articles, say)
    except ApiError as exc:
        raise UserError(redact(explain(exc, month))) from None


def _push(client: WeChatClient, state: PushState, batch: Path, month: Month, articles: list[LocalArticle],
          say: Callable[[str], None]) -> PushResult:
    say(f"共 {len(articles)} 篇文章，推送到公众号草稿箱（{shown_base(client.base, client.redact)}）")
    urls = {path: _upload(client, state, BODY_IMAGE, batch, path, say) for a in articles for path in a.images}
    bodies = [_with_image_urls(a.fields, urls, batch) for a in articles]
    for fields, article in zip(bodies, articles):
        fields["thumb_media_id"] = _upload(client, state, COVER, batch, article.cover, say)

    slugs = [a.slug for a in articles]
    before = state.month(month)
    media_ids = {entry.get("media_id") for entry in before.values()}
    by_index = sorted(before, key=lambda slug: str(before[slug].get("index")).zfill(4))
    same_draft = by_index == slugs and len(media_ids) == 1 and all(
        before[s].get("index") == i for i, s in enumerate(slugs))
    if before and same_draft:
        media_id = str(media_ids.pop())
        try:
            for index, fields in enumerate(bodies):
                client.call("/cgi-bin/draft/update", {"media_id": media_id, "index": index, "articles": fields})
                say(f"已更新草稿第 {index + 1} 篇：{fields['title']}")
            return PushResult(media_id, False, len(bodies))
        except ApiError as exc:
            if exc.code != INVALID_MEDIA:
                raise
            say(f"上次推送的草稿（media_id {media_id}）已不在草稿箱中，重新新建。")
    elif before:
        old = sorted({str(m) for m in media_ids})
        say(f"本月文章的篇目或顺序与上次推送不同，新建一份草稿；上次的草稿（media_id {'、'.join(old)}）"
            "仍在草稿箱中，确认不用后请在公众平台删除。")
    media_id = _add_draft(client, state, batch, articles, bodies, say)
    state.set_month(month, media_id, slugs)
    say(f"已新建草稿（{len(bodies)} 篇），media_id {media_id}")
    return PushResult(media_id, True, len(bodies))


def _add_draft(client: WeChatClient, state: PushState, batch: Path, articles: list[LocalArticle],
               bodies: list[dict[str, Any]], say: Callable[[str], None]) -> str:
    try:
        result = client.call("/cgi-bin/draft/add", {"articles": bodies})
    except ApiError as exc:
        if exc.code != INVALID_MEDIA:
            raise
        # A cover we uploaded earlier was deleted from the material library: upload the covers again, once.
        say("封面素材已失效，重新上传封面后再试一次")
        for fields, article in zip(bodies, articles):
            state.covers.pop(_sha256(article.cover), None)
            fields["thumb_media_id"] = _upload(client, state, COVER, batch, article.cover, say)
        result = client.call("/cgi-bin/draft/add", {"articles": bodies})
    media_id = result.get("media_id")
    if not isinstance(media_id, str) or not media_id:
        raise ApiError(None, "draft/add 的应答里没有 media_id", "draft/add")
    return media_id


@dataclass(frozen=True)
class _Target:
    what: str  # for the user
    endpoint: str
    query: tuple[tuple[str, str], ...]
    below: int  # bytes
    limit: str  # the byte limit, for the user
    answer: str  # the field of the answer to keep


BODY_IMAGE = _Target("正文图片", "/cgi-bin/media/uploadimg", (), limits.BODY_IMAGE_BYTES_BELOW, "1 MB", "url")
COVER = _Target("封面", "/cgi-bin/material/add_material", (("type", "image"),), limits.COVER_BYTES_MAX, "10 MB",
                "media_id")


def _upload(client: WeChatClient, state: PushState, target: _Target, batch: Path, path: Path,
            say: Callable[[str], None]) -> str:
    """Upload once: the answer (image URL or cover media_id) is remembered by the file's content."""
    known = state.images if target is BODY_IMAGE else state.covers
    digest = _sha256(path)
    if known.get(digest):
        return known[digest]
    shown = path.relative_to(batch).as_posix()
    try:
        upload = fit_image(path, target.below, path.stem)
    except ImageTooLarge as exc:
        raise UserError(f"{target.what} {shown} 无法压缩到 {target.limit} 以下：{exc}。请换一张较小的图片。") from None
    result = client.upload(target.endpoint, upload, dict(target.query))
    value = result.get(target.answer)
    if not isinstance(value, str) or not value:
        raise ApiError(None, f"应答里没有 {target.answer}", target.endpoint.removeprefix("/cgi-bin/"))
    known[digest] = value
    state.save()
    resized = "（已压缩）" if upload.data != path.read_bytes() else ""
    say(f"已上传{target.what} {shown}{resized}")
    return value


def _with_image_urls(fields: dict[str, Any], urls: dict[Path, str], batch: Path) -> dict[str, Any]:
    tree = dom.parse(fields["content"])
    for node in tree.iter():
        if node.tag == "img":
            node.attrs["src"] = urls[batch / FOLDER / node.attrs["src"]]
    return {**fields, "content": dom.serialize(tree)}


# messages ----------------------------------------------------------------------------------------
def explain(error: ApiError, month: Month) -> str:
    """What went wrong and what to do, in Chinese, for each error the draft push can meet."""
    code, where = error.code, error.endpoint
    again = f"xnwl wechat push --month {month}"
    kept = "已上传的图片和已建的草稿都记在 state/wechat/ 里，再次推送不会重复。"
    if code is None:
        return f"无法完成 {where} 调用：{error.message}。请检查网络（或 WECHAT_API_BASE）后重新运行 {again}。{kept}"
    if code == -1:
        return f"微信服务器繁忙（-1），重试多次仍失败：请稍后重新运行 {again}。{kept}"
    if code == 45009:
        return f"接口今日调用次数已达上限（45009）：请明天再运行 {again}，或在公众平台「开发 → 接口权限」查看额度。{kept}"
    if code == 40164:
        return ("调用接口的 IP 不在公众号的 IP 白名单中（40164）：请登录公众平台 → 设置与开发 → 基本配置 → "
                f"IP白名单，加入本机的出口 IP（微信的说明：{error.message}），然后重新运行 {again}。")
    if code == 40013:
        return "AppID 无效（40013）：请检查环境变量 WECHAT_APPID 是否为本公众号的 AppID。"
    if code == 40125 or (code in (40001, 40002) and where == "stable_token"):
        return f"AppSecret 无效（{code}）：请检查环境变量 WECHAT_APPSECRET；如已在公众平台重置，请换用新的 AppSecret。"
    if code in (40001, 40014, 42001):
        return (f"access_token 刷新后仍被拒绝（{code}）：请确认 AppSecret 没有被重置，且没有其他程序用 /cgi-bin/token "
                "重复获取令牌（那会让本程序的令牌失效）。")
    if code == 48001:
        return "公众号没有草稿箱或素材接口的权限（48001）：需要已认证的公众号，或在公众平台开通相应接口权限。"
    if code == 40007:
        return f"媒体文件 ID 无效（40007，{where}）：可能已在公众平台删除。删除 state/wechat/state.json 后重新运行 {again}。"
    if code in (45002, 45003, 45004):
        part = {45002: "正文", 45003: "标题", 45004: "摘要"}[code]
        return f"{part}超过微信的长度上限（{code}）：请修改内容后重新运行 xnwl batch --month {month} 再推送。"
    if code in (40005, 40009, 40113):
        return f"图片类型或大小不被微信接受（{code}，{where}）：请换成 1 MB 以下的 JPG/PNG 后重试。"
    if code == 40033:
        return "请求中含有 \\uXXXX 形式的字符（40033）：这是程序缺陷，请报告维护人员。"
    return f"微信接口 {where} 返回错误 {code}：{error.message}。请对照公众平台“全局返回码说明”处理后重新运行 {again}。"
