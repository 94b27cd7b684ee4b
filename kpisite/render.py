"""The Jinja environment, and the list of pages to render.

Templates live in templates/ and are plain Jinja: a designer can edit them without Python.
Autoescape is on; content is passed as data, never compiled as a template.

Every page that lists indicators says which groups of indicators it shows (`deps`): a page
with {"agency:5042"} changes only when an indicator of agency 5042 does, so the preview server
re-renders only what an edit touches. "*" means every indicator.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Iterator

import jinja2
import jinja2.meta
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from . import THEME, catalog as catalog_mod, chart, markup, model, opendata, search, thai, urls

TEMPLATE_DIR = THEME / "templates"
MACROS = "_macros.html"  # its macros are available to every template
ALL = "*"


@dataclass(frozen=True)
class Page:
    """One output file: where it goes, and a template with its context (or a `make` function)."""

    path: str
    template: str = ""
    context: dict = field(default_factory=dict, hash=False)
    deps: frozenset = frozenset({ALL})
    make: Callable[[], str | bytes] | None = field(default=None, hash=False)
    shows: frozenset = frozenset({"listing"})  # which parts of its indicators (see ASPECTS)


# The parts of an indicator that pages show: a page is re-rendered only when that part of an
# indicator in one of its groups changed (a quarter's result is in the CSV, but in no list).
ASPECTS = {
    "listing": lambda i: (i.sort_key, i.fiscal_year, i.code, i.name, i.agency, i.type, i.status,
                          i.target, i.achieved_value, i.unit, tuple(i.strategy)),
    "search": lambda i: i.exports["search"],
    "texts": lambda i: i.exports["search_text"],
    "csv": lambda i: i.exports["csv"],
    "json": lambda i: i.exports["json"],
}


def changed_aspects(old: model.Indicator | None, new: model.Indicator | None) -> dict[str, set]:
    """For each aspect that differs between two versions of an indicator, the groups touched."""
    shown = lambda i: {k: key(i) for k, key in ASPECTS.items()} if i and i.published else {}  # noqa
    before, after = shown(old), shown(new)
    touched = (groups(old) if old else set()) | (groups(new) if new else set())
    return {aspect: touched for aspect in ASPECTS if before.get(aspect) != after.get(aspect)}


def groups(ind: model.Indicator) -> set[str]:
    """The groups an indicator belongs to, as named in Page.deps."""
    nodes = {f"node:{n}" for n in ind.strategy} or {"node:"}
    return {f"year:{ind.year_key}", f"agency:{ind.agency or ''}", *nodes}


def reported(value, unit: str = "", missing: str = "ยังไม่รายงาน") -> Markup:
    """A recorded number with its unit in Thai order, or `missing` (never 0) when there is none."""
    if value is None:
        return Markup('<span class="blank">%s</span>') % missing
    return escape(model.with_unit(model.fmt(value), unit))


class _Environment(Environment):
    """Jinja's Environment, but a template's globals are a plain dict, taken when it loads.

    Jinja gives each template a ChainMap over the environment's globals and copies it into a
    dict on every render, key by key in Python: a tenth of rendering an indicator's pages.
    So a global must be set before the templates that use it load (Renderer does), as
    Jinja's documentation advises anyway.
    """

    def make_globals(self, d):
        return {**self.globals, **(d or {})}


def environment() -> Environment:
    """Jinja with autoescape on, undefined names an error, and the templates/ folder.

    Templates are not re-checked on disk for each page (that was 30 stat calls an indicator);
    the preview server makes a new Renderer when a template changes.
    """
    return _Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True, auto_reload=False,
                        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def error_page(problems: list) -> str:
    """The preview server's page listing the content's errors (and warnings)."""
    return environment().get_template("error.html").render(
        errors=[p for p in problems if p.severity == "error"],
        warnings=[p for p in problems if p.severity != "error"])


class Renderer:
    """Renders pages of one site; one instance per build (shared by worker processes)."""

    def __init__(self, site: model.Site):
        self.site = site
        env = environment()
        env.filters.update(num=model.fmt, reported=reported, with_unit=model.with_unit,
                           thai_digits=thai.thai_digits, md=markup.render,
                           thai_date=thai.format_date)
        env.globals.update(site=site, urls=urls, year_label=catalog_mod.year_label,
                           STATUSES=model.STATUSES, STATUS_RULE=model.STATUS_RULE,
                           TYPES=model.TYPES, year_span=thai.year_span,
                           quarter_chart=chart.quarter_chart, opendata=opendata)
        # Every macro of _macros.html is a global: importing it costs each indicator ~50 µs.
        macros = env.get_template(MACROS).module
        env.globals.update({name: getattr(macros, name) for name in macros.__dict__
                            if isinstance(getattr(macros, name), jinja2.runtime.Macro)})
        # All compiled now, in the parent: forked workers inherit them, and the preview
        # server's first edit no longer compiles the indicator's templates (33 ms of its 100).
        for name in env.list_templates():
            env.get_template(name)
        self.env = env

    def render(self, page: Page) -> str | bytes:
        """The content of one output; `root` leads from the page back to the site root."""
        if page.make is not None:
            return page.make()
        template = self.env.get_template(page.template)
        return template.render(page.context, page_path=page.path, root=urls.root_of(page.path))

    def indicator_pages(self, ind: model.Indicator, changes: list = (), history=None
                        ) -> list[tuple[str, str]]:
        """The indicator's page and its printable view; their shared parts render once."""
        context = {"ind": ind, "agency": self.site.agency(ind.agency),
                   "strategy_paths": [self.site.strategy.by_number[n].ancestry
                                      for n in ind.strategy if n in self.site.strategy.by_number],
                   "changes": list(changes), "history": history,
                   "edit_url": urls.edit(self.site, ind.source)}
        for name, template in (("facts", "_indicator_facts.html"),
                               ("sections", "_indicator_sections.html")):
            context[name] = Markup(self.render(Page(ind.path, template, context)))
        return [(page.path, self.render(page)) for page in (
            Page(ind.path, "indicator.html", context), Page(ind.print_path, "print.html", context))]

    def templates_using(self, changed: set[str]) -> set[str]:
        """The templates that include, import or extend any of `changed`, and `changed`."""
        uses: dict[str, set[str]] = {}
        for name in self.env.list_templates(extensions=["html"]):
            source = self.env.loader.get_source(self.env, name)[0]
            uses[name] = set(jinja2.meta.find_referenced_templates(self.env.parse(source)))
            uses[name].add(MACROS)  # its macros are globals: any template may call them
        affected = set(changed)
        while True:
            more = {name for name, refs in uses.items() if refs & affected} - affected
            if not more:
                return affected
            affected |= more


