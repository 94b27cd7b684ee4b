"""The downloads as one spreadsheet (data/indicators.xlsx): a sheet per table (opendata.TABLES),
two frozen header rows (the column's Thai title, then its stable name), every text a string
(so 0700 stays 0700, and no cell is ever a formula), numbers as numbers.

Written as SpreadsheetML by hand, the way the CSV is: each indicator's rows are made as XML by
the worker that reads its file (`rows`, part of its exports) and the sheets are joins of those
bytes. XlsxWriter, tried first, took 15 s for the 1.6 million cells of 10,000 indicators in
the parent process; this takes about a second (the zip's compression). Rows and cells carry no
references (`r`), which the format allows: readers count them in order, so every cell is
written, an empty one as <c/>. The zip is made in an unnamed file on the output's disk and read
back in pieces: at 100,000 indicators it is 230 MB, which the parent would otherwise hold twice.
"""
from __future__ import annotations

import datetime as dt
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Iterable, Iterator
from xml.sax.saxutils import escape, quoteattr

from .spool import Pieces
from .write import PIECE

# Excel holds at most this many characters in a cell: a longer text is cut there, and says
# so (the CSV and JSON carry it whole).
CELL_LIMIT = 32_767
CUT = "…"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # XML 1.0 cannot hold them
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def cell(value) -> str:
    """One cell's XML: a text as an inline string, a number as a number, None as empty."""
    kind = value.__class__
    if kind is str:
        if len(value) > CELL_LIMIT:
            value = value[:CELL_LIMIT - len(CUT)] + CUT
        if _NOT_XML.search(value):
            value = _NOT_XML.sub("", value)
        return f'<c t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'
    if value is None:
        return "<c/>"
    if kind is bool:
        return f'<c t="b"><v>{int(value)}</v></c>'
    return f"<c><v>{value}</v></c>"


def row(values: list, style: int = 0) -> str:
    if style:
        return "<row>" + "".join(cell(v).replace("<c", f'<c s="{style}"', 1)
                                 for v in values) + "</row>"
    return "<row>" + "".join([cell(v) for v in values]) + "</row>"


def _sheet(columns: int, heads: list[str], names: list[str], body) -> Iterator[bytes]:
    """A worksheet's XML in pieces (its rows, `body`, are streamed: never all in memory)."""
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}">'
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="2" topLeftCell="A3" '
            'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
            f'<cols><col min="1" max="{columns}" width="18" customWidth="1"/></cols><sheetData>'
            + row(heads, 1) + row(names, 2))
    yield head.encode("utf-8")
    yield from body
    yield b"</sheetData></worksheet>"


def _package(names: list[str], title: str, author: str, built: dt.date) -> dict[str, str]:
    sheets = "".join(f'<sheet name={quoteattr(n)} sheetId="{i}" r:id="rId{i}"/>'
                     for i, n in enumerate(names, 1))
    rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" '
                   f'Target="worksheets/sheet{i}.xml"/>' for i, _ in enumerate(names, 1))
    types = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                    for i, _ in enumerate(names, 1))
    xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    n = len(names)
    return {
        "[Content_Types].xml": xml + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        f'package.core-properties+xml"/>{types}</Types>',
        "_rels/.rels": xml + f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" '
        'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-'
        'properties" Target="docProps/core.xml"/></Relationships>',
        "docProps/core.xml": xml + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.'
        'org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-'
        f'instance"><dc:title>{escape(title)}</dc:title><dc:creator>{escape(author)}</dc:creator>'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{built.isoformat()}T00:00:00Z'
        '</dcterms:created></cp:coreProperties>',
        "xl/workbook.xml": xml + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheets}'
        '</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": xml + f'<Relationships xmlns="{_PKG}">{rels}<Relationship '
        f'Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>',
        # Style 1: the Thai titles (bold, wrapped); 2: the column names (grey).
        "xl/styles.xml": xml + f'<styleSheet xmlns="{_MAIN}"><fonts count="3"><font><sz val="11"/>'
        '<name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font><font>'
        '<sz val="10"/><color rgb="FF555555"/><name val="Calibri"/></font></fonts><fills '
        'count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
        'patternType="gray125"/></fill></fills><borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="3"><xf/><xf fontId="1" '
        'applyFont="1" applyAlignment="1"><alignment wrapText="1" vertical="top"/></xf><xf '
        'fontId="2" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" '
        'xfId="0" builtinId="0"/></cellStyles></styleSheet>',
    }


def make(cat, out, built: dt.date, scratch: Path | None = None) -> Iterator[bytes]:
    """The workbook, in pieces: the site's tables made here, the indicators' rows joined from
    their exports (`scratch`: the folder of the unnamed file it is made in). What it needs of
    the catalog is taken now, when called; the pieces, made as they are taken, read no more of
    it (so a forked process may make them without copying the catalog: publish.py)."""
    from . import opendata

    site = cat.site
    parts = _package([t.name for t in opendata.TABLES], site.title,
                     site.publisher or site.organization, built)
    sheets = [_sheet(len(table.columns), [out.words.message(c.heading) for c in table.columns],
                     [c.name for c in table.columns], _body(table, cat, out))
              for table in opendata.TABLES]
    return _zipped(parts, sheets, scratch)


def _body(table, cat, out) -> Iterable[bytes]:
    """A sheet's rows: an indicator's, where its exports are; the site's, made now."""
    from . import opendata

    if table.rows:
        packed = Pieces(ind.exports["xlsx"][table.name] for ind in cat.indicators)
        return map(opendata.unpack, packed)
    return [row([c.get(item, out) for c in table.columns]).encode("utf-8")
            for item in table.site_rows(cat)]


def _zipped(parts: dict[str, str], sheets: list[Iterator[bytes]], scratch: Path | None,
            ) -> Iterator[bytes]:
    with tempfile.TemporaryFile(dir=scratch) as file:
        with zipfile.ZipFile(file, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
            for name, text in parts.items():
                book.writestr(_info(name), text)
            for i, sheet_pieces in enumerate(sheets, 1):
                with book.open(_info(f"xl/worksheets/sheet{i}.xml"), "w") as sheet:
                    for chunk in sheet_pieces:
                        sheet.write(chunk)
        file.seek(0)
        while piece := file.read(PIECE):
            yield piece


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))  # the same bytes for the same data
    info.compress_type = zipfile.ZIP_DEFLATED
    info._compresslevel = 1  # noqa: SLF001 (zipfile's own way to set it per member): 5x faster
    return info
