"""Open data: CSV (UTF-8 with BOM, so Excel shows Thai) and JSON of the published indicators,
for all and per agency. The columns come from the field table (fields.py); the data page
lists them.

Numbers are written as recorded (2.00 stays 2.00); an empty cell means not reported, not 0.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from . import fields

if TYPE_CHECKING:
    from .i18n import Words
    from .model import Indicator, Site

BOM = "\ufeff"
COLUMNS = fields.columns()


@dataclass
class Exporting:
    """What the columns' values are made with: the site, and the words of the downloads (Thai)."""

    site: Site
    words: Words

    def __post_init__(self):
        from .model import STATUSES

        self.statuses = self.words.table(STATUSES)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and _formula(value):
        return "'" + value  # text a spreadsheet would run as a formula (numbers are not str)
    return str(value)


def _formula(text: str) -> bool:
    """Whether a spreadsheet would read the cell as a formula: its first character that is not
    blank is =, + or @, or a - with more after it (a report that is just "-" stays "-")."""
    stripped = text.lstrip()
    first = stripped[:1]
    return first in ("=", "+", "@") or (first == "-" and len(stripped.rstrip()) > 1)


_to_json = json.JSONEncoder(ensure_ascii=False).encode  # one encoder: json.dumps makes one a call


def _json_value(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)  # a JSON number with the recorded digits
    return _to_json(value)


def exports(ind: Indicator, out: Exporting) -> dict[str, bytes]:
    """This indicator's CSV line and JSON object, as UTF-8 (whole files are then byte joins)."""
    values = [(column.name, column.get(ind, out)) for column in COLUMNS]
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow([_cell(v) for _, v in values])
    record = "{" + ", ".join(f'"{name}": {_json_value(v)}' for name, v in values) + "}"
    return {"csv": line.getvalue().encode("utf-8"), "json": record.encode("utf-8")}


def csv_file(inds: list[Indicator]) -> bytes:
    header = (BOM + ",".join(column.name for column in COLUMNS)).encode("utf-8")
    return b"\r\n".join([header] + [ind.exports["csv"] for ind in inds]) + b"\r\n"


def json_file(inds: list[Indicator]) -> bytes:
    return b"[\n" + b",\n".join([ind.exports["json"] for ind in inds]) + b"\n]\n"


def agencies_with_data(cat) -> list:
    return [a for a in cat.agencies if cat.by_agency.get(a.code)]
