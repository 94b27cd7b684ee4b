"""The theme: what a build reads besides the content. Templates, static files, the schemas
and the catalogues, each read once per Theme; the preview server makes a new Theme when one
of their files changes, so nothing it read outlives the file it came from.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
from functools import cached_property
from pathlib import Path

from . import THEME, i18n
from .validate import Schemas

LIBRARIES = ("jinja2", "markdown", "nh3", "pyyaml", "fastjsonschema", "markupsafe", "babel")


class Theme:
    """The templates/, static/ and schema/ folders under `root`, and kpisite's catalogues."""

    def __init__(self, root: Path = THEME, locale: Path = i18n.LOCALE_DIR):
        self.root, self.locale = root, locale
        self.templates, self.static = root / "templates", root / "static"
        self.schemas = Schemas(root / "schema")
        self._words: dict[str, i18n.Words] = {}

    @property
    def folders(self) -> list[Path]:
        """What the preview server watches: an edit of any file in them makes a new Theme."""
        return [self.templates, self.static, self.schemas.folder, self.locale]

    def words(self, lang: str) -> i18n.Words:
        if lang not in self._words:
            self._words[lang] = i18n.load(lang, self.locale)
        return self._words[lang]

    @cached_property
    def key(self) -> str:
        """A hash of everything besides the content that a page depends on: the code, the
        libraries, templates, schemas and catalogues (not static/: pages only link to it)."""
        h = hashlib.blake2b(digest_size=16)
        for library in LIBRARIES:
            h.update(f"{library} {importlib.metadata.version(library)}\n".encode())
        code = Path(__file__).resolve().parent
        for folder in (self.templates, self.schemas.folder, self.locale, code):
            for path in sorted(folder.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    h.update(path.name.encode() + b"\0" + path.read_bytes())
        return h.hexdigest()
