"""Gather: read every content file, check it against its schema and the rules, build the
model, and check across files. Nothing is written here: `check` is this half of a build, and a
build publishes only what was gathered without errors (publish.py).
"""
from __future__ import annotations

import gc
import os
import re
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from . import booklets, history as history_mod, markup, model, newsite, pages, related, validate
from .catalog import Catalog
from .diagnostics import Problem, errors, promote
from .i18n import _, bilingual
from .load import (find_line, find_yaml_files, inside_content, parse_source, prefetch,
                   read_source, relative)
from .theme import Theme
from .workers import Team

SITE_FILES = {"site": "site.yaml", "agencies": "agencies.yaml", "strategy": "strategy.yaml"}


@dataclass(frozen=True)
class Project:
    """Where the content is; messages name files relative to `root` (the content's parent)."""

    content: Path

    @cached_property  # resolved once: each file's messages and links are relative to it
    def root(self) -> Path:
        return self.content.resolve().parent

    @property
    def indicators(self) -> Path:
        return self.content / "indicators"


@dataclass
class FileResult:
    """What one indicator file gave: a light Indicator for the indexes, problems, pages."""

    rel: str
    digest: str
    indicator: model.Indicator | None  # without narrative texts; None if the file has errors
    problems: list[Problem]
    pages: list[str] = field(default_factory=list)  # filled when it is published
    history_key: str = ""  # the newest commit that changed the file: its pages show history
    related: object = None  # related.Related its pages showed: when it changes, they render again


class Summary(NamedTuple):
    """What the rules across files and the build's decisions need of one file: small, as it
    travels from a worker to the parent before anything is published."""

    rel: str
    problems: list[Problem]
    year_key: str | None  # None: the file has errors
    code: str | None
    published: bool
    continues: str = ""  # the series and the family it names (related.py)
    family: str = ""

    @classmethod
    def of(cls, result: FileResult) -> Summary:
        ind = result.indicator
        return cls(result.rel, result.problems, ind and ind.year_key, ind and ind.code,
                   bool(ind and ind.published), (ind and ind.continues) or "",
                   (ind and ind.family) or "")


# Files a site publishes as they are (content/static/ -> the site's top folder): only types that
# cannot carry script, as content comes from any editor's pull request.
FILES_FOLDER = "static"
FILE_TYPES = {".txt", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".ico", ".pdf"}
MAX_FILE_BYTES = 20_000_000


