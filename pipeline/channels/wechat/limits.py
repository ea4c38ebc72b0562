"""The draft API's limits (developers.weixin.qq.com, 草稿箱 draft/add), checked before anything is sent."""

from __future__ import annotations

TITLE_MAX = 32  # characters
AUTHOR_MAX = 16
DIGEST_MAX = 128
CONTENT_CHARS_BELOW = 20_000  # content must be shorter than this
CONTENT_BYTES_BELOW = 1024 * 1024  # "小于 1M"
SOURCE_URL_BYTES_MAX = 1024
BODY_IMAGE_BYTES_BELOW = 1_000_000  # media/uploadimg: its "1MB" is 10^6 bytes (1,009,725 was refused, 40009)
COVER_BYTES_MAX = 10 * 1024 * 1024  # material/add_material?type=image


def article_limit_problems(title: str, author: str, digest: str, content: str, source_url: str) -> list[str]:
    """One line per limit the article breaks (Chinese, for the user); empty when it can be sent."""
    problems = []
    if not title.strip():
        problems.append("标题为空")
    if len(title) > TITLE_MAX:
        problems.append(f"标题 {len(title)} 个字符，超过公众号上限 {TITLE_MAX} 个字符")
    if len(author) > AUTHOR_MAX:
        problems.append(f"作者 {len(author)} 个字符，超过公众号上限 {AUTHOR_MAX} 个字符")
    if len(digest) > DIGEST_MAX:
        problems.append(f"摘要 {len(digest)} 个字符，超过公众号上限 {DIGEST_MAX} 个字符")
    if len(content) >= CONTENT_CHARS_BELOW:
        problems.append(f"正文 HTML {len(content)} 个字符，公众号要求少于 {CONTENT_CHARS_BELOW} 个字符")
    size = len(content.encode("utf-8"))
    if size >= CONTENT_BYTES_BELOW:
        problems.append(f"正文 {size} 字节，公众号要求小于 1 MB（{CONTENT_BYTES_BELOW} 字节）")
    if len(source_url.encode("utf-8")) > SOURCE_URL_BYTES_MAX:
        problems.append(f"阅读原文链接超过 {SOURCE_URL_BYTES_MAX} 字节")
    return problems