# The templates rendered for each indicator (templates_using finds what they include).
INDICATOR_TEMPLATES = {"indicator.html", "print.html", "_indicator_facts.html",
                       "_indicator_sections.html"}


def site_pages(cat: catalog_mod.Catalog, built: dt.date, history) -> Iterator[Page]:
    """Every output besides the indicators' own pages: the pages and files that list them."""
    recent = [(change, cat.by_source.get(change.path))
              for change in history.recent(lambda path: path not in cat.drafts)]
    commits: dict[str, list] = {}  # the home page lists commits, each with what it changed
    for change, ind in recent:
        commits.setdefault(change.commit, []).append((change, ind))
    yield Page(urls.HOME, "home.html", {"cat": cat, "build_date": built, "history": history,
                                        "commits": list(commits.values())[:8]})
    yield Page(urls.FEED, "feed.xml", {"cat": cat, "history": history, "recent": recent})
    yield Page(urls.STRATEGY, "strategy_index.html", {"cat": cat})
    yield Page(urls.STRATEGY_NONE, "strategy_none.html", {"cat": cat}, frozenset({"node:"}))
    for node in cat.site.strategy.walk():
        yield Page(node.path, "strategy_node.html", {"cat": cat, "node": node},
                   frozenset(f"node:{n.number}" for n in node.walk()))
    yield Page(urls.AGENCIES, "agency_index.html", {"cat": cat})
    for agency in cat.agencies:
        deps = frozenset({f"agency:{agency.code}"})
        yield Page(agency.path, "agency.html", {"cat": cat, "agency": agency}, deps)
        inds = cat.by_agency.get(agency.code)
        if inds:
            yield Page(opendata.agency_csv(agency.code), deps=deps, shows=frozenset({"csv"}),
                       make=lambda inds=inds: opendata.csv_file(inds))
            yield Page(opendata.agency_json(agency.code), deps=deps, shows=frozenset({"json"}),
                       make=lambda inds=inds: opendata.json_file(inds))
    yield Page(urls.YEARS, "year_index.html", {"cat": cat})
    for year in cat.years:
        yield Page(urls.year(year), "year.html", {"cat": cat, "year": year},
                   frozenset({f"year:{year}"}))
    yield Page(urls.SEARCH, "search.html", {"cat": cat}, frozenset())
    yield Page(search.INDEX, shows=frozenset({"search", "texts"}),  # it gives the texts' size
               make=lambda: search.index_script(cat))
    yield Page(search.TEXTS, shows=frozenset({"texts"}), make=lambda: search.texts_script(cat))
    yield Page(urls.DATA, "data.html", {"cat": cat})
    yield Page(opendata.ALL_CSV, shows=frozenset({"csv"}), make=lambda: opendata.csv_file(cat.indicators))
    yield Page(opendata.ALL_JSON, shows=frozenset({"json"}), make=lambda: opendata.json_file(cat.indicators))
    if cat.site.base_url:
        yield Page(urls.SITEMAP, make=lambda: urls.sitemap(cat))
