"""The Jinja environment of one language, and rendering pages with it.

Templates live in templates/ and are plain Jinja: a designer can edit them without Python.
Autoescape is on; content is passed as data, never compiled as a template. A template writes
its words as `{{ _("Target") }}` (or `_("Quarter %(n)s", n=q.number)`): they are translated
from the catalogue while the template is compiled, so a page costs no lookups.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from functools import lru_cache
from typing import Any, Callable

import jinja2
import jinja2.meta
from jinja2 import Environment, FileSystemLoader, StrictUndefined, nodes
from jinja2.visitor import NodeTransformer
from markupsafe import Markup, escape

from . import THEME, catalog as catalog_mod, chart, history as history_mod, markup, model
from . import linebreaks, metadata, opendata, pages, related as related_mod, reporting, thai
from .i18n import N_, Words, standard
from .packing import pack, unpack
from .pages import INDICATOR_KINDS, INDICATOR_PARTS, Page
from .write import Content, encoded

TEMPLATE_DIR = THEME / "templates"
MACROS = "_macros.html"  # its macros are available to every template


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


class _Translate(NodeTransformer):
    """`_("msgid", name=value)` and `p_("context", "msgid")` with constant ids, translated.

    Where such a call is output (`{{ _("Quarter %(n)s", n=q.number) }}`), the translation is
    cut at its placeholders into text and the values' expressions: the page is rendered as if
    the template held the translated text itself, with no call at all."""

    def __init__(self, words: Words):
        self.words = words

    def visit_Output(self, node: nodes.Output) -> nodes.Node:  # noqa: N802 (Jinja's API)
        node = self.generic_visit(node)
        parts = []
        for child in node.nodes:
            # {{ _(...) }} in text comes as {{ (_(...)) | breaks }} (linebreaks.Breaks): each
            # piece gets the filter, and the words' pieces are folded at compile time.
            marked = isinstance(child, nodes.Filter) and child.name == "breaks"
            call = child.node if marked else child
            if isinstance(call, nodes.Call) and isinstance(call.node, nodes.Name) and \
                    call.node.name == "_format":
                pieces = self._pieces(call.args[0].value, {k.key: k.value for k in call.kwargs})
                parts += [nodes.Filter(piece, "breaks", [], [], None, None, lineno=child.lineno)
                          for piece in pieces] if marked else pieces
            else:
                parts.append(child)
        node.nodes = parts
        return node

    @staticmethod
    def _pieces(text: str, values: dict) -> list[nodes.Node]:
        pieces, at = [], 0
        for match in _PLACEHOLDER.finditer(text):
            pieces.append(nodes.Const(text[at:match.start()]))
            pieces.append(values[match[1]] if match[1] else nodes.Const("%"))
            at = match.end()
        return pieces + [nodes.Const(text[at:])]

    def visit_Call(self, node: nodes.Call) -> nodes.Node:  # noqa: N802 (Jinja's API)
        node = self.generic_visit(node)
        name = node.node.name if isinstance(node.node, nodes.Name) else None
        ids = [a.value for a in node.args if isinstance(a, nodes.Const)]
        constant = len(ids) == len(node.args) and not node.dyn_args and not node.dyn_kwargs
        if name == "_" and constant and len(ids) == 1:
            text = self.words.pgettext(None, ids[0])
        elif name == "p_" and constant and len(ids) == 2:
            text = self.words.pgettext(ids[0], ids[1])
        else:
            return node  # a message id known only when the page renders: looked up then
        if not node.kwargs:
            return nodes.Const(text, lineno=node.lineno)
        return nodes.Call(nodes.Name("_format", "load"), [nodes.Const(text)], node.kwargs, None,
                          None, lineno=node.lineno)


def _format(text: str, **values: Any) -> Markup:
    """A translated text with its placeholders filled; the values are escaped, as output is.
    Its Thai words are marked where it lands in text (linebreaks.Unmarked)."""
    return linebreaks.Unmarked(escape(text)) % values


def _text_html(text: str | Markup) -> Markup:
    """A text that a page shows as text, as HTML made here (not by a template, whose breaks
    filter passes HTML as it is): escaped, its Thai words marked (Markup as it is)."""
    marked = linebreaks.breaks(text)
    return marked if isinstance(marked, Markup) else escape(marked)


def _escaped(value, _type=type, _str=str, _markup=Markup, _new=str.__new__,
             _escape_text=markup.escape_text):
    """markupsafe's escape, which the templates call for every {{ ... }}: the same string,
    without two calls of Python code a value (its own and Markup's __new__), and a Markup (a
    text with its Thai words marked: linebreaks.breaks) as it is. A tenth of the build's CPU
    time at 1,000 indicators."""
    kind = _type(value)
    if kind is _markup:
        return value
    if kind is _str:
        return _new(_markup, _escape_text(value))
    return escape(value)


class _Template(jinja2.Template):
    @classmethod
    def from_code(cls, environment, code, globals, uptodate=None):
        template = super().from_code(environment, code, globals, uptodate)
        template.root_render_func.__globals__["escape"] = _escaped  # what its code calls
        return template


class _Environment(Environment):
    """Jinja's Environment, with the words of one language put in at compile time, and a
    template's globals a plain dict, taken when it loads.

    Jinja gives each template a ChainMap over the environment's globals and copies it into a
    dict on every render, key by key in Python: a tenth of rendering an indicator's pages.
    So a global must be set before the templates that use it load (Renderer does), as
    Jinja's documentation advises anyway.
    """

    words: Words
    template_class = _Template

    def make_globals(self, d):
        return {**self.globals, **(d or {})}

    def _parse(self, source, name, filename):
        return _Translate(self.words).visit(super()._parse(source, name, filename))


def environment(words: Words, folders: list | None = None) -> Environment:
    """Jinja with autoescape on, undefined names an error, and the templates/ folder.

    Templates are not re-checked on disk for each page (that was 30 stat calls an indicator);
    the preview server makes a new Renderer when a template changes.
    """
    env = _Environment(loader=FileSystemLoader(folders or [TEMPLATE_DIR]), autoescape=True,
                       auto_reload=False, undefined=StrictUndefined, trim_blocks=True,
                       lstrip_blocks=True, extensions=[linebreaks.Breaks])
    env.words = words
    env.filters["breaks"] = linebreaks.breaks  # before any template compiles: words folded in
    env.globals.update(_=words.gettext, p_=words.pgettext, _format=_format, lang=words.lang)
    return env


def error_page(problems: list, words: Words, failure: str = "") -> str:
    """The preview server's page listing the content's errors (and warnings), or why the
    build could not run (`failure`: a schema that does not compile, say)."""
    return environment(words).get_template("error.html").render(
        errors=[p for p in problems if p.severity == "error"],
        warnings=[p for p in problems if p.severity != "error"], failure=failure)


# The words static/*.js show, by the names the scripts use (given to them by the pages).
SCRIPT_WORDS = {
    "all": N_("All"), "fiscalYear": N_("Fiscal year"), "agency": N_("Agency"),
    "type": N_("Type"), "status": N_("Status"), "yearOf": N_("Fiscal year %(year)s"),
    "noYear": N_("No fiscal year stated"), "noYearShort": N_("No year stated"),
    "noAgency": N_("No agency stated"), "filterList": N_("Filter the list of indicators"),
    "showing": N_("Showing %(shown)s of %(count)s indicators"),
    "found": N_("%(count)s indicators found"), "firstShown": N_(" (the first %(shown)s shown)"),
    "notFound": N_("No indicator found: try shorter words, or remove a filter"),
    "orTexts": N_(" or search the definitions too"),
    "target": N_("Target"), "achieved": N_("Achieved"), "notReported": N_("Not reported"),
}


class Labels:
    """How one language names and numbers things the model only holds: the words that
    templates call as functions and filters."""

    def __init__(self, words: Words, content_lang: str = "th"):
        self.words = words
        # Pages in the content's own language show its texts; pages in another show each
        # text's twin in that language (name_en), or the content's text marked as such.
        self.native, self.content_lang = words.lang == content_lang, content_lang
        self.twin = f"_{words.lang}"
        self.not_reported = words("Not reported")
        self.statuses = words.table(model.STATUSES)
        self.types = {**words.table(model.TYPES), None: words("Type not stated")}
        self.result_levels = words.table(model.RESULT_LEVELS)
        # Translators: the ten digits in which strategy node numbers are written (๐๑๒...).
        self.digits = str.maketrans("0123456789", words.pgettext("digits", "0123456789"))
        self.script_words = words.table(SCRIPT_WORDS)
        self.months = [words.month(m) for m in range(1, 13)]

    # -- content in the page's language -------------------------------------------------------
    def text(self, obj, name: str) -> Markup | str:
        """A content text (`{{ ind | t("name") }}`): in the page's language, or the content's
        own marked with its language (screen readers and fonts switch)."""
        value = getattr(obj, name)
        if self.native or not value:
            return value or ""
        other = getattr(obj, name + self.twin, None)
        return other if other else self._foreign(value)

    def own(self, value) -> Markup | str:
        """A content text that has no twin in other languages (an order such as ๒.): marked
        as the content's language on their pages."""
        if self.native or not value:
            return value if value is not None else ""
        return self._foreign(value)

    def _foreign(self, value) -> Markup:
        """Content on another language's page: marked with its language, and its Thai words
        marked out as on its own pages (Markup passes as it is: the templates' breaks
        filter sees no text in it)."""
        return Markup('<span lang="%s">%s</span>') % (self.content_lang,
                                                      linebreaks.breaks(value))

    def in_language(self, obj, name: str) -> str:
        """A content text only where it is in the page's language ("" when it is not): for
        attributes and SVG text, which cannot mark a language of their own."""
        return getattr(obj, name) if self.native else getattr(obj, name + self.twin, None) or ""

    def with_unit_plain(self, number: str, ind: model.IndicatorFacts) -> str:
        unit = self.in_language(ind, "unit")
        return self.words.with_unit(number, unit)

    def plain(self, obj, name: str) -> str:
        """The same as plain text (a <title>, an attribute): no marking is possible there."""
        value = getattr(obj, name)
        return value if self.native else getattr(obj, name + self.twin, None) or value or ""

    def prose(self, obj, name: str, key: str, shift: int = 2) -> Markup:
        """A Markdown text, rendered, in the page's language or marked as the content's
        (`shift`: markup.render's, 0 for a page of its own)."""
        value = getattr(obj, name)
        other = None if self.native else getattr(obj, name + self.twin, None)
        if self.native or other or not value:
            return markup.render(other or value, key, shift)
        return Markup('<div lang="%s">%s</div>') % (self.content_lang,
                                                   markup.render(value, key, shift))

    def items(self, obj, name: str) -> list:
        """A list of texts (evidence, projects, tags), in the page's language or marked."""
        values = getattr(obj, name)
        other = None if self.native else getattr(obj, name + self.twin, None)
        if self.native or other:
            return other or values
        return [self._foreign(v) for v in values]

    def unit(self, ind: model.Indicator) -> Markup | str:
        return self.text(ind, "unit")

    def reported(self, value, unit: Any = "", missing: str | None = None) -> Markup:
        """A recorded number with its unit (a text, or an indicator's), or `missing` (never 0)
        when there is none."""
        if value is None:
            return Markup('<span class="blank">%s</span>') % _text_html(missing or
                                                                       self.not_reported)
        return self.with_unit(model.fmt(value), unit)

    def with_unit(self, number: str, unit: Any) -> Markup:
        """A number and its unit, in the page's language's order; `unit`: a text, or an
        indicator (its unit in the page's language, or marked as the content's)."""
        if isinstance(unit, model.IndicatorFacts):
            word = self.unit(unit)
            if isinstance(word, Markup):  # the content's own unit, marked: after the number
                return Markup("%s %s") % (number, word)
            unit = word
        html, word = escape(self.words.with_unit(number, unit)), escape(unit)
        # The unit's words marked (a cache holds the few units, not every number with one),
        # where the language puts it: before the number or after it.
        if not unit:
            return html
        if html.startswith(word + " "):
            return _text_html(unit) + html[len(word):]
        return html[:len(html) - len(word)] + _text_html(unit)

    def target(self, ind: model.Indicator, missing: str | None = None) -> Markup:
        """The target as written (words, when it has them), or its number with the unit."""
        return _text_html(self.text(ind, "target_text")) if ind.target_text else self.reported(
            ind.target, ind, missing)

    def agency_label(self, agency: model.Agency) -> Markup | str:
        """An agency's name in the page's language (or marked), or its code."""
        return self.text(agency, "name") if agency.name else self.words(
            "Agency code %(code)s", code=agency.code)

    def agency_plain(self, agency: model.Agency) -> str:
        return self.plain(agency, "name") if agency.name else self.words(
            "Agency code %(code)s", code=agency.code)

    def node_number(self, node: model.StrategyNode) -> str:
        return node.number.translate(self.digits)

    def node_heading(self, node: model.StrategyNode) -> Markup | str:
        """How pages number a node: 'ด้านที่ ๕', 'มิติที่ ๕.๒', or just '๕.๒.๑.๑'; the level's
        word is the strategy file's (content), so other languages mark it."""
        number = self.node_number(node)
        if not node.label:
            return number
        if self.native:
            return self.words("%(level)s %(number)s", level=node.label, number=number)
        level = self._foreign(node.label)
        return Markup(escape(self.words("%(level)s %(number)s", level="\0", number=number))
                      ).replace("\0", level)

    def node_heading_plain(self, node: model.StrategyNode) -> str:
        number = self.node_number(node)
        return self.words("%(level)s %(number)s", level=node.label, number=number) \
            if node.label else number

    def node_crumbs(self, node: model.StrategyNode) -> list[tuple[str, str]]:
        """(label, path) of the nodes above `node`, for breadcrumbs."""
        return [(self.node_heading(n), n.path) for n in node.ancestry[:-1]]

    def year_label(self, key: str) -> str:
        return self.words.message(catalog_mod.year_label(key))

    def year_short(self, key: str) -> str:
        return self.words.message(catalog_mod.year_short(key))

    def quarter_months(self, ind: model.Indicator, quarter: int) -> str:
        """The months of a quarter of the indicator's fiscal year, e.g. 'ต.ค.-ธ.ค. 2563'."""
        return "" if ind.single_year is None else self._months(ind.single_year, quarter)

    @lru_cache(maxsize=None)  # noqa: B019 (one Labels a build: it lives as long as the build)
    def _months(self, fiscal_year: int, quarter: int) -> str:
        start, end = thai.quarter_bounds(fiscal_year, quarter)
        return self.words("%(first)s-%(last)s %(year)s", first=self.words.month(
            start.month, short=True), last=self.words.month(end.month, short=True),
            year=self.words.year(end))

    def percent(self, share: int | None) -> str:
        """'ร้อยละ 75' / '75%'; a dash where nothing is judged yet."""
        return "-" if share is None else self.words("%(share)s percent", share=share)

    def change_line(self, fact: tuple) -> str:
        return history_mod.change_line(fact, self.words)

    def change_summary(self, change) -> str:
        """What one change did, on one line (the Atom feed's summary, the JSON Feed's text)."""
        words = self.words
        if change.added:
            return words("Indicator added")
        if change.removed:
            return words("Indicator removed")
        return "; ".join(self.change_line(f) for f in change.facts) or words("Text edited")


