"""The Jinja environment, and the list of pages to render.

Templates live in templates/ and are plain Jinja: a designer can edit them without Python.
Autoescape is on; content is passed as data, never compiled as a template.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterator

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from . import THEME, catalog as catalog_mod, markup, model, thai, urls

TEMPLATE_DIR = THEME / "templates"


@dataclass(frozen=True)
class Page:
    """One page to render: where it goes, which template, and what the template gets."""

    path: str
    template: str
    context: dict


class Renderer:
    """Renders pages of one site; one instance per build (or per worker process)."""

    def __init__(self, site: model.Site, build_date: dt.date):
        self.site = site
        env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=True,
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        env.filters.update(num=model.fmt, thai_digits=thai.thai_digits, md=markup.render,
                           thai_date=thai.format_date)
        env.globals.update(site=site, urls=urls, build_date=build_date,
                           year_label=catalog_mod.year_label,
                           STATUSES=model.STATUSES, STATUS_RULE=model.STATUS_RULE,
                           TYPES=model.TYPES, fiscal_year_bounds=thai.fiscal_year_bounds)
        self.env = env

    def render(self, page: Page) -> str:
        """The HTML of one page; `root` leads from the page back to the site root."""
        template = self.env.get_template(page.template)
        return template.render(page.context, page_path=page.path, root=urls.root_of(page.path))

    def indicator_pages(self, ind: model.Indicator) -> list[tuple[str, str]]:
        """The indicator's page and its printable view; their shared sections render once."""
        context = {"ind": ind, "agency": self.site.agency(ind.agency),
                   "strategy_paths": [self.site.strategy.by_number[n].ancestry
                                      for n in ind.strategy if n in self.site.strategy.by_number]}
        context["sections"] = Markup(self.render(Page(ind.path, "_indicator_sections.html", context)))
        return [(page.path, self.render(page)) for page in (
            Page(ind.path, "indicator.html", context | {"print_view": False}),
            Page(ind.print_path, "print.html", context | {"print_view": True}),
        )]


def index_pages(cat: catalog_mod.Catalog) -> Iterator[Page]:
    """Every page that lists indicators: home, strategy, agencies, fiscal years."""
    yield Page(urls.HOME, "home.html", {"cat": cat})
    yield Page(urls.STRATEGY, "strategy_index.html", {"cat": cat})
    yield Page(urls.STRATEGY_NONE, "strategy_none.html", {"cat": cat})
    for node in cat.site.strategy.walk():
        yield Page(node.path, "strategy_node.html", {"cat": cat, "node": node})
    yield Page(urls.AGENCIES, "agency_index.html", {"cat": cat})
    for agency in cat.agencies:
        yield Page(agency.path, "agency.html", {"cat": cat, "agency": agency})
    yield Page(urls.YEARS, "year_index.html", {"cat": cat})
    for year in cat.years:
        yield Page(urls.year(year), "year.html", {"cat": cat, "year": year})
