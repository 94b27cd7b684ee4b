"""Publish: the build. Gather everything (gather.py), and only when no file has an error,
render into a staging folder, write, and swap it into place.

Each indicator file is one unit of work, run on every core by a workers.Team in two phases:
a worker reads and checks its files and keeps them; once the parent has every result and the
rules across files pass, the workers render the pages of what they kept. A file that did not
change since the last build (same content hash and history, same theme and site files) is not
read again: its pages are linked from the live site. Then the pages that list indicators are
rendered here, from light copies.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Iterator

from . import THEME, booklets as booklets_mod, chromium, fields, history as history_mod, linebreaks, model, opendata, pages, related, search, thai
from .catalog import Catalog
from .diagnostics import ContentError, Problem, errors
from .gather import (SITE_FILES, FileResult, FileTookTooLong, Project, Reader, Summary,
                     catalog_of, collection_paused, content_files, load_site, page_clashes,
                     problems_of, time_budget, too_long)
from .i18n import standard
from .load import digest, find_yaml_files, prefetch, relative
from .progress import Progress, reading, writing
from .render import Renderer
from .spool import Spool
from .theme import Theme
from .workers import PARALLEL_MIN, Aside, Team, drained
from .write import (JOURNAL, STATE, Content, Staging, Writer, check_output_dir, has_site, locked,
                    recover)

CACHE = "cache.pickle"
CACHE_FORMAT = "kpisite results 4"  # a cache of another layout is not read
THEME_FOLDERS = ("templates", "static", "schema", "kpisite")


@dataclass
class Built:
    """A site built into `out`, and what it was built from: the preview server keeps it."""

    project: Project
    out: Path
    theme: Theme
    site: model.Site
    renderers: list[Renderer]  # one for each of the site's languages, the content's first
    history: history_mod.History
    results: dict[str, FileResult]
    problems: list[Problem]
    site_problems: list[Problem]  # of the site files and the folders, not of one indicator
    catalog: Catalog  # of the light copies: the exports join them as the workers make them
    files: list  # gather.ContentFile: published as they are
    relations: dict = field(default_factory=dict)  # source -> related.Related
    site_paths: set[str] = field(default_factory=set)  # the outputs of pages.site_pages()
    booklets: list = field(default_factory=list)  # booklets.Booklet: the PDFs this build makes

    def relations_of(self, payload: tuple[str, dict], paths: list[Path]) -> tuple[str, dict]:
        """A worker's share of the payload: the related indicators of its own files (each
        worker would otherwise hold every file's, 70 MB at 100,000 indicators)."""
        stage_dir, relations = payload
        rels = (relative(path, self.project.root) for path in paths)
        return stage_dir, {rel: relations[rel] for rel in rels if rel in relations}

    def site_pages(self, catalog: Catalog, sizes: dict | None = None,
                   ) -> Iterator[tuple[Renderer, pages.Page]]:
        """Every page that lists indicators, in each language, with its language's renderer
        (the downloads, one for all languages, come with the first). `sizes`: the downloads'
        sizes, for every language's pages that state them, as they are made."""
        built, sizes = thai.build_date(), {} if sizes is None else sizes
        for renderer in self.renderers:
            data = pages.SiteData(catalog, built, self.history, renderer.labels, self.files,
                                  renderer.prefix, sizes, self.booklets, self.out / STATE)
            for page in pages.site_pages(data):
                yield renderer, page


def renderers(site: model.Site, theme: Theme) -> list[Renderer]:
    """A renderer for each of the site's languages."""
    return [Renderer(site, theme.words(lang), theme.template_folders)
            for lang in site.languages]


def protected(project: Project) -> tuple[list[Path], list[Path]]:
    """What an output folder may not contain, and where it may not lie."""
    own = [project.root / f for f in ("templates", "static")]  # a site's theme overrides
    return [project.content, THEME, *own], [project.content, *own] + [
        THEME / f for f in THEME_FOLDERS]


def build(project: Project, out: Path, strict: bool = False, jobs: int | None = None,
          theme: Theme | None = None, booklets: bool | None = None,
          progress: Progress | None = None) -> Built:
    """Build the site into `out`; raise ContentError (and change nothing) if the content has
    errors. `booklets`: print the PDF booklets (None: as site.yaml says); `progress`: where
    the build counts what it has done (a terminal's line, or nowhere)."""
    check_output_dir(out, *protected(project))
    theme = theme or Theme(site=project.root)
    site, site_problems = load_site(project, theme)
    if site is None:
        raise ContentError(site_problems)
    if booklets is None:
        booklets = site.booklets
    if booklets:
        chromium.executable()  # no browser: said now, before anything is written
    by_language = renderers(site, theme)
    with locked(out), collection_paused() as settled:
        recover(out)  # what a stopped build left: its commit finished, its staging gone
        had_site = has_site(out)  # decided under the lock: another build may have made one
        progress = progress or Progress(shown=False)
        try:
            return _build_locked(project, out, strict, jobs or os.cpu_count() or 1, theme,
                                 site, site_problems, by_language, settled, booklets, progress)
        except BaseException:
            if not had_site and not has_site(out):  # a first build that fails leaves nothing
                shutil.rmtree(out, ignore_errors=True)
            raise
        finally:
            progress.end()  # before the build's last word, or its errors