ROWS_KEPT = 1 << 15  # more rows than a strategy dimension has at 100,000 (packed: ~15 MB)


def _memoised_row(macro: dict):
    """indicator_table's row. An indicator is listed on every strategy heading above it:
    that row is rendered once for each light copy (kept with its row, so its id stands for
    it while the row is kept); its year's and agency's pages list it once. The strategy's
    pages come in the tree's order, a dimension's before the next one's: the oldest rows go
    first, so memory stays bounded however many indicators there are (unpacked, the parent
    held 70 MB of rows at 100,000 indicators)."""
    rows: OrderedDict[tuple, tuple] = OrderedDict()

    def indicator_row(ind, root, show_year, show_agency):
        if not (show_year and show_agency):  # its year's or its agency's page: shown once
            return macro["table_row"](ind, root, show_year, show_agency)
        return Markup(_remembered(rows, ROWS_KEPT, (id(ind), root), ind,
                                  lambda: macro["table_row"](ind, root, show_year, show_agency)))
    indicator_row.kept = rows
    return indicator_row


def _remembered(kept: OrderedDict, limit: int, key, owner, make: Callable) -> str:
    """The HTML `make()` made for `owner` (kept with it, so its id in `key` stands for it
    while kept), made once while it is among the last `limit` kept. Kept packed: a rendered
    row or chart takes a third to a fifth of the memory so, for a few microseconds each time
    it is shown again."""
    found = kept.get(key)
    if found is None or found[0] is not owner:
        if len(kept) >= limit:
            kept.popitem(last=False)
        found = kept[key] = (owner, pack(str(make()).encode("utf-8")))
    return unpack(found[1]).decode("utf-8")


