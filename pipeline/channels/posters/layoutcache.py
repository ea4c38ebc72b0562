"""Poster layouts kept between batches: a layout is a pure function of the code (with the fonts it measures
text with), the poster templates and the values given to the template, so the same inputs give the same
layers without rendering the template and breaking its lines again. Stored in state/cache/poster-layouts.pickle;
a missing or damaged file only costs time."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import jinja2

from pipeline import output
from pipeline.channels.posters import layout
from pipeline.fingerprint import Fingerprinter, code_digest, folders_digest
from pipeline.state import cache_dir

_FORMAT = 1


class Layouts:
    def __init__(self, root: Path) -> None:
        self.path = cache_dir(root) / "poster-layouts.pickle"
        self.fingerprints = Fingerprinter(code_digest(), folders_digest(layout.template_folders(root)), "layouts")
        try:
            data = pickle.loads(self.path.read_bytes())
            self.known: dict[str, bytes] = data["layouts"] if data.get("format") == _FORMAT else {}
        except Exception:  # noqa: BLE001 - any unreadable cache is simply not used
            self.known = {}
        self.current: dict[str, bytes] = {}

    def build(self, env: jinja2.Environment, template: str, values: dict[str, Any]) -> layout.PosterSpec:
        key = self.fingerprints.of(template, values)
        if key is not None and key in self.known:
            try:
                spec = pickle.loads(self.known[key])
            except Exception:  # noqa: BLE001
                spec = None
            if isinstance(spec, layout.PosterSpec):
                self.current[key] = self.known[key]
                return spec
        spec = layout.build(env, template, values)
        if key is not None:
            self.current[key] = pickle.dumps(spec, protocol=4)
        return spec

    def save(self) -> None:
        if self.current == self.known:
            return
        try:
            output.replace_file(self.path, pickle.dumps({"format": _FORMAT, "layouts": dict(sorted(self.current.items()))},
                                                        protocol=4))
        except OSError:
            pass