def _build_locked(project, out, strict, jobs, theme, site, site_problems, by_language, settled,
                  booklets, progress):
    """The build, holding the output folder's lock: gather, check, then publish."""
    key = cache_key(project, theme, site)
    cached, facts = read_cache(out, key)
    history = history_mod.load(project.root, project.indicators, facts)
    files, found = find_yaml_files(project.indicators, project.root, project.content)
    published, refused = content_files(project)
    found += refused
    reused = _reusable(project, out, files, cached, history)
    todo = [f for f in files if relative(f, project.root) not in reused]
    publisher = Publisher(Reader(project, site, theme, history), by_language, site)
    progress.phase(reading(), lambda: len(todo))
    with Team(todo, jobs, publisher.read, publisher.render, before_chunk=prefetch,
              spool=out / STATE) as team:
        results = {rel: result for rel, (result, _) in reused.items()}
        results.update((r.rel, r) for r in progress.counted(team.gather()))
        settled()
        catalog = catalog_of(site, results)
        problems = problems_of(site_problems + found + page_clashes(project, catalog, published),
                               [Summary.of(r) for r in results.values()], project.root, strict)
        if errors(problems):
            raise ContentError(problems)
        built = Built(project, out, theme, site, by_language, history, results, problems,
                      site_problems + found, catalog, published,
                      related.relations(catalog.indicators),
                      booklets=booklets_mod.plan(catalog) if booklets else [])
        stage = Staging(out)  # the first write: every check has passed
        cache = CacheWriter(out, key, facts, Spool(out / STATE))
        try:
            progress.phase(writing(), lambda: pages_to_write(catalog, published))
            _publish(built, team, stage, reused, cache, publisher, progress)
            stage.commit(cache.close(), CACHE)  # the cache comes with the site it describes
        except BaseException:
            team.close()  # no worker writes into the staging folder while it goes
            cache.abandon()
            stage.abort()
            raise
    return built


def pages_to_write(catalog: Catalog, files: list) -> int:
    """How many pages and files a build without booklets writes (its claims: pages.claims)."""
    return sum(1 for _ in pages.claims(pages.SiteData(catalog, None, None, files=files)))


def _publish(built: Built, team: Team, stage: Staging, reused: dict, cache: CacheWriter,
             publisher: Publisher, progress: Progress) -> None:
    """Every page into `stage`, and each file's result into the next build's cache.

    While the workers render the indicators' pages, this process renders the pages that
    list them: those need only the light copies it has already (the data files, which need
    the exports the workers make, come last). So no core waits for the other at the end.
    """
    team.publish((str(stage.dir), built.relations), built.relations_of)
    for rel, (result, kept) in reused.items():
        if result.related != built.relations.get(rel):  # another year or agency changed
            _render_again(built, publisher, stage, rel, cache)
        else:
            for page in result.pages:
                os.link(built.out / page, stage.path(page))
            cache.add(rel, kept)
        progress.advance(len(result.pages))
    data_files, sizes = [], {}  # the downloads' sizes, for the pages that state them
    linebreaks.prepare_listed([text for ind in built.catalog.indicators
                               for text in (ind.name, ind.target_text) if text])
    for renderer, page in built.site_pages(built.catalog, sizes):
        if page.shows <= pages.LISTING:  # what the light copies hold
            _write_site_page(built, stage, renderer, page, progress)
            _take(built, team.published(wait=False), cache, progress)
        else:
            data_files.append((renderer, page))
    _take(built, team.published(), cache, progress)
    _write_downloads(built, stage, data_files, sizes, team.jobs > 1, progress)
    for folder in built.theme.static_folders:  # a site's own files over the default ones
        if folder.is_dir():
            stage.copy_tree(folder, "static")
    progress.end()  # the booklets, minutes of printing, are not pages it counts
    if built.booklets:  # printed from the pages just written, with their styles and fonts
        booklets_mod.publish(built.booklets, built.renderers[0], stage, built.out,
                             built.theme.key, team.jobs)


