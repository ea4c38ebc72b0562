"""Review stage: checks, editors' decisions, the review page and the year planner."""
