"""Publishing: the gate (only approved items leave), the WeChat draft-box push and its API client, the site
deploy and the local preview server. Sits after review: imports channels, review, content and plan; nothing
below imports it."""
