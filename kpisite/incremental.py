"""The preview server's state: what each page shows, what an edit changed, and updating only
those pages. Used by `serve` alone; a build knows nothing of it.

An edit of indicator files re-reads them, checks them with the rest, and only then renders
their pages and the site's pages that show what changed (pages.Kind.groups and .shows, and
ASPECTS below). The site's pages can come later (`update(..., site_pages=False)`): then they
wait in `pending` for `site_work()`, which the preview server renders in a child process so
that the page being edited is served at once (a year's list or the workbook of 10,000
indicators take seconds). An edited template re-renders the pages that use it; an edit of the site
files, the schemas, the catalogues or an indicator template rebuilds everything, with a new
Theme (nothing read from the old files is kept).
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from . import THEME, fields, i18n, model, pages, related
from .diagnostics import ContentError, errors
from .gather import (FileResult, Project, Reader, Summary, across, catalog_of, page_clashes,
                     problems_of)
from .load import relative
from .publish import CACHE, Built, Publisher, build, renderers
from .theme import Theme
from .write import STATE, Deferred, Direct, locked

# The parts of an indicator that pages show: a page is re-rendered only when that part of an
# indicator in one of its groups changed (a quarter's result is in the CSV, but in no list).
ASPECTS = {
    "listing": lambda i: (tuple(getattr(i, f.key) for f in fields.LISTED), i.sort_key,
                          i.status, i.achieved_value),
    "search": lambda i: i.exports["search"],
    "texts": lambda i: i.exports["search_text"],
    "csv": lambda i: i.exports["tables"],  # every table's lines (quarters, rubric, ...)
    "json": lambda i: i.exports["json"],
    # what reporting.html lists: the missing quarters, and the indicator's name and place
    "reporting": lambda i: (i.reported_quarters, i.year_key, i.type, i.code, i.name, i.name_en,
                            i.agency, i.sort_key),
}
INDICATOR_TEMPLATES = {kind.template for kind in pages.INDICATOR_KINDS} | set(
    pages.INDICATOR_PARTS.values())


def changed_aspects(old: model.Indicator | None, new: model.Indicator | None) -> dict[str, set]:
    """For each aspect that differs between two versions of an indicator, the groups touched."""
    shown = lambda i: {k: key(i) for k, key in ASPECTS.items()} if i and i.published else {}  # noqa
    before, after = shown(old), shown(new)
    touched = (groups(old) if old else set()) | (groups(new) if new else set())
    return {aspect: touched for aspect in ASPECTS if before.get(aspect) != after.get(aspect)}


def listed_alike(old: model.Indicator | None, new: model.Indicator | None) -> bool:
    """Whether `new` takes `old`'s place in every list of the catalog (Catalog.replace): the
    same order, groups and family ranking, published both (or a draft both)."""
    place = lambda i: (i.published, i.source, i.sort_key, i.year_key, i.agency,  # noqa: E731
                       tuple(i.strategy), i.family, i.status, i.achieved_value, i.target,
                       i.direction)  # a family ranks by result, the better by direction
    return old is not None and new is not None and place(old) == place(new)


def claim(summary: Summary | None) -> tuple | None:
    """What a file claims of the site: a year and code (its pages), when it is published."""
    if summary is None or summary.code is None:
        return None
    return summary.year_key, summary.code, summary.published


def groups(ind: model.Indicator) -> set[str]:
    """The groups an indicator belongs to, as pages name them (Kind.groups)."""
    nodes = {f"node:{n}" for n in ind.strategy} or {"node:"}
    family = {f"family:{ind.family}"} if ind.family else set()
    return {f"year:{ind.year_key}", f"agency:{ind.agency or ''}", *nodes, *family}


def related_facts(result) -> tuple | None:
    """What other indicators' pages show of this one (related.py): when it changes, their
    pages render again."""
    ind = result and result.indicator
    if ind is None or not ind.published:
        return None
    return (ind.continues, ind.family, ind.year_key, ind.code, ind.target, ind.achieved_value,
            ind.status, ind.agency, ind.direction)


class Preview:
    """One project built into one output folder, kept up to date after each edit."""

    def __init__(self, project: Project, out: Path, strict: bool = False, jobs: int | None = None,
                 theme_root: Path = THEME):
        self.project, self.out, self.strict, self.jobs = project, out, strict, jobs
        self.theme_root = theme_root
        self.built: Built | None = None
        self.clashes: list = []  # the pages two sources would write, at the last look
        self.catalog = None
        self._reset()

    def _reset(self) -> None:
        self.stale: dict[str, set[str]] = defaultdict(set)  # aspect (or "template") -> groups
        # Files read since the last update that was written: (the result the site shows,
        # the new result, the whole indicator to render); kept while the content has errors.
        self.edits: dict[str, tuple[FileResult | None, FileResult | None, object]] = {}
        self.unwritten: dict[str, str | bytes | None] = {}  # writes an update could not yet do
        self.pending: dict[str, None] = {}  # site pages (paths, in order) not yet rendered again

    def new_theme(self) -> Theme:
        """The theme as its files are now: kpisite's, with the site's own over it."""
        return Theme(self.theme_root, site=self.project.root)

    def build(self) -> None:
        """Build everything again, with a new Theme."""
        i18n.standard.cache_clear()  # the commands' messages too: the catalogue may have changed
        # No booklets: they take seconds each, and the preview must not wait for them.
        self.built = build(self.project, self.out, self.strict, self.jobs, self.new_theme(),
                           booklets=False)
        self.catalog = self.built.catalog
        self.summaries = {rel: Summary.of(r) for rel, r in self.built.results.items()}
        self._check_across()
        self._reset()

    def concerns(self, path: Path) -> bool:
        """Whether a change of `path` can change the site: not an editor's temporary file
        beside the indicators (only their YAML files are read there)."""
        return not path.resolve().is_relative_to(self.project.indicators.resolve()) or \
            path.suffix in (".yaml", ".yml")

    def update(self, changed: set[Path], site_pages: bool = True) -> list[str] | None:
        """Bring the site up to date after `changed` files changed; what was written (None:
        everything was rebuilt). Raises ContentError, and then writes nothing. Without
        `site_pages`, the site's pages that show the change are left in `pending`."""
        changed = {p.resolve() for p in changed}
        built = self.built
        theme = built.theme if built else None
        templates = {p.name for p in changed if theme and theme.is_template(p)}
        static = [p for p in changed if theme and theme.is_static(p)]
        inds = [p for p in changed if p.is_relative_to(self.project.indicators.resolve())
                and p.suffix in (".yaml", ".yml")]
        affected = built.renderers[0].templates_using(templates) if built and templates \
            else set()
        if (built is None or len(inds) + len(static) + len(templates) < len(changed)
                or affected & INDICATOR_TEMPLATES):
            self.build()
            return None
        if templates:
            built.renderers = renderers(built.site, theme)
            self.stale["template"] |= affected
        later = Deferred(self.unwritten)
        if static:
            later.copy_trees(theme.static_folders, "static", self.out)
        self._read(inds)
        problems = problems_of(built.site_problems, self.summaries.values(), self.project.root,
                               self.strict, self.across)
        if errors(problems):  # nothing is written; edits, stale and unwritten keep the work
            raise ContentError(problems)
        self._render_edits(later)
        with locked(self.out):
            # The build's cache no longer describes the site: the next build trusts none of it.
            (self.out / STATE / CACHE).unlink(missing_ok=True)
            out = Direct(self.out)
            written = later.apply(out, keep=self._owned)
            self._select_site_pages(out)
            return written + (self.render_site_pages(out) if site_pages else [])

    def _read(self, paths: list[Path]) -> None:
        """Read edited files into the results (gather: nothing rendered yet); the rules
        across files run again only when an indicator's year, code or publication changed."""
        results, summaries = self.built.results, self.summaries
        reader = Reader(self.project, self.built.site, self.built.theme, self.built.history)
        identity_changed = gained = False
        for path in sorted(paths):
            rel = relative(path, self.project.root)
            shown = self.edits[rel][0] if rel in self.edits else results.get(rel)
            new, full = reader.read(path) if path.is_file() else (None, None)
            old = summaries.pop(rel, None)
            results.pop(rel, None)
            if new is not None:
                results[rel], summaries[rel] = new, Summary.of(new)
            self.edits[rel] = (shown, new, full)
            now = summaries.get(rel)
            identity_changed |= claim(old) != claim(now)
            gained |= claim(now) is not None and claim(now) != claim(old)
        if identity_changed:
            self._check_across(claims_added=gained)

    def _check_across(self, claims_added: bool = True) -> None:
        """The rules across files: codes unique in a year, each page claimed once. Pages
        only unclaimed (a file made invalid, say) make no new clash: with none before, the
        pages' claims (a third of a second at 10,000 indicators) are not gone through."""
        built = self.built
        if claims_added or self.clashes:
            self.clashes = page_clashes(self.project, catalog_of(built.site, built.results),
                                        built.files)
        self.across = across(self.summaries.values(), self.project.root) + self.clashes

    def _render_edits(self, later: Deferred) -> None:
        """The edited files' pages (into `later`); what the edits make stale; the catalog;
        the pages of other files that show an edited one (its series and family)."""
        built = self.built
        publisher = Publisher(Reader(self.project, built.site, built.theme, built.history),
                               built.renderers, built.site)
        moved = [r.indicator for shown, new, _ in self.edits.values()
                 if related_facts(shown) != related_facts(new)
                 for r in (shown, new) if r and r.indicator and r.indicator.published]
        for rel, (shown, new, full) in self.edits.items():
            if new is not None and full is not None:
                publisher.publish(new, full, later, built.relations.get(rel))
            for gone in set(shown.pages if shown else ()) - set(new.pages if new else ()):
                later.changes.setdefault(gone, None)
            before, after = shown and shown.indicator, new and new.indicator
            for aspect, touched in changed_aspects(before, after).items():
                self.stale[aspect] |= touched
        self._update_catalog()
        others = self._new_relations(moved) if moved else set()
        for rel in sorted(others):  # files whose related indicators changed (edited ones too)
            result, full = publisher.reader.read(self.project.root / rel)
            if full is not None:
                publisher.publish(result, full, later, built.relations.get(rel))
                built.results[rel].pages, built.results[rel].related = result.pages, \
                    result.related
        self.edits = {}

    def _update_catalog(self) -> None:
        """The catalog with the edits: each new version put in its old one's place when the
        two list alike (a new name, a quarter's result), else the catalog made afresh."""
        built = self.built
        pairs = [(shown and shown.indicator, new and new.indicator)
                 for shown, new, _ in self.edits.values()]
        if not all(listed_alike(old, new) for old, new in pairs):
            self.catalog = catalog_of(built.site, built.results)
            return
        for old, new in pairs:
            if old.published:
                self.catalog.replace(old, new)

    def _new_relations(self, edited: list) -> set[str]:
        """The relations after an edit, made again around the edited indicators; the files
        whose relations changed."""
        built = self.built
        return related.updated(built.relations, self.catalog.indicators, edited) & \
            built.results.keys()

    def _owned(self) -> set[str]:
        return {page for r in self.built.results.values() for page in r.pages}

    def _select_site_pages(self, out: Direct) -> None:
        """The site's pages that show something stale go to `pending`; pages no longer made
        are removed."""
        built, produced, stale = self.built, set(), self.stale
        for _renderer, page in built.site_pages(self.catalog):
            produced.add(page.path)
            groups_ = set().union(*(stale.get(aspect, ()) for aspect in page.shows))
            if page.template in stale["template"] or page.deps & groups_ or (
                    groups_ and pages.ALL in page.deps):
                self.pending[page.path] = None
        for gone in built.site_paths - produced:  # e.g. the data files of an agency now empty
            out.remove(gone)
            self.pending.pop(gone, None)
        built.site_paths, self.stale = produced, defaultdict(set)

    def site_work(self) -> list[tuple[object, pages.Page]]:
        """The pending site pages with their renderers, in the order a reader needs them: the
        pages first, then the downloads, then what tells the downloads' sizes (it would make
        each download once more to learn its size)."""
        work = [(renderer, page) for renderer, page in self.built.site_pages(self.catalog)
                if page.path in self.pending]
        return sorted(work, key=lambda job: _reader_order(job[1]))

    def render_site_pages(self, out: Direct) -> list[str]:
        """The pending site pages, rendered and written here; those that changed."""
        written = []
        for renderer, page in self.site_work():
            if out.write(page.path, renderer.render(page)):
                written.append(page.path)
            self.pending.pop(page.path, None)
        return written


def _reader_order(page: pages.Page) -> int:
    """0 for a page, 1 for a download, 2 for a page that states the downloads' sizes."""
    if page.make is not None:
        return 1
    return 2 if "size" in page.context else 0