SERIES_KEPT = 1 << 12  # series whose chart and table are kept, the oldest dropped first


def _memoised_series(macros) -> dict:
    """A series' chart and table, the same on each page of the series: rendered once (the
    table then marks each page's own year, not linked), while the series is among the last
    SERIES_KEPT a worker has shown (kept for all, a worker grew with every series it showed;
    unpacked, they took 17 MB of each worker at 10,000 indicators)."""
    charts: OrderedDict[int, tuple] = OrderedDict()
    tables: OrderedDict[tuple, tuple] = OrderedDict()

    def series_svg(points):
        return Markup(_remembered(charts, SERIES_KEPT, id(points), points,
                                  lambda: macros.series_chart_of(points)))

    def series_table(points, root, at):
        html = _remembered(tables, SERIES_KEPT, (id(points), root), points,
                           lambda: macros.series_table_of(points, root))
        link = f'<a href="{root}{points[at].path}">'
        start = html.index(link)
        row, end = html.rindex("<tr>", 0, start), html.index("</a>", start)
        return Markup(html[:row] + '<tr class="here">' + html[row + 4:start]
                      + '<span aria-current="page">' + html[start + len(link):end]
                      + "</span>" + html[end + 4:])
    series_svg.kept, series_table.kept = charts, tables
    return {"series_svg": series_svg, "series_table": series_table}


