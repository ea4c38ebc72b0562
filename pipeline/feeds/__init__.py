"""Pulling candidate events from RSS/Atom feeds into content/inbox/ for editors.

fetch.py (HTTP with timeout and size cap) -> parse.py (feedparser, encodings, dates) ->
clean.py (nh3, then safe HTML to Markdown text) -> state.py (ETag, dedupe keys) -> pull.py (per feed report).
"""
