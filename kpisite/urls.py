"""Where every page lives (paths relative to the site root, always ending in .html).

Links between pages are relative: a page at depth d reaches the root with '../' * d, so the site
works from file://, from a zip, and under any path on any host.
"""
from __future__ import annotations

NO_YEAR = "no-year"  # folder for indicators whose fiscal year is not known

HOME = "index.html"
STRATEGY = "strategy/index.html"
STRATEGY_NONE = "strategy/none.html"  # indicators linked to no strategy node
AGENCIES = "agencies/index.html"
YEARS = "years/index.html"
SEARCH = "search.html"
DATA = "data/index.html"
SITEMAP = "sitemap.xml"
FEED = "feed.xml"


def indicator(year: str, code: str) -> str:
    return f"indicators/{year}/{code}.html"


def indicator_print(year: str, code: str) -> str:
    return f"indicators/{year}/{code}.print.html"


def agency(code: str) -> str:
    return f"agencies/{code}.html"


def year(key: str) -> str:
    return f"years/{key}.html"


def strategy_node(number: str) -> str:
    return f"strategy/{number.replace('.', '-')}.html"


def root_of(path: str) -> str:
    """The relative prefix from a page back to the site root: '', '../', '../../'."""
    return "../" * path.count("/")


def sitemap(cat) -> str:
    """sitemap.xml of the pages a search engine should list (printable views left out)."""
    from xml.sax.saxutils import escape

    paths = [HOME, STRATEGY, AGENCIES, YEARS, SEARCH, DATA]
    paths += [node.path for node in cat.site.strategy.walk()]
    paths += [agency.path for agency in cat.agencies] + [year(y) for y in cat.years]
    paths += [ind.path for ind in cat.indicators]
    entries = "".join(f"<url><loc>{escape(cat.site.base_url + '/' + p)}</loc></url>\n" for p in paths)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + entries + "</urlset>\n")


def edit(site, source: str) -> str:
    """The repository's web editor for a content file (GitHub's form), or '' without one.

    `source` is relative to the content's parent; site.yaml's `repository_folder` names where
    that is in the repository, when it is not the top."""
    from urllib.parse import quote

    if not site.repository:
        return ""
    path = f"{site.repository_folder}/{source}" if site.repository_folder else source
    return f"{site.repository}/edit/{quote(site.branch)}/{quote(path)}"