NO_RELATED = related_mod.Related()


def css_string(text: str) -> Markup:
    """Text as a CSS string, every character but letters, digits and spaces escaped: content
    in a stylesheet can then neither end the string nor the <style> element."""
    return Markup('"' + "".join(c if c.isalnum() and c.isascii() or c == " " else
                                f"\\{ord(c):x} " for c in str(text)) + '"')


class Renderer:
    """Renders pages of one site in one language; one instance per build (shared by worker
    processes)."""

    def __init__(self, site: model.Site, words: Words, folders: list | None = None):
        self.site, self.words = site, words
        # The content's language is the site's first, at its top; another has its folder.
        self.prefix = pages.language_prefix(site, words.lang)
        labels = Labels(words, site.languages[0])
        env = environment(words, folders)
        # Functions of one thing are filters ({{ node | heading }}): Jinja calls a filter
        # directly, a global function through the context (2 µs a call).
        env.filters.update(num=model.fmt, reported=labels.reported, with_unit=labels.with_unit,
                           md=markup.render, plain_text=markup.plain, date=words.date,
                           message=words.message,
                           target=labels.target, t=labels.text, t_plain=labels.plain,
                           t_md=labels.prose, t_list=labels.items, own=labels.own,
                           t_attr=labels.in_language, with_unit_plain=labels.with_unit_plain,
                           agency_plain=labels.agency_plain,
                           agency_label=labels.agency_label, heading=labels.node_heading,
                           heading_plain=labels.node_heading_plain, year_short=labels.year_short,
                           year_label=labels.year_label, quarter_months=labels.quarter_months,
                           change=labels.change_line, percent=labels.percent,
                           change_summary=labels.change_summary, bytes=words.size,
                           css_string=css_string, shortened=linebreaks.shortened)
        env.globals.update(
            site=site, urls=pages.urls, opendata=opendata, year_span=thai.year_span,
            dataset_ld=lambda ind, root: metadata.dataset_ld(ind, site, words, root),
            STATUSES=labels.statuses, TYPES=labels.types, RESULT_LEVELS=labels.result_levels,
            STATUS_RULE=words(model.STATUS_RULE), CSV_NOTE=words(metadata.CSV_NOTE),
            print_date=thai.build_date(),  # what printed sheets say (SOURCE_DATE_EPOCH)
            quarter_chart=lambda ind: chart.quarter_chart(ind, labels.not_reported),
            series_chart=lambda points: chart.comparison_chart(
                [(labels.year_short(p.year_key), p.achieved, p.target) for p in points],
                labels.not_reported),
            family_chart=lambda members: chart.comparison_chart(
                [(m.agency or "-", m.achieved_value, m.target) for m in members],
                labels.not_reported),
            node_crumbs=labels.node_crumbs, labels=labels, LANGUAGES=site.languages,
            # The ended quarters not reported in time, as of the build date.
            missing_quarters=lambda ind, today=thai.build_date(): reporting.missing(
                ind, today, site.report_days),
            lang_prefix=self.prefix,  # this language's folder: "" or "en/"
            # Each language's name in itself, for the switch between them.
            # Translators: the name of your language, in your language (ไทย).
            LANGUAGE_NAMES={lang: standard(lang).pgettext("language name", "English")
                            for lang in site.languages})
        # Every macro of _macros.html is a global: importing it costs each indicator ~50 µs.
        row_macro: dict = {}  # (the macros see the globals as they were when they are made)
        env.globals["indicator_row"] = _memoised_row(row_macro)
        macros = env.get_template(MACROS).module
        env.globals.update({name: getattr(macros, name) for name in macros.__dict__
                            if isinstance(getattr(macros, name), jinja2.runtime.Macro)})
        row_macro["table_row"] = macros.table_row
        env.globals.update(_memoised_series(macros))
        # All compiled now, in the parent: forked workers inherit them, and the preview
        # server's first edit no longer compiles the indicator's templates (33 ms of its 100).
        for name in env.list_templates():
            env.get_template(name)
        self.env, self.labels = env, labels

    def render(self, page: Page) -> Content:
        """The content of one output. `root` leads from the page back to the root of its
        language's pages, `top` to the site's top folder (static files, downloads), and
        `alternates` to the same page in each language."""
        if page.make is not None:
            return page.make()
        template, names = self._called(page)
        return template.render(page.context, **names)

    def streamed(self, page: Page) -> Content:
        """The same, a large page in pieces as it is rendered (a list of 20,000 indicators is
        30 MB of HTML: never held whole, nor its encoded copy)."""
        if page.make is not None:
            return page.make()
        template, names = self._called(page)
        return encoded(template.generate(page.context, **names))

    def _called(self, page: Page) -> tuple[jinja2.Template, dict]:
        template = self.env.get_template(page.template)
        local = page.path[len(self.prefix):]
        top, root = pages.root_of(page.path), pages.root_of(local)
        if page.context.get("anywhere") and self.site.base_url:  # 404.html, shown at any path
            top = root = self.site.base_url + "/"
            root += self.prefix
        alternates = [(lang, top + path, path) for lang in self.site.languages
                      for path in [pages.language_prefix(self.site, lang) + local]]
        return template, {"page_path": page.path, "root": root, "top": top,
                          "alternates": alternates}

    def indicator_pages(self, ind: model.Indicator, changes: list = (), history=None,
                        related=None) -> list[tuple[str, str]]:
        """The indicator's page and its printable view; their shared parts render once.
        `related`: its series and family (related.Related), from the other files."""
        context = {"ind": ind, "agency": self.site.agency(ind.agency),
                   "related": related or NO_RELATED,
                   "strategy_paths": [self.site.strategy.by_number[n].ancestry
                                      for n in ind.strategy if n in self.site.strategy.by_number],
                   "changes": list(changes), "history": history,
                   "edit_url": pages.edit_url(self.site, ind.source)}
        for name, template in INDICATOR_PARTS.items():
            context[name] = Markup(self.render(Page(self.prefix + ind.path, template, context)))
        return [(page.path, self.render(page)) for page in (
            Page(self.prefix + kind.path_of(ind), kind.template, context)
            for kind in INDICATOR_KINDS)]

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
