"""Gather: read every content file, check it against its schema and the rules, build the
model, and check across files. Nothing is written here: `check` is this half of a build, and a
build publishes only what was gathered without errors (publish.py).
"""
from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from . import history as history_mod, model, validate
from .catalog import Catalog
from .diagnostics import Problem, promote
from .i18n import _, bilingual
from .load import find_yaml_files, prefetch, read_source, relative
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


class Summary(NamedTuple):
    """What the rules across files and the build's decisions need of one file: small, as it
    travels from a worker to the parent before anything is published."""

    rel: str
    problems: list[Problem]
    year_key: str | None  # None: the file has errors
    code: str | None
    published: bool

    @classmethod
    def of(cls, result: FileResult) -> Summary:
        ind = result.indicator
        return cls(result.rel, result.problems, ind and ind.year_key, ind and ind.code,
                   bool(ind and ind.published))


def load_site(project: Project, theme: Theme) -> tuple[model.Site | None, list[Problem]]:
    """site.yaml, agencies.yaml and strategy.yaml, checked and built into a Site."""
    sources, problems = {}, []
    for kind, name in SITE_FILES.items():
        path = project.content / name
        if not path.is_file():
            problems.append(Problem(relative(path, project.root), None, "", bilingual(_(
                "the file %(name)s is missing from the content folder", name=name))))
            continue
        source, found = read_source(path, project.root)
        problems += found
        if source:
            sources[kind] = source
    if problems:
        return None, problems
    problems = validate.check_site_files(sources, theme.schemas)
    if any(p.severity == "error" for p in problems):
        return None, problems
    return model.site_from(sources["site"].data, sources["agencies"].data,
                           sources["strategy"].data), problems


class Reader:
    """Reads indicator files of one site: the job each worker does on each file."""

    def __init__(self, project: Project, site: model.Site, theme: Theme,
                 history: history_mod.History | None = None):
        self.project, self.site, self.theme = project, site, theme
        self.history = history or history_mod.History(False)
        theme.schemas.quick_check("indicator")  # compiled before workers fork (and checked)

    def read(self, path: Path) -> tuple[FileResult, model.Indicator | None]:
        """The file's result (with a light copy of its indicator), and the whole indicator."""
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
    return validate.check_duplicates(((s.rel, s.year_key, s.code) for s in summaries
                                      if s.code is not None), root)


def problems_of(site_problems: list[Problem], summaries: Iterable[Summary], root: Path,
                strict: bool, across_files: list[Problem] | None = None) -> list[Problem]:
    """Every problem: the site files', each file's, and across files (strict: all errors).
    `across_files`: those of the rules across files, when already known."""
    summaries = list(summaries)
    if across_files is None:
        across_files = across(summaries, root)
    found = site_problems + [p for s in summaries for p in s.problems] + across_files
    return promote(found) if strict else found


def catalog_of(site: model.Site, results: dict[str, FileResult]) -> Catalog:
    inds = [r.indicator for r in results.values() if r.indicator is not None]
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
    """What `check` gathered: the site, each file's result (a Summary, or the whole
    FileResult when asked for), and every problem."""

    site: model.Site | None
    results: list
    problems: list[Problem]


def check(project: Project, strict: bool = False, jobs: int | None = None,
          theme: Theme | None = None, whole: bool = False) -> Checked:
    """Every problem in the content; writes nothing. `whole`: keep each file's FileResult."""
    theme = theme or Theme()
    site, site_problems = load_site(project, theme)
    if site is None:
        return Checked(None, [], promote(site_problems) if strict else site_problems)
    files, found = find_yaml_files(project.indicators, project.root)
    reader = Reader(project, site, theme)
    job = lambda path: ((lambda r: r if whole else Summary.of(r))(reader.read(path)[0]), None)  # noqa
    with collection_paused() as settled, Team(files, jobs or os.cpu_count() or 1, job,
                                              before_chunk=prefetch) as team:
        results = list(team.gather())
        settled()
        summaries = [Summary.of(r) for r in results] if whole else results
        return Checked(site, results, problems_of(site_problems + found, summaries,
                                                  project.root, strict))


def collect(project: Project, strict: bool = False):
    """The site, its indicators (light copies), and all problems: for tests and tools."""
    checked = check(project, strict, whole=True)
    return (checked.site, [r.indicator for r in checked.results if r.indicator],
            checked.problems)
