"""The page kinds, declared once: where each kind's pages live, its template (or the function
that makes a data file), which items it has a page for, and what it shows.

What a page shows decides when the preview re-renders it: `groups` names the indicators it
lists ("agency:5042", "year:2564", "node:5.2"; ALL for every one), `shows` which aspects of
them (pipeline.ASPECTS: "listing", "csv", ...). Every path is relative to the site root and
every link relative to the page, so the site works from file://, from a zip, on any host.

Adding a page kind: one entry in KINDS and its template.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Iterator

from . import editor, metadata, opendata, reporting, search, workbook
from .i18n import N_, standard
from .write import Content, as_bytes

NO_YEAR = "no-year"  # the folder of indicators whose fiscal year is not known
ALL = "*"
LISTING = frozenset({"listing"})
SIZES = "sizes"  # what a page shows of the downloads: their sizes (it comes after them)


@dataclass(frozen=True)
class Page:
    """One output file: where it goes, and a template with its context (or a `make` function)."""

    path: str
    template: str = ""
    context: dict = field(default_factory=dict, hash=False)
    deps: frozenset = frozenset({ALL})  # the groups of indicators it shows
    make: Callable[[], Content] | None = field(default=None, hash=False)
    shows: frozenset = LISTING  # which aspects of those indicators


@dataclass
class SiteData:
    """What the site's pages are made from: the catalog, the build date, the history, and the
    words of the language being built."""

    cat: Any  # catalog.Catalog
    built: dt.date
    history: Any  # history.History
    labels: Any = None  # render.Labels
    files: list = field(default_factory=list)  # gather.ContentFile: published as they are
    prefix: str = ""  # the folder of the language being built: "" or "en/"
    sizes: dict = field(default_factory=dict)  # path -> bytes, of the downloads made so far
    booklets: list = field(default_factory=list)  # booklets.Booklet: this build's PDF booklets
    scratch: Path | None = None  # where a large download is made before it is written

    @cached_property
    def exporting(self):
        return opendata.Exporting(self.cat.site, standard("th"))  # the downloads are in Thai

    @cached_property
    def booklet_paths(self) -> dict[tuple[str, str], str]:
        """(year, agency code) -> the booklet's path ('' for every agency's of the year)."""
        return {(b.year, b.agency.code if b.agency else ""): b.path for b in self.booklets}

    def made(self, path: str, content: Content) -> Content:
        """`content`, its size noted (a download in pieces: once the last is written)."""
        if isinstance(content, (str, bytes)):
            self.sizes[path] = len(as_bytes(content))
            return content
        return self._counted(path, content)

    def _counted(self, path: str, pieces: Iterable[bytes]) -> Iterator[bytes]:
        size = 0
        for piece in pieces:
            size += len(piece)
            yield piece
        self.sizes[path] = size

    def size(self, path: str) -> int:
        """A download's size in bytes, for the downloads page: kept when the file was made in
        this build (the page comes after the files), else made again."""
        if path not in self.sizes:
            shared = replace(self, prefix="")
            as_bytes(next(page for kind in KINDS if kind.shared and kind.make
                          for page in kind.pages(shared) if page.path == path).make())
        return self.sizes[path]


@dataclass(frozen=True)
class Kind:
    """A kind of page: one per item of `each` (or one page when `each` is None)."""

    name: str
    path: Callable[..., str]  # the page's path from its key
    template: str = ""
    make: Callable[[SiteData, Any], Content] | None = None  # a data file, not a template
    each: Callable[[SiteData], Iterable] | None = None
    key: Callable[[Any], tuple] = lambda item: (item,)  # the path's arguments, from an item
    item: str = ""  # the item's name in the template's context
    groups: Callable[[Any], frozenset] = lambda item: frozenset({ALL})
    shows: frozenset = LISTING
    context: Callable[[SiteData, Any], dict] = lambda data, item: {}
    sitemap: bool = False  # search engines should list it (when the site has an address)
    shared: bool = False  # one file for every language, at the site's top (downloads)
    label: str = N_("a page of the site's own")  # message id: what it is, in messages
    def path_of(self, item: Any = None) -> str:
        return self.path() if item is None else self.path(*self.key(item))

    def pages(self, data: SiteData) -> Iterator[Page]:
        if self.shared and data.prefix:
            return  # made once, with the first language's pages
        prefix = "" if self.shared else data.prefix
        for item in self.each(data) if self.each else [None]:
            context = {"cat": data.cat, "booklets": data.booklet_paths,
                       **({self.item: item} if self.item else {}),
                       **self.context(data, item)}
            path = prefix + self.path_of(item)
            make = (lambda item=item, path=path: data.made(path, self.make(data, item))) \
                if self.make else None
            yield Page(path, self.template, context, self.groups(item), make, self.shows)


def _home(data: SiteData, _) -> dict:
    """The home page lists the latest days' changes, each with what it changed."""
    return {"build_date": data.built, "history": data.history, "days": _days(data)[:8]}


