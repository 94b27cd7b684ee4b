"""Open data: the published indicators as related tables, declared once here (TABLES, their
columns taken from the field table in fields.py), and every download made from them:

- CSV, one file a table (UTF-8 with a BOM, so Excel shows Thai), and per agency and per year;
- JSON documents (generation date, licence, version): all, per agency, per indicator;
- the workbook (workbook.py), and the descriptions of it all: the data package, DCAT, the
  thai_gdc catalogue's metadata and each indicator's schema.org Dataset (metadata.py).

Tables: indicators (one row each: every field, narrative texts as Markdown and as plain text),
quarters, rubric, lists (tags, evidence, projects), strategy_links; agencies and strategy.
Column names are the fields' stable names; titles are message ids (the catalogue's Thai).

Downloads are exact: numbers as recorded (2.00 stays 2.00), an empty cell means not reported
(not 0), JSON carries every text as written. CSV neutralises only a cell that a spreadsheet
would run as a formula. Each indicator's rows are made once where its file is read (its
`exports`), so the site-wide files are joins of bytes.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from . import __version__, fields, markup, thai, workbook
from .fields import Column
from .i18n import N_, Message
from .packing import pack, unpack
from .write import Content, in_pieces, separated

if TYPE_CHECKING:
    from .i18n import Words
    from .model import Indicator, Site

BOM = "\ufeff"
FORMAT = "kpisite-data"
VERSION = "2"  # of the tables' layout: 2 added the texts, the related tables and documents
# Which kind of field becomes which Table Schema type.
TYPES = {"number": "number", "integer": "integer", "bool": "boolean"}


@dataclass
class Exporting:
    """What the values are made with: the site, and the words of the downloads (Thai)."""

    site: Site
    words: Words

    def __post_init__(self):
        from .model import STATUSES

        self.statuses = self.words.table(STATUSES)


@dataclass(frozen=True)
class Table:
    """A table of the downloads: its columns, key, and the tables its columns refer to."""

    name: str  # the file's name (data/<name>.csv) and the key in JSON documents
    title: str  # message id
    description: str  # message id
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[tuple[str, str, str], ...] = ()  # (column, table, that table's column)
    # Per indicator: (indicator, Exporting) -> its rows, each what the columns' `get` reads.
    # None: a table of the site's (agencies, strategy), made by `site_rows`.
    rows: Callable[[Indicator, Exporting], Iterable[Any]] | None = None
    site_rows: Callable[[Any], Iterable[Any]] | None = None  # (catalog) -> rows


def indicator_id(ind) -> str:
    """The indicator's key in every table: its year folder and code, unique in the site."""
    return f"{ind.year_key}/{ind.code}"


ID = Column("id", N_("The indicator's identifier: fiscal year (or no-year) / code, unique in "
                     "the site"), lambda i, s: indicator_id(i), title=N_("Identifier"))
PLAIN = N_("%(field)s, as plain text (without Markdown marks; in the CSV and the workbook)")
ENGLISH = N_("%(field)s, in English")


def _title(f: fields.Field) -> Any:
    # A twin has its field's label: "<label>, in English".
    return Message(ENGLISH, (("field", Message(f.label)),)) if f.translation_of else \
        Message(f.label)


def _attribute(key: str, kind: str) -> Callable:
    if kind == "texts":
        return lambda row, s: "; ".join(getattr(row, key) or ()) or None
    if kind in ("text", "code", "year", "markdown"):
        return lambda row, s: getattr(row, key) or None
    return lambda row, s: getattr(row, key)


