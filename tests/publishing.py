"""Helpers for the tests that publish (push, deploy): a fixture tree whose base_url is not the example domain.

`xnwl check`, `wechat push` and `site deploy` refuse a base_url still on the example domain (every QR code and
阅读原文 link would lead nowhere), so trees that publish get a real-looking address before their batch.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import FIXTURE, xnwl

EXAMPLE_BASE_URL = "https://xnwl.example.com/"
PUBLISHED_BASE_URL = "https://xnwl.xianning.gov.cn/"


def set_base_url(root: Path, url: str = PUBLISHED_BASE_URL) -> None:
    config = root / "xnwl.toml"
    text = config.read_text(encoding="utf-8")
    assert EXAMPLE_BASE_URL in text or url in text
    config.write_text(text.replace(EXAMPLE_BASE_URL, url), encoding="utf-8")


def built_publishable(factory: pytest.TempPathFactory, *months: str) -> Path:
    """The fixture tree with a published base_url and these months' batches built (once per module)."""
    root = factory.mktemp("built") / "site"
    shutil.copytree(FIXTURE, root)
    set_base_url(root)
    for month in months:
        run = xnwl("batch", "--month", month, root=root)
        assert run.code == 0, run.text
    return root
