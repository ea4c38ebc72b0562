"""Where the channels' files sit inside a month's batch folder (output/<YYYY-MM>/): shared by the channel that
writes them, the review that reads them and the publish steps that send them, so that none imports another.
Also the one file a batch writes beside its month: the year planner."""

WECHAT_FOLDER = "wechat"  # the articles: <slug>.html, <slug>.preview.html, images/, drafts.json
WECHAT_DRAFTS = "drafts.json"  # the draft/add request body, in WECHAT_FOLDER
POSTERS_FOLDER = "posters"  # the posters and the articles' covers, posters/index.json
REVIEW_FOLDER = "review"  # the review page and the checks' findings
PLANNER_FOLDER = "plan"  # output/plan/<year>.html: the year planner, written by every batch of that year


def planner_file(year: int) -> str:
    """The year planner's path inside output/."""
    return f"{PLANNER_FOLDER}/{year}.html"
