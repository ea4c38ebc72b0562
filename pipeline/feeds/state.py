"""state/feeds.json: per feed the validators for a conditional GET, and the keys of every entry seen.

An entry is known when any of its keys was seen before: (feed, entry id), then its link, then a hash
of title + date + text. Keys are stored hashed, each with the candidate id it produced.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def normalized_link(link: str) -> str:
    parts = urlsplit(link.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def entry_keys(feed_url: str, entry_id: str | None, link: str | None, content_hash: str) -> list[str]:
    """Most stable first: the first key also names the candidate."""
    keys = []
    if entry_id:
        keys.append(_digest(f"id\n{feed_url}\n{entry_id}"))
    if link:
        keys.append(_digest(f"link\n{normalized_link(link)}"))
    keys.append(_digest(f"hash\n{content_hash}"))
    return keys


def content_hash(title: str, published: str, text: str) -> str:
    return hashlib.sha256(f"{title}\n{published}\n{text}".encode("utf-8")).hexdigest()


@dataclass
class FeedState:
    path: Path
    feeds: dict[str, dict[str, str]] = field(default_factory=dict)
    seen: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # set when the stored file was unreadable and was set aside

    @classmethod
    def load(cls, path: Path) -> FeedState:
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as exc:
            broken = path.with_name(path.name + ".broken")
            os.replace(path, broken)
            return cls(path, problem=f"{path.name} 无法读取（{exc.__class__.__name__}），已改名为 {broken.name} 并重新开始记录")
        feeds = data.get("feeds") if isinstance(data, dict) else None
        seen = data.get("seen") if isinstance(data, dict) else None
        return cls(path, feeds if isinstance(feeds, dict) else {}, seen if isinstance(seen, dict) else {})

    def known(self, keys: list[str]) -> str | None:
        """The candidate id an earlier pull gave this entry, if any key matches."""
        return next((self.seen[k] for k in keys if k in self.seen), None)

    def remember(self, keys: list[str], candidate_id: str) -> None:
        for key in keys:
            self.seen.setdefault(key, candidate_id)

    def validators(self, url: str) -> tuple[str | None, str | None]:
        info = self.feeds.get(url, {})
        return info.get("etag"), info.get("last_modified")

    def record(self, url: str, **values: str | None) -> None:
        info = self.feeds.setdefault(url, {})
        for key, value in values.items():
            if value is None:
                info.pop(key, None)
            else:
                info[key] = value

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"feeds": dict(sorted(self.feeds.items())), "seen": dict(sorted(self.seen.items()))}
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)