def _days(data: SiteData) -> list[tuple[dt.date, list]]:
    """The latest changes by day (in Bangkok), newest first: (day, [(change, indicator)]),
    each indicator once a day with all that day's changes to it."""
    days: dict[dt.date, dict] = {}
    for change, ind in _recent(data):  # newest first: an earlier change goes before
        day = days.setdefault(change.date, {})
        later = day.get(change.path)
        if later is not None:
            change = replace(later[0], facts=change.facts + later[0].facts,
                             added=change.added or later[0].added)
        day[change.path] = (change, ind if later is None else later[1])
    return [(day, list(changes.values())) for day, changes in days.items()]


def _json_feed(data: SiteData, _) -> str:
    """The latest changes as JSON Feed 1.1, in this language's words."""
    import json

    site, labels = data.cat.site, data.labels
    base = f"{site.base_url}/{data.prefix}" if site.base_url else ""
    words = labels.words
    items = [{"id": f"urn:kpisite:{change.commit}:{change.path}",
              "title": f"{ind.code} {labels.plain(ind, 'name')}" if ind else change.path,
              "content_text": labels.change_summary(change),
              "date_published": change.when.isoformat(),
              **({"url": base + ind.path} if ind and base else {})}
             for change, ind in _recent(data)]
    feed = {"version": "https://jsonfeed.org/version/1.1",
            "title": words("%(site)s: latest changes", site=labels.plain(site, "title")),
            "language": words.lang, "items": items,
            **({"home_page_url": base + "changes.html",
                "feed_url": base + "feed.json"} if base else {})}
    return json.dumps(feed, ensure_ascii=False, indent=1) + "\n"


def _recent(data: SiteData) -> list:
    """The latest changes to published files, each with its indicator (None: gone)."""
    cat = data.cat
    return [(change, cat.by_source.get(change.path))
            for change in data.history.recent(lambda path: path not in cat.drafts)]


def _node_groups(node) -> frozenset:
    return frozenset(f"node:{n.number}" for n in node.walk())


def _agency_groups(agency) -> frozenset:
    return frozenset({f"agency:{agency.code}"})


def _sitemap(data: SiteData, _) -> str:
    """sitemap.xml of the pages a search engine should list (printable views left out)."""
    from xml.sax.saxutils import escape

    paths = []
    for lang in data.cat.site.languages:  # the site's pages in each language
        local = replace(data, prefix=language_prefix(data.cat.site, lang))
        paths += [page.path for kind in KINDS if kind.sitemap for page in kind.pages(local)]
        paths += [local.prefix + kind.path_of(ind) for kind in INDICATOR_KINDS if kind.sitemap
                  for ind in data.cat.indicators]
    base = data.cat.site.base_url
    entries = "".join(f"<url><loc>{escape(base + '/' + p)}</loc></url>\n" for p in paths)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + entries + "</urlset>\n")