def _render_again(built: Built, publisher: Publisher, stage: Staging, rel: str,
                  cache: CacheWriter) -> None:
    """The pages of an unchanged file whose related indicators changed, rendered here."""
    result, ind = publisher.reader.read(built.project.root / rel)
    publisher.publish(result, ind, Writer(str(stage.dir)), built.relations.get(rel))
    kept = built.results[rel]  # the catalog's copy: the same facts, and its exports
    kept.pages, kept.related = result.pages, result.related
    exports, blob = entry(result)
    cache.add(rel, (blob, exports))


def _write_site_page(built: Built, stage: Staging, renderer: Renderer, page: pages.Page,
                     progress: Progress) -> None:
    # The site's pages read the whole catalog: forked workers would each copy it (reference
    # counts write to every object they touch), so they render here.
    stage.write(page.path, renderer.streamed(page))
    built.site_paths.add(page.path)
    progress.advance()


def _write_downloads(built: Built, stage: Staging, data_files: list, sizes: dict, fork: bool,
                     progress: Progress) -> None:
    """The data files, once the workers have ended; the pages that state their sizes last.
    The workbook, half their time, is written by a forked process while this one writes the
    others, else a core would wait. It takes what it needs of the catalog here, before the
    fork: a process that walked the catalog would copy it (reference counts write to it)."""
    fork = fork and len(built.catalog.indicators) >= PARALLEL_MIN  # rows enough to pay
    asides = [Aside(partial(_write_download, stage, page.path, renderer.streamed(page)), fork)
              for renderer, page in data_files if page.path == pages.urls.workbook]
    try:
        for renderer, page in data_files:
            if page.path != pages.urls.workbook and pages.SIZES not in page.shows:
                _write_site_page(built, stage, renderer, page, progress)
        for aside in asides:
            path, sizes[path] = aside.result()
            built.site_paths.add(path)
            progress.advance()
    finally:
        for aside in asides:
            aside.close()
    for renderer, page in data_files:
        if pages.SIZES in page.shows:
            _write_site_page(built, stage, renderer, page, progress)


def _write_download(stage: Staging, path: str, content: Content) -> tuple[str, int]:
    """Write a data file into `stage` (in a forked process, perhaps): its path and size."""
    stage.write(path, content)
    return path, os.path.getsize(stage.path(path))


def _take(built: Built, published, cache: CacheWriter, progress: Progress) -> None:
    """What the workers made of their files: each page's path, exports and cache entry."""
    for rel, page_paths, exports, blob in published:
        result = built.results[rel]
        result.pages = PagePaths(page_paths)
        result.indicator.exports = cache.add(rel, (blob, exports))
        progress.advance(len(page_paths))


class PagePaths:
    """A file's page paths as the parent keeps them, one text: a list of five paths took
    560 B, 56 MB at 100,000 indicators. Read (and pickled) as the list it was."""

    __slots__ = ("joined",)

    def __init__(self, paths: list[str]):
        self.joined = "\n".join(paths) if paths else None

    def __iter__(self):
        return iter(self.joined.split("\n") if self.joined is not None else ())

    def __len__(self) -> int:
        return self.joined.count("\n") + 1 if self.joined is not None else 0

    def __eq__(self, other) -> bool:
        return list(self) == list(other)

    def __reduce__(self):
        return list, (list(self),)


PREPARED = 100  # indicators whose words are found at once: ~1,500 texts, in linebreaks' cache


class Publisher:
    """The two jobs of a worker: read a file (and keep it), then render what it kept."""

    def __init__(self, reader: Reader, renderers: list[Renderer], site: model.Site):
        self.reader, self.renderers = reader, renderers
        self.exporting = opendata.Exporting(site, standard("th"))
        # What the indicators' JSON documents say of themselves (the build date among it).
        self.document_head = opendata.document_head(site, thai.build_date())

    def read(self, path: Path) -> tuple[FileResult, tuple | None]:
        """Phase 1: the file's result (a light copy), and what this worker keeps for phase 2:
        the whole indicator, and the result without its light copy (a third of the memory
        kept; phase 2 makes the light copy again, for 10 µs)."""
        result, ind = self.reader.read(path)
        return result, ((replace(result, indicator=None), ind) if ind is not None else None)

    def render(self, payload: tuple[str, dict], kept: Iterator) -> Iterator[tuple]:
        """Phase 2: each kept file's pages, written into the staging folder (the payload: its
        path, and what each page shows of related indicators); what the parent's copy of its
        result lacks (the pages, the exports), and the whole of it pickled as the next
        build's cache entry."""
        stage_dir, relations = payload
        out = Writer(stage_dir)
        while batch := list(islice(kept, PREPARED)):  # the next hundred, words found at once
            linebreaks.prepare(text for _, ind in batch for text in fields.laid_out_texts(ind))
            for result, ind in drained(batch):  # and the whole indicator can go
                result.indicator = ind.without_texts()
                self.publish(result, ind, out, relations.get(result.rel))
                yield (result.rel, result.pages, *entry(result))

    def publish(self, result: FileResult, ind: model.Indicator, out, related=None) -> None:
        """Write the pages of an indicator; its result gets their paths and its exports."""
        history = self.reader.history
        written = []
        result.related = related
        if ind.published:
            try:
                with time_budget():
                    changes = history.of(result.rel)
                    made = [page for renderer in self.renderers
                            for page in renderer.indicator_pages(ind, changes, history,
                                                                 related)]
            except FileTookTooLong:
                raise ContentError([too_long(result.rel)]) from None
            for path, html in made:
                out.write(path, html)
                written.append(path)
        exports = search.exports(ind) | opendata.exports(ind, self.exporting)
        if ind.published:  # its download, beside its pages
            path = pages.urls.indicator_json(ind.year_key, ind.code)
            out.write(path, opendata.indicator_document(exports, self.document_head))
            written.append(path)
        result.pages = written
        result.indicator.exports = exports


