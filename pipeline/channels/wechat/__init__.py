"""公众号文章: the month's WeChat articles (render -> WeChat-safe HTML -> files) and the draft-box push."""
