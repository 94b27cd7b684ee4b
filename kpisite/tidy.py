"""`kpisite format`: an indicator file put back in kpisite's layout (scaffold.indicator_text),
as the editor form or any other tool may have saved it.

The form (Decap CMS) writes YAML in its own layout, reads numbers as JavaScript does (2.00
becomes 2), and writes what its text boxes hold: numbers typed as text ("95.0000"), empty
boxes as "". Formatting reads each value as its field's kind says, keeps the digits a number
had in the previous version of the file when its value is the same, and refuses to write
anything that would not read back as the same facts. Comments are the layout's own: the
form drops them, so no fact may live in one.
"""
from __future__ import annotations

import os
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import fields
from .diagnostics import Problem
from .i18n import _, bilingual
from .load import Source, parse_source, plain_value, relative
from .scaffold import indicator_text


_PAIR_NUMBER = fields.Field("", "number", "")  # each of a pair's two numbers


def value_of(f: fields.Field, value: Any, before: Any) -> Any:
    """A field's value in the file, as its kind reads it; `before`: its previous version."""
    if isinstance(value, str) and not value.strip() and f.kind not in ("texts",):
        return None  # an emptied box: empty, not 0
    if f.kind in ("number", "integer", "year") and isinstance(value, (str, int, float,
                                                                     Decimal)):
        value = _number(value)
        if isinstance(before, (int, Decimal)) and value is not None and before == value:
            return before  # 2.00 stays 2.00 when the form read it as 2
        return value
    if f.kind == "pair" and isinstance(value, list):
        before = before if isinstance(before, list) and len(before) == len(value) else [None] * 2
        pair = [value_of(_PAIR_NUMBER, v, b) for v, b in zip(value, before)]
        return pair if any(v is not None for v in pair) else None
    if f.kind == "object" and isinstance(value, dict):
        return _mapping(f.parts, value, before if isinstance(before, dict) else {})
    if f.kind == "rows" and isinstance(value, list):
        return _rows(f, value, before if isinstance(before, list) else [])
    if f.kind in ("texts", "nodes") and isinstance(value, list):
        return [v for v in value if not (isinstance(v, str) and not v.strip())]
    return value


def _number(value: str | int | float | Decimal) -> Any:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):  # written by a tool as a double: its shortest digits
        return Decimal(repr(value)) if value != int(value) else int(value)
    if isinstance(value, int):
        return value
    read = plain_value(value.strip())
    return read if isinstance(read, (int, Decimal)) and not isinstance(read, bool) else value


def _mapping(parts: tuple, value: dict, before: dict) -> dict:
    known = {p.name: p for p in parts}
    return {k: value_of(known[k], v, before.get(k)) if k in known else v
            for k, v in value.items()}


def _rows(f: fields.Field, rows: list, before: list) -> list:
    """Rows matched to their previous versions by their first part (quarter, level)."""
    first = f.parts[0].name
    by_number = {_number(r.get(first)) if isinstance(r.get(first), str) else r.get(first): r
                 for r in before if isinstance(r, dict)}
    out = []
    for row in rows:
        if not isinstance(row, dict):
            out.append(row)
            continue
        number = value_of(f.parts[0], row.get(first), None)
        out.append(_mapping(f.parts, row, by_number.get(number, {})))
    return out


def data_of(data: dict, before: dict | None) -> dict:
    """The file's values, each read as its field's kind says (unknown fields as they are)."""
    before = before or {}
    return {k: value_of(fields.BY_NAME[k], v, before.get(k)) if k in fields.BY_NAME else v
            for k, v in data.items()}


def formatted(raw: bytes, path: Path, rel: str, previous: str | None = None, words=None
              ) -> tuple[str | None, list[Problem]]:
    """The file in kpisite's layout (its headings in `words`: the site's Thai), or the
    problems that keep it as it is."""
    source, problems = parse_source(raw, path, rel)
    if problems:
        return None, problems
    before = None
    if previous:
        old, _problems = parse_source(previous.encode("utf-8"), path, rel)
        before = old.data if old else None
    data = data_of(source.data, before)
    unknown = [k for k in data if k not in fields.BY_NAME]
    if unknown:
        return None, [source.problem((unknown[0],), _(
            "the field '%(key)s' is not one kpisite knows: the file is left as it is",
            key=unknown[0]))]
    text = indicator_text(data, depth=rel.count("/"), words=words)  # the schema line, from the file's folder
    again, problems = parse_source(text.encode("utf-8"), path, rel)
    if problems or not _same(again, data):
        return None, [Problem(rel, None, "", bilingual(_(
            "kpisite's layout would not read back as the same values: the file is left as it "
            "is (please report it)")))]
    return text, []


def _same(again: Source | None, data: dict) -> bool:
    """The new text holds the same values: what the layout leaves out is empty anyway, and
    Markdown blocks lose only the blank space around them."""
    if again is None:
        return False
    for f in fields.FIELDS:
        if f.kind == "bool":  # left out or written, the default is the default
            data = {**data, f.name: fields.default(f) if data.get(f.name) is None
                    else data[f.name]}
    return _same_value(again.data, data)


def _same_value(a: Any, b: Any) -> bool:
    if a in EMPTY and b in EMPTY:
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return all(_same_value(a.get(k), b.get(k)) for k in a.keys() | b.keys())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same_value, a, b))
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip()
    return type(a) is type(b) and a == b and str(a) == str(b)  # the digits of 2.00 too


EMPTY = (None, "", [])


def previous_text(root: Path, path: Path, revision: str) -> str | None:
    """The file as it was at a git revision (None where git or the file has none)."""
    try:
        done = subprocess.run(["git", "-C", str(root), "show", "--end-of-options",
                               f"{revision}:./{relative(path, root)}"],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None


def write(path: Path, text: str) -> None:
    """Replace the file at once: an editor or the preview never reads half of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