# Each indicator's own pages, rendered where its file is read; they share rendered parts.
INDICATOR_KINDS: tuple[Kind, ...] = (
    Kind("indicator", lambda year, code: f"indicators/{year}/{code}.html", "indicator.html",
         key=lambda ind: (ind.year_key, ind.code), sitemap=True,
         label=N_("the page of %(item)s")),
    Kind("indicator_print", lambda year, code: f"indicators/{year}/{code}.print.html",
         "print.html", key=lambda ind: (ind.year_key, ind.code),
         label=N_("the printable view of %(item)s")),
)
INDICATOR_PARTS = {"facts": "_indicator_facts.html", "sections": "_indicator_sections.html"}
# Each indicator's own download, also written where its file is read (once, for all languages).
INDICATOR_JSON = Kind("indicator_json", lambda year, code: f"data/indicators/{year}/{code}.json",
                      key=lambda ind: (ind.year_key, ind.code), shared=True,
                      label=N_("the JSON of %(item)s"))

# The pages that list indicators, rendered once every indicator is read.
KINDS: tuple[Kind, ...] = (
    Kind("HOME", lambda: "index.html", "home.html", context=_home, sitemap=True),
    Kind("FEED", lambda: "feed.xml", "feed.xml",
         context=lambda data, _: {"history": data.history, "recent": _recent(data)}),
    Kind("JSON_FEED", lambda: "feed.json", make=_json_feed),
    Kind("CHANGES", lambda: "changes.html", "changes.html", sitemap=True,
         context=lambda data, _: {"history": data.history, "days": _days(data)}),
    Kind("STRATEGY", lambda: "strategy/index.html", "strategy_index.html", sitemap=True),
    Kind("STRATEGY_NONE", lambda: "strategy/none.html", "strategy_none.html",
         groups=lambda _: frozenset({"node:"})),
    Kind("strategy_node", lambda number: f"strategy/{number.replace('.', '-')}.html",
         "strategy_node.html", each=lambda data: data.cat.site.strategy.walk(),
         key=lambda node: (node.number,), item="node", groups=_node_groups, sitemap=True),
    Kind("AGENCIES", lambda: "agencies/index.html", "agency_index.html", sitemap=True),
    Kind("agency", lambda code: f"agencies/{code}.html", "agency.html",
         each=lambda data: data.cat.agencies, key=lambda agency: (agency.code,), item="agency",
         groups=_agency_groups, sitemap=True, label=N_("the page of agency %(item)s")),
    Kind("agency_csv", lambda code: f"data/agencies/{code}.csv",
         each=lambda data: opendata.agencies_with_data(data.cat), key=lambda a: (a.code,),
         groups=_agency_groups, shows=frozenset({"csv"}), label=N_("the CSV of agency %(item)s"),
         make=lambda data, a: opendata.csv_file(data.cat.by_agency[a.code]), shared=True),
    Kind("agency_json", lambda code: f"data/agencies/{code}.json",
         each=lambda data: opendata.agencies_with_data(data.cat), key=lambda a: (a.code,),
         groups=_agency_groups, shows=frozenset({"json"}), label=N_("the JSON of agency %(item)s"),
         make=lambda data, a: opendata.json_file(data.cat.by_agency[a.code], data.cat,
                                                 data.exporting, data.built), shared=True),
    Kind("year_csv", lambda key: f"data/years/{key}.csv", each=lambda data: data.cat.years,
         groups=lambda year: frozenset({f"year:{year}"}), shows=frozenset({"csv"}),
         make=lambda data, year: opendata.csv_file(data.cat.by_year[year]), shared=True,
         label=N_("the CSV of fiscal year %(item)s")),
    Kind("YEARS", lambda: "years/index.html", "year_index.html", sitemap=True),
    Kind("year", lambda key: f"years/{key}.html", "year.html", each=lambda data: data.cat.years,
         item="year", groups=lambda year: frozenset({f"year:{year}"}), sitemap=True),
    Kind("comparison", lambda family, year: f"compare/{family}/{year}.html", "comparison.html",
         each=lambda data: data.cat.families, key=lambda group: group[:2], item="group",
         groups=lambda group: frozenset({f"family:{group[0]}"}), sitemap=True,
         label=N_("the comparison %(item)s")),
    Kind("SEARCH", lambda: "search.html", "search.html", groups=lambda _: frozenset(),
         sitemap=True),
    Kind("search_index", lambda: "search-index.js", shows=frozenset({"search", "texts"}),
         make=lambda data, _: search.index_script(data.cat, data.labels, data.prefix)),  # says texts' size
    Kind("search_texts", lambda: "search-texts.js", shows=frozenset({"texts"}), shared=True,
         make=lambda data, _: search.texts_script(data.cat)),
    Kind("REPORTING", lambda: "reporting.html", "reporting.html", sitemap=True,
         shows=frozenset({"reporting"}),
         context=lambda data, _: {"build_date": data.built, "gaps": lambda: reporting.by_agency(
             data.cat, data.built, data.cat.site.report_days)}),  # made only when rendered
    Kind("PRINT_CSS", lambda: "print.css", "print.css", groups=lambda _: frozenset()),
    # The site-wide downloads, then the page that lists them with their sizes.
    Kind("table_csv", lambda name: f"data/{name}.csv", each=lambda data: opendata.TABLES,
         key=lambda table: (table.name,), shows=frozenset({"csv"}), shared=True,
         make=lambda data, table: opendata.table_file(table, data.cat, data.exporting)),
    Kind("all_json", lambda: "data/indicators.json", shows=frozenset({"json"}), shared=True,
         make=lambda data, _: opendata.json_file(data.cat.indicators, data.cat, data.exporting,
                                                 data.built)),
    Kind("workbook", lambda: "data/indicators.xlsx", shows=frozenset({"csv"}), shared=True,
         make=lambda data, _: workbook.make(data.cat, data.exporting, data.built, data.scratch)),
    Kind("datapackage", lambda: "data/datapackage.json", shows=frozenset({"csv", SIZES}), shared=True,
         make=lambda data, _: metadata.datapackage(data)),
    Kind("dcat", lambda: "data/catalog.jsonld", shows=frozenset({"csv", "json", SIZES}), shared=True,
         make=lambda data, _: metadata.dcat(data)),
    Kind("thai_gdc", lambda: "data/thai-gdc.json", shows=frozenset({"csv", "json"}),
         shared=True, make=lambda data, _: metadata.thai_gdc(data)),
    Kind("DATA", lambda: "data/index.html", "data.html", sitemap=True,
         shows=frozenset({"csv", "json", SIZES}),
         context=lambda data, _: {"built": data.built, "size": data.size}),
    Kind("content_page", lambda name: f"pages/{name}.html", "content_page.html",
         each=lambda data: data.cat.site.pages, key=lambda page: (page.name,), item="page",
         groups=lambda _: frozenset(), sitemap=True, label=N_("the page %(item)s")),
    Kind("NOT_FOUND", lambda: "404.html", "404.html", groups=lambda _: frozenset(),
         context=lambda data, _: {"anywhere": True}),  # a host shows it at any address
    Kind("ROBOTS", lambda: "robots.txt", groups=lambda _: frozenset(), shared=True,
         make=lambda data, _: metadata.robots(data.cat.site)),
    Kind("content_file", lambda rel: rel, each=lambda data: data.files,
         key=lambda f: (f.rel,), groups=lambda _: frozenset(), shows=frozenset(),
         make=lambda data, f: f.path.read_bytes(), label=N_("the file %(item)s"), shared=True),
)
# The editor form: one for the site, in its first language; left out of the offline zip, since
# it saves through the site's git host (or serve --edit's local backend).
EDITOR_KINDS: tuple[Kind, ...] = (
    Kind("ADMIN", lambda: "admin/index.html", "admin.html", groups=lambda _: frozenset(),
         shared=True),
    Kind("admin_config", lambda: "admin/config.yml", groups=lambda _: frozenset(), shared=True,
         make=lambda data, _: editor.config_text(data.cat.site, data.labels.words)),
    Kind("admin_script", lambda name: f"admin/{name}", each=lambda data: editor.SCRIPT_FILES,
         groups=lambda _: frozenset(), shows=frozenset(), shared=True,
         make=lambda data, name: (editor.BUNDLE / name).read_bytes()),
)
KINDS += EDITOR_KINDS
# The PDF booklets (booklets.py): printed from the printable views once every page is written,
# in builds that ask for them.
BOOKLET_FOLDER = "booklets"
BOOKLET_KINDS: tuple[Kind, ...] = (
    Kind("agency_booklet", lambda year, code: f"{BOOKLET_FOLDER}/{year}/{code}.pdf",
         each=lambda data: [b for b in data.booklets if b.agency],
         key=lambda b: (b.year, b.agency.code), shared=True, label=N_("a PDF booklet")),
    Kind("year_booklet", lambda year: f"{BOOKLET_FOLDER}/{year}.pdf",
         each=lambda data: [b for b in data.booklets if not b.agency],
         key=lambda b: (b.year,), shared=True, label=N_("a PDF booklet")),
)
EDITOR_FOLDER = "admin/"
SITEMAP = Kind("sitemap", lambda: "sitemap.xml", make=_sitemap, shared=True)