def field_columns(f: fields.Field, of: Callable = lambda row: row, prefix: str = "") -> tuple:
    """The columns a field gives a table, as its kind says (its own `columns` when declared):
    Markdown twice (as written, and as plain text); a pair as its two numbers; an object a
    column per part; rows, lists and strategy nodes none (they have tables of their own)."""
    if f.columns is None or not f.public:
        return ()
    if f.columns:
        return f.columns
    name, title = prefix + f.name, _title(f)
    get = _attribute(f.key, f.kind)
    got = lambda row, s, get=get: get(of(row), s)  # noqa: E731
    if f.kind == "markdown":
        return (_column(name, title, got, f.hint),
                _column(f"{name}_text", Message(PLAIN, (("field", title),)),
                        lambda row, s, k=f.key: markup.plain(getattr(of(row), k) or "") or None,
                        "", json=False))
    if f.kind == "pair":
        pair = lambda row, n, k=f.key: (getattr(of(row), k) or (None, None))[n]  # noqa: E731
        return (_column("points", N_("Score 2.1 (points given)"), lambda r, s: pair(r, 0), "",
                        "number"),
                _column("full", N_("Score 2.2 (full points)"), lambda r, s: pair(r, 1), "",
                        "number"))
    if f.kind == "object":
        return tuple(c for p in f.parts for c in field_columns(
            p, lambda row, k=f.key: getattr(of(row), k) or _EMPTY, f"{f.name}_"))
    if f.kind in ("rows", "nodes") or (f.kind == "texts" and not prefix):
        return ()
    return (_column(name, title, got, f.hint, TYPES.get(f.kind, "string")),)


class _Empty:
    """An absent object's parts: every one empty."""

    def __getattr__(self, name):
        return None


_EMPTY = _Empty()


def _column(name: str, title, get: Callable, hint: str = "", type: str = "string",
            json: bool = True) -> Column:
    from .i18n import Message

    return Column(name, hint, get, (), type, Message(title) if isinstance(title, str) else title,
                  json)


def _columns(table: tuple, of: Callable = lambda row: row) -> tuple[Column, ...]:
    return tuple(c for f in table for c in field_columns(f, of))


def _row_of(row):
    return row[1]


ROW_ID = Column("indicator_id", N_("The indicator's identifier (indicators.id)"),
                lambda row, s: indicator_id(row[0]), title=N_("Indicator"))
POSITION = Column("position", N_("Its place in the list, from 1"), lambda row, s: row[2],
                  type="integer", title=N_("Position"))
LISTS = tuple(f for f in fields.FIELDS if f.kind == "texts" and f.public)

TABLES: tuple[Table, ...] = (
    Table("indicators", N_("Indicators"), N_("One row per published indicator: every field, "
                                             "narrative texts as Markdown and as plain text"),
          (ID, *_columns(fields.FIELDS)), ("id",), (("agency_code", "agencies", "code"),),
          rows=lambda ind, out: (ind,)),
    Table("quarters", N_("Quarterly results against the target"),
          N_("One row per quarter an indicator records: result, scores, progress report"),
          (ROW_ID, *_columns(fields.QUARTER, _row_of)), ("indicator_id", "quarter"),
          (("indicator_id", "indicators", "id"),),
          rows=lambda ind, out: ((ind, q) for q in ind.quarters)),
    Table("rubric", N_("Scoring rubric by level"),
          N_("One row per level of an indicator's rubric"),
          (ROW_ID, *_columns(fields.RUBRIC_LEVEL, _row_of)), ("indicator_id", "level"),
          (("indicator_id", "indicators", "id"),),
          rows=lambda ind, out: ((ind, r) for r in ind.rubric)),
    Table("lists", N_("Tags, evidence and projects"),
          N_("One row per item of an indicator's lists; field names the list"),
          (ROW_ID, Column("field", N_("The list: %(names)s"), lambda row, s: row[1].name,
                          (("names", ", ".join(f.name for f in LISTS)),), title=N_("List")),
           POSITION, Column("text", N_("The item, as written"), lambda row, s: row[3],
                            title=N_("Item"))),
          ("indicator_id", "field", "position"), (("indicator_id", "indicators", "id"),),
          rows=lambda ind, out: ((ind, f, n, text) for f in LISTS
                                 for n, text in enumerate(getattr(ind, f.key), 1))),
    Table("strategy_links", N_("Supports the city's strategy"),
          N_("One row per strategy node an indicator supports"),
          (ROW_ID, POSITION, Column("node", N_("The strategy node's number (strategy.number)"),
                                    lambda row, s: row[3], title=N_("Strategy node"))),
          ("indicator_id", "position"),
          (("indicator_id", "indicators", "id"), ("node", "strategy", "number")),
          rows=lambda ind, out: ((ind, None, n, node)
                                 for n, node in enumerate(ind.strategy, 1))),
    Table("agencies", N_("Agencies"), N_("The agencies of content/agencies.yaml; an empty "
                                         "name is not known"),
          (Column("code", N_("Agency code of 4 digits (text: 0700 begins with 0)"),
                  lambda a, s: a.code, title=N_("Agency code")),
           Column("name", N_("Agency name; empty = name unknown"), lambda a, s: a.name or None,
                  title=N_("Agency")),
           Column("name_en", N_("The agency's name in English"), lambda a, s: a.name_en or None,
                  title=N_("Agency, in English"))),
          ("code",), site_rows=lambda cat: cat.site.agencies.values()),
    Table("strategy", N_("The city's strategy"),
          N_("The nodes of the strategy tree (content/strategy.yaml), each with its parent"),
          (Column("number", N_("The node's number, e.g. 5.2.1.1"), lambda n, s: n.number,
                  title=N_("Number")),
           Column("parent", N_("The number of the node above it; empty at the top"),
                  lambda n, s: n.parent.number if n.parent else None, title=N_("Parent")),
           Column("level", N_("The level's word (dimension, aspect, goal)"),
                  lambda n, s: n.label or None, title=N_("Level")),
           Column("name", N_("The node's name"), lambda n, s: n.name or None, title=N_("Name")),
           Column("name_en", N_("The node's name in English"), lambda n, s: n.name_en or None,
                  title=N_("Name, in English")),
           Column("truncated", N_("true = the old system cut the name short"),
                  lambda n, s: n.truncated, type="boolean", title=N_("Cut short"))),
          ("number",), (("parent", "strategy", "number"),),
          site_rows=lambda cat: cat.site.strategy.walk()),
)
BY_TABLE = {t.name: t for t in TABLES}
INDICATORS = BY_TABLE["indicators"]
COLUMNS = INDICATORS.columns  # the indicators table's: per agency and per year files have them
CHILDREN = tuple(t for t in TABLES if t.rows and t is not INDICATORS)