# -- the cache of the last build's results ----------------------------------------------------

def entry(result: FileResult) -> tuple[dict, bytes]:
    """A result as the cache keeps it: pickled without its exports, and its exports (so the
    exports cross from a worker to the parent once, not inside the pickle too)."""
    ind = result.indicator
    exports = ind.exports if ind is not None else {}
    if ind is not None:
        ind.exports = {}
    try:
        return exports, pickle.dumps(result, pickle.HIGHEST_PROTOCOL)
    finally:
        if ind is not None:
            ind.exports = exports


def cache_key(project: Project, theme: Theme, site: model.Site) -> str:
    """A hash of everything besides an indicator's own file that its pages depend on."""
    h = hashlib.blake2b(theme.key.encode(), digest_size=16)
    h.update(thai.build_date().isoformat().encode())  # pages say what is overdue today
    for name in SITE_FILES.values():
        path = project.content / name
        h.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b""))
    for page in site.pages:  # every page's footer links them
        h.update(page.source.encode() + b"\0" + page.title.encode() + page.title_en.encode())
    return h.hexdigest()


def _reusable(project: Project, out: Path, files: list[Path], cached: dict[str, bytes],
              history: history_mod.History) -> dict[str, tuple[FileResult, bytes]]:
    """Results of files unchanged since the last build whose pages are still there."""
    reused = {}
    for path in files if cached else ():
        rel = relative(path, project.root)
        if rel not in cached:
            continue
        blob, exports = cached[rel]
        old = pickle.loads(blob)
        if old.indicator is not None:
            old.indicator.exports = exports
        if old.digest != digest(path.read_bytes()) or old.history_key != history.key(rel):
            continue
        if all((out / p).is_file() for p in old.pages):
            reused[rel] = (old, cached[rel])
    return reused


def read_cache(out: Path, key: str) -> tuple[dict[str, bytes], dict[str, dict]]:
    """The last build's results, pickled, by file, and the facts of git blobs: if made by the
    same code, templates and site files (the key); otherwise nothing."""
    blobs = {}
    try:
        with open(out / STATE / CACHE, "rb") as f:
            if pickle.load(f) != (CACHE_FORMAT, key):
                return {}, {}
            facts = pickle.load(f)
            while True:
                try:
                    rel, blob = pickle.load(f)
                except EOFError:
                    return blobs, facts
                blobs[rel] = blob
    except (OSError, pickle.PickleError, EOFError, ValueError, TypeError, AttributeError):
        return {}, {}


class CacheWriter:
    """The next build's cache, written as the results arrive (the parent need not hold them
    all twice), and put in place with the site it describes (Staging.commit). The exports of
    the results it is given wait in `spool` till the site-wide files join them."""

    def __init__(self, out: Path, key: str, facts: dict, spool: Spool):
        self.out, self.tmp = out, out / STATE / f"{CACHE}.{os.getpid()}.tmp"
        self.spool = spool
        self.file = open(self.tmp, "wb")
        pickle.dump((CACHE_FORMAT, key), self.file, pickle.HIGHEST_PROTOCOL)
        pickle.dump(facts, self.file, pickle.HIGHEST_PROTOCOL)

    def add(self, rel: str, entry: tuple[bytes, dict]) -> dict:
        """A file's result: pickled without its exports, and its exports; those, spooled."""
        pickle.dump((rel, entry), self.file, pickle.HIGHEST_PROTOCOL)
        return self.spool.keep(entry[1])

    def close(self) -> Path:
        """The finished cache file, to put in place with the site (Staging.commit)."""
        self.file.close()
        return self.tmp

    def abandon(self) -> None:
        self.file.close()
        if not (self.out / STATE / JOURNAL).is_file():  # else the commit will use it
            self.tmp.unlink(missing_ok=True)