def site_pages(data: SiteData) -> Iterator[Page]:
    """Every output besides the indicators' own pages: the pages and files that list them."""
    for kind in KINDS:
        yield from kind.pages(data)
    if data.cat.site.base_url:
        yield from SITEMAP.pages(data)


def claims(data: SiteData) -> Iterator[tuple[str, Kind, Any]]:
    """(path, kind, item) of every output the site will have: each path must be claimed once,
    as its letters' case aside (a zip unpacked on Windows or macOS would merge them)."""
    for lang in data.cat.site.languages:
        prefix = language_prefix(data.cat.site, lang)
        for kind in INDICATOR_KINDS + (() if prefix else (INDICATOR_JSON,)):
            for ind in data.cat.indicators:
                yield prefix + kind.path_of(ind), kind, ind
        for kind in KINDS + BOOKLET_KINDS + ((SITEMAP,) if data.cat.site.base_url else ()):
            if kind.shared and prefix:
                continue
            for item in kind.each(data) if kind.each else [None]:
                yield ("" if kind.shared else prefix) + kind.path_of(item), kind, item


def _link(kind: Kind) -> Callable[..., str] | str:
    return kind.path if kind.each or kind.key is not Kind.key else kind.path()


# Where pages live, for templates and code: urls.agency("5042"), urls.year("2564"), urls.HOME.
urls = SimpleNamespace(**{kind.name: _link(kind)
                          for kind in INDICATOR_KINDS + (INDICATOR_JSON,) + KINDS + BOOKLET_KINDS})


def language_prefix(site, lang: str) -> str:
    """The folder of a language's pages: the site's first language is at the top."""
    return "" if lang == site.languages[0] else f"{lang}/"


def root_of(path: str) -> str:
    """The relative prefix from a page back to the site root: '', '../', '../../'."""
    return "../" * path.count("/")


def edit_url(site, source: str) -> str:
    """The repository's web editor for a content file (GitHub's form), or '' without one.

    `source` is relative to the content's parent; site.yaml's `repository_folder` names where
    that is in the repository, when it is not the top."""
    from urllib.parse import quote

    if not site.repository:
        return ""
    path = f"{site.repository_folder}/{source}" if site.repository_folder else source
    return f"{site.repository}/edit/{quote(site.branch)}/{quote(path)}"