# -- cells ------------------------------------------------------------------------------------

def _cell(value) -> str:
    """A value as a CSV cell (the formula guard included)."""
    return _encoded([value])[0][0]


def _csv_lines(table: Table, rows: Iterable, out: Exporting) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(
        [_encoded([column.get(row, out) for column in table.columns])[0] for row in rows])
    return buffer.getvalue().encode("utf-8")


def _json_object(columns: tuple[Column, ...], row, out: Exporting) -> str:
    texts = _encoded([c.get(row, out) for c in columns])[1]
    return "{" + ", ".join([f'"{c.name}": {t}' for c, t in zip(columns, texts)]) + "}"


def exports(ind: Indicator, out: Exporting) -> dict:
    """This indicator's lines of every table's CSV and its JSON object, as UTF-8 (whole files
    are then joins of bytes). Each value is made once, for both."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    tables, sheets, parts = {}, {}, []
    for table, keys in _KEYS:
        cells, texts, xml = [], [], []
        for row in table.rows(ind, out):
            values = [column.get(row, out) for column in table.columns]
            cell, text = _encoded(values)
            cells.append(cell)
            texts.append(text)
            xml.append(workbook.row(values))
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(cells)
        tables[table.name] = _pack(buffer.getvalue())
        sheets[table.name] = _pack("".join(xml))
        if table is INDICATORS:
            parts += [key + text[i] for text in texts for i, key in keys]
        else:  # its rows, without the indicator's id
            parts.append(f'"{table.name}": [' + ", ".join(
                "{" + ", ".join([key + text[i] for i, key in keys[1:]]) + "}"
                for text in texts) + "]")
    return {"tables": tables, "xlsx": sheets, "json": _pack("{" + ", ".join(parts) + "}")}


# An indicator's lines are kept compressed until a file joins them: they cross from a worker
# to the parent and into the build cache (close to a gigabyte of text at 10,000 indicators, a
# fifth of it so), and wait in the parent's spool.
def _pack(text: str) -> bytes:
    return pack(text.encode("utf-8"))


_json_text = json.encoder.encode_basestring  # a str as JSON, non-ASCII kept (C, one call)
# A cell a spreadsheet would run as a formula: its first character that is not blank is =, +
# or @, or a - with more after it (a report that is just "-" stays "-").
_FORMULA = re.compile(r"\s*(?:[=+@]|-.*\S)", re.S)


def _encoded(values: list) -> tuple[list[str], list[str]]:
    """Each value as a CSV cell and as JSON, in one pass (the hot loop of the downloads)."""
    cells, texts = [], []
    for value in values:
        kind = value.__class__
        if kind is str:
            cells.append("'" + value if _FORMULA.match(value) else value)
            texts.append(_json_text(value))
        elif value is None:
            cells.append("")
            texts.append("null")
        elif kind is bool:
            cells.append("true" if value else "false")
            texts.append(cells[-1])
        else:  # a number: as recorded
            cells.append(str(value))
            texts.append(cells[-1])
    return cells, texts


# The tables of an indicator's rows, each with its JSON columns: (index, '"name": ').
_KEYS = [(table, [(i, f'"{c.name}": ') for i, c in enumerate(table.columns) if c.json])
         for table in TABLES if table.rows]


# -- files ------------------------------------------------------------------------------------

def header(table: Table) -> bytes:
    return (BOM + ",".join(column.name for column in table.columns) + "\r\n").encode("utf-8")


def csv_file(inds: list[Indicator], table: Table = INDICATORS) -> Iterator[bytes]:
    return in_pieces(chain([header(table)],
                           (unpack(ind.exports["tables"][table.name]) for ind in inds)))


def site_table_file(table: Table, cat, out: Exporting) -> bytes:
    return header(table) + _csv_lines(table, table.site_rows(cat), out)


def table_file(table: Table, cat, out: Exporting) -> Content:
    if table.rows:
        return csv_file(cat.indicators, table)
    return site_table_file(table, cat, out)


def about(site: Site, built) -> dict:
    """What every JSON document says of itself: its format, version, date, licence."""
    licence = site.licence or None
    return {"format": FORMAT, "version": VERSION, "generator": f"kpisite {__version__}",
            "generated": built.isoformat(), "title": site.title,
            "publisher": site.publisher or site.organization or None,
            "licence": licence, "url": site.base_url or None}


def document_head(site: Site, built) -> bytes:
    """What a JSON document says of itself, without the closing "\n}": the document goes on.
    The same for every indicator's document of a build: made once (publish.Publisher), since
    json's indenting encoder leaves garbage a worker would collect for every indicator."""
    text = json.dumps(about(site, built), ensure_ascii=False, indent=1)
    return text[:-2].encode("utf-8")


