"""`xnwl wechat push` end to end against a local fake of the 公众号 API (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import io
import json
import shutil
import stat
from pathlib import Path

import pytest
from PIL import Image

from conftest import xnwl
from publishing import built_publishable, set_base_url
from pipeline.publish.wechat_api import ApiError, Credentials, Redactor, TokenCache, WeChatClient
from wechat_fake import IMAGE_HOST, FakeServer, FakeWeChat

APPID = "wxappid4ff00aa11bb22cc"
SECRET = "secret9f8e7d6c5b4a39281706f5e4d3c2b1a0"
MONTH = "2027-04"


def make_covers(batch: Path) -> None:
    """The batch's posters channel made every cover drafts.json points to (real JPEGs)."""
    drafts = json.loads((batch / "wechat/drafts.json").read_text(encoding="utf-8"))
    for article in drafts["articles"]:
        assert (batch / article["thumb_image"]).read_bytes()[:3] == b"\xff\xd8\xff", article["thumb_image"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture tree with its 2027-04 batch and covers, built once for the module."""
    root = built_publishable(tmp_path_factory, MONTH)
    make_covers(root / "output" / MONTH)
    approve_articles(root, MONTH)
    return root


def approve_articles(root: Path, month: str) -> None:
    """Push sends only approved articles (the publish gate): approve them all, as an editor would."""
    from pipeline.plan import Month
    from pipeline.review.decisions import APPROVED, decide
    from pipeline.review.session import open_batch

    batch = open_batch(root, Month.parse(month))
    for item in batch.items:
        if item.kind == "article":
            decide(root, Month.parse(month), item, APPROVED, "测试编辑")


@pytest.fixture
def month_tree(built: Path, tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(built, root)
    return root


@pytest.fixture
def fake():
    with FakeServer(FakeWeChat(APPID, SECRET)) as server:
        yield server


def push(root: Path, server: FakeServer, **env: str):
    return xnwl("wechat", "push", "--month", MONTH, root=root,
                env={"WECHAT_APPID": APPID, "WECHAT_APPSECRET": SECRET, "WECHAT_API_BASE": server.url, **env})


def all_text(root: Path) -> str:
    """Every file a push may write (state, output), to look for leaked credentials."""
    chunks = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".venv" not in path.parts:
            chunks.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)


def assert_no_secrets(root: Path, *outputs: str, tokens: set[str] = frozenset()) -> None:
    for text in outputs:
        assert APPID not in text and SECRET not in text
        for token in tokens:
            assert token not in text
    files = all_text(root)
    assert APPID not in files and SECRET not in files


def test_first_push_creates_second_updates_without_duplicates(month_tree: Path, fake: FakeServer) -> None:
    first = push(month_tree, fake)
    assert first.code == 0, first.text
    wechat = fake.fake
    assert len(wechat.drafts) == 1
    (media_id, articles), = wechat.drafts.items()
    drafts = json.loads((month_tree / "output" / MONTH / "wechat/drafts.json").read_text(encoding="utf-8"))
    assert [a["title"] for a in articles] == [a["title"] for a in drafts["articles"]]
    assert len(articles) >= 3
    # body images went through uploadimg and their URLs replaced the local paths
    assert wechat.count("media/uploadimg") >= 1
    assert any(IMAGE_HOST in a["content"] for a in articles)
    assert not any('src="images/' in a["content"] for a in articles)
    assert all(a["thumb_media_id"] in wechat.materials for a in articles)
    assert wechat.problems == []
    assert "新建" in first.out

    state = month_tree / "state" / "wechat"
    token_file = state / "token.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    saved = json.loads((state / "state.json").read_text(encoding="utf-8"))
    (account,) = saved.values()
    assert {e["media_id"] for e in account["months"][MONTH].values()} == {media_id}
    assert sorted(e["index"] for e in account["months"][MONTH].values()) == list(range(len(articles)))

    # edit an article, rebuild, push again: same draft updated in place, nothing uploaded twice
    guide = month_tree / "content/weekend/04.md"
    guide.write_text(guide.read_text(encoding="utf-8").replace("四月的咸宁，山花烂漫。", "四月的咸宁，满山杜鹃。"),
                     encoding="utf-8")
    assert xnwl("batch", "--month", MONTH, root=month_tree).code == 0
    make_covers(month_tree / "output" / MONTH)
    approve_articles(month_tree, MONTH)  # the edited guide needs a new approval
    uploads = wechat.count("media/uploadimg") + wechat.count("material/add_material")
    second = push(month_tree, fake)
    assert second.code == 0, second.text
    assert len(wechat.drafts) == 1 and list(wechat.drafts) == [media_id]
    assert wechat.count("draft/add") == 1
    assert wechat.count("draft/update") == len(articles)
    assert "满山杜鹃" in wechat.drafts[media_id][0]["content"]
    assert wechat.count("media/uploadimg") + wechat.count("material/add_material") == uploads
    assert "更新" in second.out
    tokens = {c.token for c in wechat.calls if c.token}
    assert_no_secrets(month_tree, first.out, first.err, second.out, second.err, tokens=tokens)


def test_token_expiring_mid_run_is_refreshed(month_tree: Path, fake: FakeServer) -> None:
    wechat = fake.fake
    wechat.expire_after = 2  # the token dies after two successful calls, in the middle of the uploads
    run = push(month_tree, fake)
    assert run.code == 0, run.text
    assert wechat.count("media/uploadimg", 42001) + wechat.count("material/add_material", 42001) == 1
    assert wechat.count("stable_token") == 2
    assert len(wechat.drafts) == 1 and wechat.problems == []
    assert_no_secrets(month_tree, run.out, run.err, tokens={c.token for c in wechat.calls if c.token})


def test_cached_token_is_reused_across_runs(month_tree: Path, fake: FakeServer) -> None:
    assert push(month_tree, fake).code == 0
    assert push(month_tree, fake).code == 0
    assert fake.fake.count("stable_token") == 1


def test_quota_reached_stops_cleanly_and_resumes_without_duplicates(month_tree: Path, fake: FakeServer) -> None:
    wechat = fake.fake
    wechat.fail_next("draft/add", 45009)
    run = push(month_tree, fake)
    assert run.code == 1
    assert "45009" in run.err and "明天" in run.err
    assert "Traceback" not in run.text
    assert wechat.drafts == {}
    uploads = wechat.count("media/uploadimg") + wechat.count("material/add_material")
    again = push(month_tree, fake)
    assert again.code == 0, again.text
    assert len(wechat.drafts) == 1
    # images and covers uploaded before the stop were remembered, not uploaded again
    assert wechat.count("media/uploadimg") + wechat.count("material/add_material") == uploads
    assert_no_secrets(month_tree, run.out, run.err, again.out, again.err)


@pytest.mark.parametrize("endpoint", ["stable_token", "draft/add"])
def test_ip_whitelist_error_says_what_to_do(month_tree: Path, fake: FakeServer, endpoint: str) -> None:
    fake.fake.fail_next(endpoint, 40164)
    run = push(month_tree, fake)
    assert run.code == 1
    assert "40164" in run.err and "IP白名单" in run.err and "Traceback" not in run.text
    assert fake.fake.drafts == {}


def test_busy_is_retried(month_tree: Path, fake: FakeServer) -> None:
    fake.fake.fail_next("draft/add", -1)
    run = push(month_tree, fake)
    assert run.code == 0, run.text
    assert fake.fake.count("draft/add", -1) == 1 and len(fake.fake.drafts) == 1


def test_deleted_draft_is_created_again(month_tree: Path, fake: FakeServer) -> None:
    assert push(month_tree, fake).code == 0
    fake.fake.drafts.clear()  # an editor deleted the draft in the draft box
    run = push(month_tree, fake)
    assert run.code == 0, run.text
    assert fake.fake.count("draft/update", 40007) == 1
    assert len(fake.fake.drafts) == 1
    (new_id,) = fake.fake.drafts
    saved = json.loads((month_tree / "state/wechat/state.json").read_text(encoding="utf-8"))
    (account,) = saved.values()
    assert {e["media_id"] for e in account["months"][MONTH].values()} == {new_id}


def test_wrong_secret_and_missing_credentials(month_tree: Path, fake: FakeServer) -> None:
    run = push(month_tree, fake, WECHAT_APPSECRET="not-the-secret-0000")
    assert run.code == 1 and "WECHAT_APPSECRET" in run.err and "40125" in run.err
    assert "not-the-secret-0000" not in run.text
    run = xnwl("wechat", "push", "--month", MONTH, root=month_tree,
               env={"WECHAT_APPID": "", "WECHAT_APPSECRET": "", "WECHAT_API_BASE": fake.url})
    assert run.code == 1 and "WECHAT_APPID" in run.err and "Traceback" not in run.text
    assert len(fake.fake.calls) == 1  # only the first run's refused stable_token


def test_push_refuses_before_any_call_when_covers_are_missing(tree: Path, fake: FakeServer) -> None:
    set_base_url(tree)
    assert xnwl("batch", "--month", MONTH, root=tree).code == 0
    for cover in (tree / "output" / MONTH / "posters").glob("*-cover-*"):
        cover.unlink()  # as if the posters channel had not made them
    approve_articles(tree, MONTH)
    run = push(tree, fake)
    assert run.code == 1 and "封面图" in run.err and "没有调用微信接口" in run.err
    assert fake.fake.calls == []
    run = xnwl("wechat", "push", "--month", "2027-05", root=tree,
               env={"WECHAT_APPID": APPID, "WECHAT_APPSECRET": SECRET, "WECHAT_API_BASE": fake.url})
    assert run.code == 1 and "xnwl batch --month 2027-05" in run.err


def test_large_body_image_is_reencoded_under_1mb(tree: Path, fake: FakeServer) -> None:
    set_base_url(tree)
    big = Image.effect_noise((1600, 1200), 90).convert("RGB")
    big.save(tree / "content/images/sample.png", "PNG")
    assert (tree / "content/images/sample.png").stat().st_size > 1024 * 1024
    assert xnwl("batch", "--month", MONTH, root=tree).code == 0
    make_covers(tree / "output" / MONTH)
    approve_articles(tree, MONTH)
    run = push(tree, fake)
    assert run.code == 0, run.text
    # besides the photo, the body images made for the articles (covers at the top, QR codes in the closing card)
    made = {p.read_bytes() for p in (tree / "output" / MONTH / "wechat/images").glob("xnwl-*")}
    assert made and made <= set(fake.fake.images.values())
    (uploaded,) = [data for data in fake.fake.images.values() if data not in made]
    assert len(uploaded) < 1_000_000 and uploaded[:3] == b"\xff\xd8\xff"
    assert "已压缩" in run.out


def _jpeg_between(low: int, high: int) -> bytes:
    """A real JPEG whose size is in [low, high): noise at a quality found by bisection, padded with a comment."""
    picture = Image.effect_noise((1000, 1000), 80).convert("RGB")
    for quality in range(95, 30, -1):
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=quality)
        pad = low - buffer.tell() - 4  # a COM segment: marker, length (itself included), payload
        if 0 <= pad <= 65533:
            data = buffer.getvalue()
            return data[:2] + b"\xff\xfe" + (pad + 2).to_bytes(2, "big") + b"\0" * pad + data[2:]
    raise AssertionError("no quality gave a small enough JPEG")


def test_image_between_a_million_bytes_and_a_mebibyte_is_reencoded(tree: Path, fake: FakeServer) -> None:
    """WeChat's "1MB" for uploadimg is 10^6 bytes: a 1,009,725-byte JPEG was refused with 40009."""
    set_base_url(tree)
    data = _jpeg_between(1_009_725, 1_009_726)
    assert len(data) == 1_009_725 and len(data) < 1024 * 1024
    route = tree / "routes/chibi-sanguo.md"
    (tree / "content/images/big.jpg").write_bytes(data)
    route.write_text(route.read_text(encoding="utf-8").replace("src: sample.png", "src: big.jpg"), encoding="utf-8")
    assert xnwl("batch", "--month", MONTH, root=tree).code == 0
    approve_articles(tree, MONTH)
    run = push(tree, fake)
    assert run.code == 0, run.text
    uploaded = list(fake.fake.images.values())
    assert uploaded and all(len(image) < 1_000_000 for image in uploaded)
    assert "已压缩" in run.out


def test_client_backs_off_on_busy_and_refreshes_a_refused_token_once(tmp_path: Path, fake: FakeServer) -> None:
    sleeps: list[float] = []
    client = WeChatClient(fake.url, Credentials(APPID, SECRET), TokenCache(tmp_path / "token.json", "k"),
                          Redactor(APPID, SECRET), sleep=sleeps.append)
    fake.fake.fail_next("draft/count", -1, -1)
    assert client.call("/cgi-bin/draft/count", {})["total_count"] == 0
    assert sleeps == [1.0, 2.0]
    fake.fake.fail_next("draft/count", -1, -1, -1, -1)
    with pytest.raises(ApiError) as busy:
        client.call("/cgi-bin/draft/count", {})
    assert busy.value.code == -1 and sleeps[2:] == [1.0, 2.0, 4.0]
    # refused once: stable_token gives the same token back, so it is force-refreshed, and the call retried
    fake.fake.fail_next("draft/count", 40001)
    assert client.call("/cgi-bin/draft/count", {})["total_count"] == 0
    assert fake.fake.count("stable_token") == 3
    fake.fake.fail_next("draft/count", 40014)
    assert client.call("/cgi-bin/draft/count", {})["total_count"] == 0
    # refused twice in a row: reported, not looped
    fake.fake.fail_next("draft/count", 42001, 42001)
    with pytest.raises(ApiError) as refused:
        client.call("/cgi-bin/draft/count", {})
    assert refused.value.code == 42001
    assert stat.S_IMODE((tmp_path / "token.json").stat().st_mode) == 0o600
    assert SECRET not in (tmp_path / "token.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("base", [
    "http://{appid}:{secret}@127.0.0.1:{port}",  # user and password in the address
    "http://127.0.0.1:{port}/?secret={secret}",  # a query
    "http://127.0.0.1:{port}/{secret}",  # the path: accepted, but printed masked
    "ftp://{secret}@127.0.0.1",  # not http(s) at all
    "{secret}",
])
def test_a_secret_in_the_api_base_is_never_printed(month_tree: Path, fake: FakeServer, base: str) -> None:
    port = fake.url.rsplit(":", 1)[1]
    value = base.format(appid=APPID, secret=SECRET, port=port)
    run = push(month_tree, fake, WECHAT_API_BASE=value)
    assert run.code == 1 and "Traceback" not in run.text
    assert_no_secrets(month_tree, run.out, run.err)