def content_files(project: Project) -> tuple[list[model.ContentFile], list[Problem]]:
    """The files to publish as they are, and the problems of those refused."""
    folder = project.content / FILES_FOLDER
    files, problems = [], []
    refuse = lambda path, msg: problems.append(  # noqa: E731
        Problem(relative(path, project.root), None, "", bilingual(msg)))
    for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
        rel = path.relative_to(folder).as_posix()
        if not inside_content(path, project.content):
            refuse(path, _("a symlink that leads outside the content folder: not read"))
        elif path.is_dir():
            continue
        elif rel.split("/")[0] == "static":
            refuse(path, _("static/ of the site is kpisite's own: put the file elsewhere"))
        elif path.suffix.lower() not in FILE_TYPES and (path.suffix and path.name != ".nojekyll"):
            refuse(path, _("a %(type)s file is not published as it is (only %(types)s, and files "
                           "without a type such as CNAME): it could carry script",
                           type=path.suffix, types=", ".join(sorted(FILE_TYPES))))
        elif path.stat().st_size > MAX_FILE_BYTES:
            refuse(path, _("larger than %(mb)s MB", mb=MAX_FILE_BYTES // 1_000_000))
        else:
            files.append(model.ContentFile(rel, path))
    return files, problems


def load_site(project: Project, theme: Theme, texts: dict[str, str] | None = None
              ) -> tuple[model.Site | None, list[Problem]]:
    """site.yaml, agencies.yaml and strategy.yaml, checked and built into a Site; `texts`: a
    file's text as it is about to be written (`import` checks before it writes)."""
    sources, problems = {}, []
    for kind, name in SITE_FILES.items():
        path = project.content / name
        if kind in (texts or {}):
            source, found = parse_source(texts[kind].encode(), path,
                                         relative(path, project.root))
        elif not path.is_file():
            problems.append(Problem(relative(path, project.root), None, "", bilingual(_(
                "the file %(name)s is missing from the content folder", name=name))))
            continue
        elif not inside_content(path, project.content):  # content is read only from inside it
            problems.append(Problem(relative(path, project.root), None, "", bilingual(_(
                "a symlink that leads outside the content folder: not read"))))
            continue
        else:
            source, found = read_source(path, project.root)
        problems += found
        if source:
            sources[kind] = source
    if problems:
        return None, problems
    problems = validate.check_site_files(sources, theme.schemas)
    if any(p.severity == "error" for p in problems):
        return None, problems
    problems += newsite.version_problems(project.root, sources["site"].data.get("kpisite"))
    written, found = content_pages(project)
    emblem = (sources["site"].data.get("emblem") or "").strip()
    if emblem and not (project.content / FILES_FOLDER / emblem).is_file():
        found.append(sources["site"].problem(("emblem",), _(
            "no file %(file)s in content/static/: the emblem is an image there", file=emblem)))
    site = model.site_from(sources["site"].data, sources["agencies"].data,
                           sources["strategy"].data)
    return (replace(site, pages=written), problems + found) if not errors(found) else \
        (None, problems + found)


PAGES = "pages"  # content/pages/: the office's own pages, in Markdown
PAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}(\.en)?\.md$")


def content_pages(project: Project) -> tuple[tuple[model.ContentPage, ...], list[Problem]]:
    """The pages of content/pages/ (Markdown, a "# title" on the first line; NAME.en.md its
    English), each checked as a narrative field is (markup's limits)."""
    folder = project.content / PAGES
    if not folder.is_dir() or not inside_content(folder, project.content):
        return (), []
    texts, problems = {}, []
    for path in sorted(folder.iterdir()):
        rel = relative(path, project.root)
        if not PAGE_NAME.match(path.name) or not path.is_file() or \
                not inside_content(path, project.content):
            problems.append(Problem(rel, None, "", bilingual(_(
                "not a page: content/pages/ holds Markdown files named like about.md or "
                "about.en.md (small letters, digits, -)")), "warning"))
            continue
        title, body, problem = _page_text(path, rel)
        if problem:
            problems.append(problem)
        else:
            texts[path.name] = (title, body, rel)
    written = []
    for name, (title, body, rel) in texts.items():
        if not name.endswith(".en.md"):
            title_en, body_en, _rel = texts.get(name[:-3] + ".en.md", ("", "", ""))
            written.append(model.ContentPage(name[:-3], title, body, rel, title_en, body_en))
    return tuple(written), problems


def _page_text(path: Path, rel: str) -> tuple[str, str, Problem | None]:
    if path.stat().st_size > MAX_FILE_BYTES:  # not read at all
        return "", "", Problem(rel, None, "", bilingual(_(
            "too long or too deeply nested for a page (%(limit)s): shorten it", limit="bytes")))
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        return "", "", Problem(rel, raw[:e.start].count(b"\n") + 1, "", bilingual(_(
            "not UTF-8 text: save the file as UTF-8")))
    first, _newline, body = text.partition("\n")
    if not first.startswith("# ") or not first[2:].strip():
        return "", "", Problem(rel, 1, "", bilingual(_(
            'the first line must be the page\'s title, as "# Title"')))
    limit = markup.too_much(body)
    if limit:
        return "", "", Problem(rel, None, "", bilingual(_(
            "too long or too deeply nested for a page (%(limit)s): shorten it", limit=limit[0])))
    return first[2:].strip(), body.strip(), None


SECONDS_A_FILE = 30  # the last guard: the real limits are sizes and nesting (load, markup)


class FileTookTooLong(Exception):
    """A file's work ran past SECONDS_A_FILE."""


def _expired(signum, frame):
    raise FileTookTooLong


class time_budget:  # noqa: N801 (used as a `with` block, like a function)
    """Raise FileTookTooLong in this (main) thread after `seconds`; elsewhere, no limit.
    (Two system calls a file: the handler, once set, stays.)"""

    __slots__ = ("seconds", "armed")

    def __init__(self, seconds: float = SECONDS_A_FILE):
        self.seconds = seconds

    def __enter__(self) -> None:
        self.armed = threading.current_thread() is threading.main_thread()
        if self.armed:
            if signal.getsignal(signal.SIGALRM) is not _expired:
                signal.signal(signal.SIGALRM, _expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)


def too_long(rel: str) -> Problem:
    return Problem(rel, None, "", bilingual(_(
        "this file took longer than %(seconds)s seconds to read and check: it is refused",
        seconds=SECONDS_A_FILE)))


class Reader:
    """Reads indicator files of one site: the job each worker does on each file."""

    def __init__(self, project: Project, site: model.Site, theme: Theme,
                 history: history_mod.History | None = None):
        self.project, self.site, self.theme = project, site, theme
        self.history = history or history_mod.History(False)
        theme.schemas.quick_check("indicator")  # compiled before workers fork (and checked)

    def read(self, path: Path) -> tuple[FileResult, model.Indicator | None]:
        """The file's result (with a light copy of its indicator), and the whole indicator."""
        try:
            with time_budget():
                return self._read(path)
        except FileTookTooLong:
            rel = relative(path, self.project.root)
            return FileResult(rel, "", None, [too_long(rel)]), None

    def _read(self, path: Path) -> tuple[FileResult, model.Indicator | None]:
        source, problems = read_source(path, self.project.root)
        if source is None:
            return FileResult(relative(path, self.project.root), "", None, problems), None
        ind, found = validate.check_indicator(source, self.site, self.theme.schemas)
        problems += found
        result = FileResult(source.rel, source.digest, ind.without_texts() if ind else None,
                            problems, history_key=self.history.key(source.rel))
        return result, ind


def across(summaries: Iterable[Summary], root: Path) -> list[Problem]:
    """The rules across files."""
    summaries = list(summaries)
    return validate.check_duplicates(((s.rel, s.year_key, s.code) for s in summaries
                                      if s.code is not None), root) + \
        related.problems(summaries, root)


def problems_of(site_problems: list[Problem], summaries: Iterable[Summary], root: Path,
                strict: bool, across_files: list[Problem] | None = None) -> list[Problem]:
    """Every problem: the site files', each file's, and across files (strict: all errors).
    `across_files`: those of the rules across files, when already known."""
    summaries = list(summaries)
    if across_files is None:
        across_files = across(summaries, root)
    found = site_problems + [p for s in summaries for p in s.problems] + across_files
    return promote(found) if strict else found


def page_clashes(project: Project, catalog: Catalog, files: list[model.ContentFile]) -> list[Problem]:
    """Pages that two sources would write (pages.claims), each source named."""
    agencies = project.content / "agencies.yaml"
    codes = list(catalog.site.agencies)
    lines = lambda code: find_line(agencies.read_text("utf-8-sig"),  # noqa: E731 (only on a clash)
                                   ("agencies", codes.index(code), "code"))
    # The booklets' paths are the site's even in builds that make none.
    data = pages.SiteData(catalog, None, None, files=files,
                          booklets=booklets.plan(catalog))
    return validate.page_clashes(pages.claims(data), project.root,
                                 (relative(agencies, project.root), lines))


def catalog_of(site: model.Site, results: dict[str, FileResult] | list[FileResult]) -> Catalog:
    values = results.values() if isinstance(results, dict) else results
    inds = [r.indicator for r in values if r.indicator is not None]
    return Catalog(site, [i for i in inds if i.published],
                   frozenset(i.source for i in inds if not i.published))


@contextmanager
def collection_paused() -> Iterator[Callable[[], None]]:
    """No garbage collection while a build's or check's results arrive: plain data, kept to the
    end, that the collector would walk again and again for nothing (0.15 s at 10,000 files).
    (Few files are worked on in this process meanwhile; that work makes no cycles either.)
    `settled()`, once the results are in, freezes them, out of later collections, and lets
    collection resume. At the end the collector is as it was found."""
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()

    def settled() -> None:
        gc.freeze()
        if enabled:
            gc.enable()
    try:
        gc.disable()
        yield settled
    finally:
        if not frozen:  # unfreezing is all or nothing: only when nothing was frozen before
            gc.unfreeze()  # the preview server lives on: its garbage must be collectable
        if enabled:
            gc.enable()


@dataclass
class Checked:
    """What `check` gathered: the site, each file's result, and every problem."""

    site: model.Site | None
    results: list[FileResult]
    problems: list[Problem]


def check(project: Project, strict: bool = False, jobs: int | None = None,
          theme: Theme | None = None) -> Checked:
    """Every problem in the content; writes nothing."""
    theme = theme or Theme(site=project.root)
    site, site_problems = load_site(project, theme)
    if site is None:
        return Checked(None, [], promote(site_problems) if strict else site_problems)
    files, found = find_yaml_files(project.indicators, project.root, project.content)
    published, refused = content_files(project)
    reader = Reader(project, site, theme)
    job = lambda path: (reader.read(path)[0], None)  # noqa: E731 (a check keeps nothing)
    with collection_paused() as settled, Team(files, jobs or os.cpu_count() or 1, job,
                                              before_chunk=prefetch) as team:
        results = list(team.gather())
        settled()
        clashes = page_clashes(project, catalog_of(site, results), published)
        return Checked(site, results, problems_of(site_problems + found + refused + clashes,
                                                  [Summary.of(r) for r in results],
                                                  project.root, strict))


def collect(project: Project, strict: bool = False):
    """The site, its indicators (light copies), and all problems: for tests and tools."""
    checked = check(project, strict)
    return (checked.site, [r.indicator for r in checked.results if r.indicator],
            checked.problems)
