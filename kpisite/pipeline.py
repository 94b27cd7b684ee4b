"""The build: load -> validate -> model -> render -> write, and `check` (stopped before rendering).

Each indicator file is one unit of work (Worker.process): read, check, build the model, render
its two pages, write them. Units run on every core, and a unit whose file did not change since
the last build (same content hash, same templates, site files and code) reuses its pages.
Then the pages that list indicators are rendered from light copies. Every problem is gathered
first; if any is an error, the staged output is dropped and the previous site stays whole.
"""
from __future__ import annotations

import datetime as dt
import gc
import hashlib
import importlib.metadata
import os
import pickle
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

from . import THEME, history as history_mod, model, opendata, search, validate
from .catalog import Catalog
from .diagnostics import ContentError, Problem, errors, promote
from .load import digest, find_yaml_files, prefetch, read_source, relative
from .render import ALL, INDICATOR_TEMPLATES, Renderer, changed_aspects, site_pages
from .thai import BANGKOK
from .workers import parallel
from .write import STATE, Deferred, Direct, Staging, check_output_dir, locked

SITE_FILES = {"site": "site.yaml", "agencies": "agencies.yaml", "strategy": "strategy.yaml"}
CACHE = "cache.pickle"
THEME_FOLDERS = ("templates", "static", "schema", "kpisite")


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
    pages: list[str] = field(default_factory=list)
    history_key: str = ""  # the newest commit that changed the file: its pages show history


def build_date() -> dt.date:
    """Today in Bangkok, or the date of SOURCE_DATE_EPOCH (for reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = dt.datetime.fromtimestamp(int(epoch), BANGKOK) if epoch else dt.datetime.now(BANGKOK)
    return now.date()


def load_site(project: Project) -> tuple[model.Site | None, list[Problem]]:
    """site.yaml, agencies.yaml and strategy.yaml, checked and built into a Site."""
    sources, problems = {}, []
    for kind, name in SITE_FILES.items():
        path = project.content / name
        if not path.is_file():
            problems.append(Problem(relative(path, project.root), None, "",
                                    f"ไม่พบไฟล์ {name} ในโฟลเดอร์เนื้อหา (missing file)"))
            continue
        source, found = read_source(path, project.root)
        problems += found
        if source:
            sources[kind] = source
    if problems:
        return None, problems
    problems = validate.check_site_files(sources)
    if errors(problems):
        return None, problems
    site = model.site_from(sources["site"].data, sources["agencies"].data,
                           sources["strategy"].data)
    return site, problems


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


class Worker:
    """Processes indicator files for one site; `out` None means check only."""

    def __init__(self, project: Project, site: model.Site, renderer: Renderer | None, out=None,
                 history: history_mod.History | None = None):
        self.project, self.site, self.renderer, self.out = project, site, renderer, out
        self.history = history or history_mod.History(False)
        validate.quick_check("indicator")  # compiled before workers fork, as the templates are

    def process(self, path: Path) -> FileResult:
        source, problems = read_source(path, self.project.root)
        if source is None:
            return FileResult(relative(path, self.project.root), "", None, problems)
        ind, found = validate.check_indicator(source, self.site)
        problems += found
        pages = []
        changes = self.history.of(source.rel)
        if ind is not None and ind.published and self.out is not None and not errors(problems):
            for page_path, html in self.renderer.indicator_pages(ind, changes, self.history):
                self.out.write(page_path, html)
                pages.append(page_path)
        light = None
        if ind is not None:
            if self.out is not None:  # the site-wide files need them; `check` does not
                ind.exports = search.exports(ind) | opendata.exports(ind, self.site)
            light = ind.without_texts()
        return FileResult(source.rel, source.digest, light, problems, pages,
                          self.history.key(source.rel))


def protected(project: Project) -> tuple[list[Path], list[Path]]:
    """What an output folder may not contain, and where it may not lie."""
    return [project.content, THEME], [project.content] + [THEME / f for f in THEME_FOLDERS]


def theme_key(project: Project) -> str:
    """A hash of everything besides an indicator's own file that its pages depend on."""
    h = hashlib.blake2b(digest_size=16)
    for library in ("jinja2", "markdown", "nh3", "pyyaml", "fastjsonschema", "markupsafe"):
        h.update(f"{library} {importlib.metadata.version(library)}\n".encode())
    sources = [project.content / name for name in SITE_FILES.values()]
    for folder in ("templates", "schema", "kpisite"):  # not static/: pages only link to it
        sources += sorted((THEME / folder).rglob("*"))
    for path in sources:
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


