"""Where the channels' files sit inside a month's batch folder (output/<YYYY-MM>/): shared by the channel that
writes them, the review that reads them and the publish steps that send them, so that none imports another."""

WECHAT_FOLDER = "wechat"  # the articles: <slug>.html, <slug>.preview.html, images/, drafts.json
WECHAT_DRAFTS = "drafts.json"  # the draft/add request body, in WECHAT_FOLDER
POSTERS_FOLDER = "posters"  # the posters and the articles' covers, posters/index.json
REVIEW_FOLDER = "review"  # the review page and the checks' findings
