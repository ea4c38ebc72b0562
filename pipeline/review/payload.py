"""What an article's approval stands for: the bytes that leave the building, and the sources they came from.

The approval hash of an article is SHA-256 over
- every field of the draft/add payload as drafts.json holds it and `wechat push` sends it: title, author,
  digest, content, content_source_url, need_open_comment, only_fans_can_comment;
- the bytes of its cover (`thumb_image`, uploaded to become thumb_media_id) and of each body image, in order;
- the SHA-256 of each source file of what the article is about (the guide, its routes and events, their
  images): a route page on the site changes with its source, so the approval of an article that presents
  it stands for that source too.
`wechat push` recomputes the first two parts from what it is about to send (payload_digest) and the gate
compares the result with the approval: any difference and the article is 待审 again.
A pure module: no channel imported (review reads channel outputs, imports no channel).
"""

from __future__ import annotations

import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterable, Mapping

API_FIELDS = ("title", "author", "digest", "content", "content_source_url", "need_open_comment",
              "only_fans_can_comment")
FIELD_LABELS = {"title": "标题", "author": "作者", "digest": "摘要", "content": "正文", "content_source_url": "阅读原文链接",
                "need_open_comment": "留言开关", "only_fans_can_comment": "仅粉丝可留言", "cover": "封面",
                "images": "正文图片"}


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        src = dict(attrs).get("src") if tag == "img" else None
        if src and src not in self.srcs:
            self.srcs.append(src)


def body_image_srcs(content: str) -> list[str]:
    """The body's image addresses, in order of appearance, each once."""
    parser = _Images()
    parser.feed(content)
    parser.close()
    return parser.srcs


def _file_digest(path: Path | None) -> str:
    if path is None:
        return "none"
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def payload_digest(fields: Mapping[str, Any], cover: Path | None, images: Iterable[Path]) -> str:
    """The draft/add fields (those present), the cover's bytes and the body images' bytes."""
    document = {"fields": {k: fields[k] for k in API_FIELDS if k in fields}, "cover": _file_digest(cover),
                "images": [_file_digest(path) for path in images]}
    return hashlib.sha256(json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                          .encode("utf-8")).hexdigest()


def sources_digest(sources: Mapping[str, str]) -> str:
    """{path relative to the content root: sha256} of the files the article presents."""
    digest = hashlib.sha256()
    for path, sha in sorted(sources.items()):
        digest.update(f"{path}\0{sha}\n".encode("utf-8"))
    return digest.hexdigest()


def approval_hash(payload: str, sources: str) -> str:
    return hashlib.sha256(f"article\0{payload}\0{sources}".encode("ascii")).hexdigest()


def entry_payload_digest(entry: Mapping[str, Any], batch: Path, wechat_folder: str = "wechat") -> str:
    """payload_digest of a drafts.json entry, its files read from the batch folder."""
    cover_rel = entry.get("thumb_image")
    cover = batch / cover_rel if isinstance(cover_rel, str) and cover_rel else None
    content = entry.get("content")
    images = [batch / wechat_folder / src for src in body_image_srcs(content)] if isinstance(content, str) else []
    return payload_digest(entry, cover, images)
