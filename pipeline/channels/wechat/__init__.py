"""公众号文章: the month's WeChat articles (render -> WeChat-safe HTML -> files) and the draft-box push."""

FOLDER = "wechat"  # inside output/<YYYY-MM>/
DRAFTS = "drafts.json"  # the draft/add request body, in FOLDER