def _site_rows_json(table: Table, cat, out: Exporting) -> bytes:
    return ("[\n" + ",\n".join(_json_object(table.columns, row, out)
                               for row in table.site_rows(cat)) + "\n]").encode("utf-8")


def json_file(inds: list[Indicator], cat, out: Exporting, built) -> Iterator[bytes]:
    """A JSON document: about it, the agencies and strategy, and the indicators (each with
    its quarters, rubric, lists and strategy links)."""
    yield document_head(cat.site, built)
    for table in TABLES:
        if table.site_rows:
            yield f',\n "{table.name}": '.encode() + _site_rows_json(table, cat, out)
    yield b',\n "indicators": [\n'
    yield from in_pieces(separated((unpack(i.exports["json"]) for i in inds), b",\n"))
    yield b"\n]\n}\n"


def indicator_document(exports: dict, head: bytes) -> bytes:
    """The JSON document of one indicator (its page links it), from its exports and the
    build's `document_head`."""
    return head + b',\n "indicator": ' + unpack(exports["json"]) + b"\n}\n"


def agencies_with_data(cat) -> list:
    return [a for a in cat.agencies if cat.by_agency.get(a.code)]


def downloads_of(ind, urls) -> list[tuple[Any, str, str]]:
    """The files that carry this indicator: (label message id, path, media type)."""
    files = [(N_("This indicator (JSON)"), urls.indicator_json(ind.year_key, ind.code),
              "application/json")]
    if ind.agency:
        files += [(N_("The agency's indicators (CSV)"), urls.agency_csv(ind.agency), "text/csv"),
                  (N_("The agency's indicators (JSON)"), urls.agency_json(ind.agency),
                   "application/json")]
    files.append((N_("The fiscal year's indicators (CSV)"), urls.year_csv(ind.year_key),
                  "text/csv"))
    return files


def fiscal_span(ind) -> str | None:
    """The fiscal year as ISO dates (schema.org temporalCoverage): 2564 = 2020-10-01/2021-09-30."""
    if not ind.fiscal_year:
        return None
    first, _, last = thai.arabic_digits(ind.fiscal_year).partition("-")
    end = int(last or first) - 543
    return f"{int(first) - 544}-10-01/{end}-09-30"
