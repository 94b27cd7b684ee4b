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
    """The default theme (templates/, static/ and schema/ under `root`), a site's own
    templates/ and static/ over it (`site`: the folder that holds the site's content/), and
    kpisite's catalogues. A site's file replaces the default one of the same name, as Hugo's
    and MkDocs' theme overrides do; the schemas are kpisite's own (they are the contract of
    the content)."""

    def __init__(self, root: Path = THEME, locale: Path = i18n.LOCALE_DIR,
                 site: Path | None = None):
        self.root, self.locale = root, locale
        own = [site] if site and site.resolve() != root.resolve() else []
        # Templates: the first folder that has a name wins; static: later folders win.
        self.template_folders = [*(s / "templates" for s in own), root / "templates"]
        self.static_folders = [root / "static", *(s / "static" for s in own)]
        self.schemas = Schemas(root / "schema")
        self.site_words = site / "locale" if site else None  # e.g. locale/th.po: its own words
        self._words: dict[str, i18n.Words] = {}

    @property
    def folders(self) -> list[Path]:
        """What the preview server watches: an edit of any file in them makes a new Theme."""
        return [*self.template_folders, *self.static_folders, self.schemas.folder, self.locale,
                *([self.site_words] if self.site_words else [])]

    def is_template(self, path: Path) -> bool:
        return any(path.is_relative_to(f.resolve()) for f in self.template_folders)

    def is_static(self, path: Path) -> bool:
        return any(path.is_relative_to(f.resolve()) for f in self.static_folders)

    def words(self, lang: str) -> i18n.Words:
        if lang not in self._words:
            self._words[lang] = i18n.load(lang, self.locale, self.site_words)
        return self._words[lang]

    @cached_property
    def key(self) -> str:
        """A hash of everything besides the content that a page depends on: the code, the
        libraries, templates, schemas and catalogues (not static/: pages only link to it)."""
        h = hashlib.blake2b(digest_size=16)
        for library in LIBRARIES:
            h.update(f"{library} {importlib.metadata.version(library)}\n".encode())
        code = Path(__file__).resolve().parent
        for folder in (*self.template_folders, self.schemas.folder, self.locale, code,
                       *([self.site_words] if self.site_words else [])):
            for path in sorted(folder.rglob("*")):  # (nothing when a site has no templates/)
                if path.is_file() and "__pycache__" not in path.parts:
                    h.update(path.name.encode() + b"\0" + path.read_bytes())
        return h.hexdigest()
