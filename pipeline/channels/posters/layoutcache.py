"""Poster layouts kept between batches: a layout is a pure function of the code (with the fonts it measures
text with), the poster templates and the values given to the template, so the same inputs give the same
layers without rendering the template and breaking its lines again. Stored in state/cache/poster-layouts.pickle;
a missing or damaged file only costs time.

The fingerprint of those inputs (key()) also names the layout in the posters' own cache: a poster taken from
the last batch is not laid out at all. The cache file is read only when a layout is needed."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline import output
from pipeline.fingerprint import Fingerprinter, code_digest, folders_digest
from pipeline.state import cache_dir
from pipeline.templates import template_dirs

if TYPE_CHECKING:
    import jinja2

    from pipeline.channels.posters import layout

_FORMAT = 1


def template_folders(root: Path) -> list[Path]:
    """The content root's templates/posters/ first, then the repository's own."""
    return template_dirs(root, "posters")


class Layouts:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = cache_dir(root) / "poster-layouts.pickle"
        self.fingerprints = Fingerprinter(code_digest(), folders_digest(template_folders(root)), "layouts")
        self._known: dict[str, bytes] | None = None
        self._env: jinja2.Environment | None = None
        self.current: dict[str, bytes] = {}
        self.kept: list[str] = []  # keys of layouts not needed now (their posters were reused), kept in the file

    @property
    def known(self) -> dict[str, bytes]:
        if self._known is None:
            try:
                data = pickle.loads(self.path.read_bytes())
                self._known = data["layouts"] if data.get("format") == _FORMAT else {}
            except Exception:  # noqa: BLE001 - any unreadable cache is simply not used
                self._known = {}
        return self._known

    def key(self, template: str, values: dict[str, Any]) -> str | None:
        """Fingerprint of everything the layout is made from; None: not fingerprintable (lay it out every time)."""
        return self.fingerprints.of(template, values)

    def keep(self, key: str | None) -> None:
        if key is not None:
            self.kept.append(key)

    def build(self, template: str, values: dict[str, Any], key: str | None) -> layout.PosterSpec:
        from pipeline.channels.posters import layout

        if key is not None and key in self.known:
            try:
                spec = pickle.loads(self.known[key])
            except Exception:  # noqa: BLE001
                spec = None
            if isinstance(spec, layout.PosterSpec):
                self.current[key] = self.known[key]
                return spec
        if self._env is None:
            self._env = layout.environment(self.root)
        spec = layout.build(self._env, template, values)
        if key is not None:
            self.current[key] = pickle.dumps(spec, protocol=4)
        return spec

    def save(self) -> None:
        if self._known is None:
            return  # no layout was needed: the file stays as it is
        for key in self.kept:
            if key in self._known:
                self.current.setdefault(key, self._known[key])
        if self.current == self._known:
            return
        try:
            output.replace_file(self.path, pickle.dumps({"format": _FORMAT, "layouts": dict(sorted(self.current.items()))},
                                                        protocol=4))
        except OSError:
            pass