class Builder:
    """One project built into one output folder; `serve` keeps it to update after edits."""

    def __init__(self, project: Project, out: Path | None = None, strict: bool = False,
                 jobs: int | None = None):
        self.project, self.out, self.strict = project, out, strict
        self.jobs = jobs or os.cpu_count() or 1
        self.site: model.Site | None = None
        self.site_problems: list[Problem] = []
        self.results: dict[str, FileResult] = {}
        self.duplicates: list[Problem] = []
        self.built = False  # True once `out` matches self.results (update() may then patch it)
        self.stale: dict[str, set[str]] = defaultdict(set)  # aspect (or "template") -> groups
        self.unwritten: dict[str, str | bytes | None] = {}  # pages an update could not yet write
        self.site_paths: set[str] = set()  # the outputs of site_pages() in `out`

    # -- checking ----------------------------------------------------------------------------
    def problems(self) -> list[Problem]:
        """All problems: site files, each file, and across files (strict: all are errors)."""
        found = self.site_problems + [p for r in self.results.values() for p in r.problems]
        found += self.duplicates
        return promote(found) if self.strict else found

    def _check_across(self) -> None:
        self.duplicates = validate.check_duplicates(
            (r.indicator for r in self.results.values() if r.indicator), self.project.root)

    def check(self) -> list[Problem]:
        site, self.site_problems = load_site(self.project)
        if site is None:
            return self.problems()
        self.site = site
        files, found = find_yaml_files(self.project.indicators, self.project.root)
        self.site_problems += found
        worker = Worker(self.project, site, None)
        with collection_paused() as settled:
            self.results = {r.rel: r for r in parallel(worker.process, files, self.jobs,
                                                       before_chunk=prefetch)}
            settled()
            self._check_across()
        return self.problems()

    # -- building ----------------------------------------------------------------------------
    def build(self) -> list[Problem]:
        """Build into `out`; raise ContentError (and change nothing) if the content has errors."""
        check_output_dir(self.out, *protected(self.project))
        self.built, self.blobs = False, {}
        site, self.site_problems = load_site(self.project)
        if site is None:
            raise ContentError(self.problems())
        self.site, self.renderer = site, Renderer(site)
        fresh = not self.out.exists()  # a first build that fails leaves no folder behind
        with locked(self.out), collection_paused() as settled:
            stage = Staging(self.out, fresh)
            try:
                problems, cache = self._build_into(stage, settled)
            except BaseException:
                stage.abort()
                raise
            stage.commit()
            os.replace(cache, self.out / STATE / CACHE)  # the cache describes a site that exists
        self.built, self.stale = True, defaultdict(set)
        return problems

    def _build_into(self, stage: Staging, settled: Callable[[], None]
                    ) -> tuple[list[Problem], Path]:
        """Every page into `stage`; the problems found, and the next build's cache file."""
        files, found = find_yaml_files(self.project.indicators, self.project.root)
        self.site_problems += found
        key = theme_key(self.project)
        cached, self.facts_cache = self._read_cache(key)
        self.history = history_mod.load(self.project.root, self.project.indicators, self.facts_cache)
        self.results = self._reuse(files, cached, stage)
        todo = [f for f in files if relative(f, self.project.root) not in self.results]
        worker = Worker(self.project, self.site, self.renderer, stage, self.history)
        # Each result travels pickled; the bytes are kept and become the cache as they are.
        job = lambda path: pickle.dumps(worker.process(path), pickle.HIGHEST_PROTOCOL)  # noqa
        for blob in parallel(job, todo, self.jobs, before_chunk=prefetch):
            result = pickle.loads(blob)
            self.results[result.rel], self.blobs[result.rel] = result, blob
        settled()
        self._check_across()
        problems = self.problems()
        if errors(problems):
            raise ContentError(problems)
        self.catalog = self._catalog()
        cache = self._write_cache(key)  # now, and the bytes can go: memory stays low
        # The site's pages read the whole catalog: forked workers would each copy it
        # (reference counts write to every object they touch), so they render here.
        self.site_paths = set()
        for page in site_pages(self.catalog, build_date(), self.history):
            stage.write(page.path, self.renderer.render(page))
            self.site_paths.add(page.path)
        stage.copy_tree(THEME / "static", "static")
        return problems, cache

    # -- updating after an edit (the preview server) -------------------------------------------
    def update(self, changed: set[Path]) -> list[str] | None:
        """Bring `out` up to date after `changed` files changed; returns what was written
        (None: everything was rebuilt). Raises ContentError.

        Edited indicator files get their pages re-rendered, and so do the site's pages that
        show what changed (render.ASPECTS); an edited index template re-renders the pages that
        use it; an edit of the site files, the schema or an indicator template rebuilds all.
        """
        changed = {p.resolve() for p in changed}
        templates = {p.name for p in changed if p.is_relative_to(THEME / "templates")}
        static = [p for p in changed if p.is_relative_to(THEME / "static")]
        indicators = [p for p in changed if p.is_relative_to(self.project.indicators.resolve())
                      and p.suffix in (".yaml", ".yml")]
        affected = self.renderer.templates_using(templates) if self.built and templates else set()
        if (not self.built or len(indicators) + len(static) + len(templates) < len(changed)
                or affected & INDICATOR_TEMPLATES):
            self.build()
            return None
        out, pages, swaps = Direct(self.out), Deferred(self.unwritten), []
        if templates:
            self.renderer = Renderer(self.site)  # templates are read once per Renderer
            self.stale["template"] |= affected
        if static:
            pages.copy_tree(THEME / "static", "static", self.out)
        worker = Worker(self.project, self.site, self.renderer, pages, self.history)
        for path in sorted(indicators):
            rel = relative(path, self.project.root)
            old = self.results.pop(rel, None)
            new = worker.process(path) if path.is_file() else None
            if new is not None:
                self.results[rel] = new
            for gone in set(old.pages if old else []) - set(new.pages if new else []):
                pages.changes.setdefault(gone, None)
            before, after = old and old.indicator, new and new.indicator
            for aspect, touched in changed_aspects(before, after).items():
                self.stale[aspect] |= touched
            swaps.append((before, after))
        if self.stale["listing"]:  # order, groups or codes may have changed: start afresh
            self.catalog = self._catalog()
            self._check_across()
        else:
            for before, after in swaps:
                if before is not None and after is not None and before.published:
                    self.catalog.replace(before, after)
        problems = self.problems()
        if errors(problems):  # nothing is written; self.unwritten and self.stale keep the work
            raise ContentError(problems)
        owned = lambda: {page for r in self.results.values() for page in r.pages}  # noqa: E731
        with locked(self.out):
            return pages.apply(out, keep=owned) + self._rerender_site_pages(out)

    def _rerender_site_pages(self, out: Direct) -> list[str]:
        """The site's pages that show something stale, re-rendered; pages no longer made, gone."""
        written, produced, stale = [], set(), self.stale
        for page in site_pages(self.catalog, build_date(), self.history):
            produced.add(page.path)
            groups_ = set().union(*(stale.get(aspect, ()) for aspect in page.shows))
            if page.template in stale["template"] or page.deps & groups_ or (
                    groups_ and ALL in page.deps):
                if out.write(page.path, self.renderer.render(page)):
                    written.append(page.path)
        for gone in self.site_paths - produced:  # e.g. the data files of an agency now empty
            out.remove(gone)
        self.site_paths, self.stale = produced, defaultdict(set)
        return written

    def _catalog(self) -> Catalog:
        inds = [r.indicator for r in self.results.values() if r.indicator is not None]
        return Catalog(self.site, [i for i in inds if i.published],
                       frozenset(i.source for i in inds if not i.published))

    def _reuse(self, files: list[Path], cached: dict[str, bytes], stage: Staging
               ) -> dict[str, FileResult]:
        """Results of files unchanged since the last build, their pages linked, not rendered."""
        reused: dict[str, FileResult] = {}
        for path in files if cached else ():
            rel = relative(path, self.project.root)
            if rel not in cached:
                continue
            old = pickle.loads(cached[rel])
            if old.digest != digest(path.read_bytes()) or old.history_key != self.history.key(rel):
                continue
            if not all((self.out / p).is_file() for p in old.pages):
                continue
            for page in old.pages:
                os.link(self.out / page, stage.path(page))
            reused[rel], self.blobs[rel] = old, cached[rel]
        return reused

    def _read_cache(self, key: str) -> tuple[dict[str, bytes], dict[str, dict]]:
        """The last build's results, pickled, and the facts of git blobs: if made by the same
        code, templates and site files (the key); otherwise nothing."""
        try:
            with open(self.out / STATE / CACHE, "rb") as f:
                saved_key, blobs, facts = pickle.load(f)
            return (blobs, facts) if saved_key == key else ({}, {})
        except (OSError, pickle.PickleError, EOFError, ValueError, TypeError, AttributeError):
            return {}, {}

    def _write_cache(self, key: str) -> Path:
        """The results as the next build's cache, in a file put in place after the commit."""
        tmp = self.out / STATE / f"{CACHE}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            pickle.dump((key, self.blobs, self.facts_cache), f, protocol=pickle.HIGHEST_PROTOCOL)
        self.blobs = {}
        return tmp


def check(project: Project, strict: bool = False) -> list[Problem]:
    """All problems in the content; writes nothing."""
    return Builder(project, strict=strict).check()


def build(project: Project, out: Path, strict: bool = False, jobs: int | None = None) -> list[Problem]:
    """Build the site into `out`; raise ContentError (and write nothing) if the content has errors."""
    return Builder(project, out, strict, jobs).build()


def collect(project: Project, strict: bool = False):
    """The site, its indicators (light copies), and all problems: for tests and tools."""
    builder = Builder(project, strict=strict)
    problems = builder.check()
    return builder.site, [r.indicator for r in builder.results.values() if r.indicator], problems
