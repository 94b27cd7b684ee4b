"""Writing indicator files: a new empty one (`new`), or one from the old system (`import`).

Both use the same layout: every field in the field table's order, each section headed by its
Thai label, empty where unknown, and the schema line at the top for editors. (quickyaml reads
exactly this layout fast.)
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from . import fields, pages, thai
from .diagnostics import UsageError
from .i18n import _, bilingual, standard
from .load import plain_value
from .quickyaml import UNSAFE, plain  # plain: text that reads back as itself unquoted

LANGUAGE = "th"  # of the files' headings and notes, as editors read them
SCHEMA_LINE = "# yaml-language-server: $schema={}schema/indicator.schema.json"
EMPTY_QUARTERS = [{"quarter": n} for n in (1, 2, 3, 4)]
_NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?$")
_FLOW_INDICATORS = frozenset(",[]{}")
_YAML_RESOLVER = yaml.resolver.Resolver()  # YAML 1.1's implicit types
_STR = "tag:yaml.org,2002:str"
_YAML12_NUMBER = re.compile(r"^[-+]?(0o[0-7]+|0x[0-9a-fA-F]+|[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?"
                            r"|\.[0-9]+([eE][-+]?[0-9]+)?|\.inf|\.nan)$", re.IGNORECASE)


def scalar(value: Any, in_list: bool = False) -> str:
    """A YAML scalar that the content loader reads back as exactly `value`; `in_list`: an item
    of a `[a, b]` list, where commas and brackets end a plain scalar."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    text = str(value)
    if (plain(text) and not UNSAFE.search(text) and plain_value(text) is text
            and not _not_text_elsewhere(text)
            and not (in_list and _FLOW_INDICATORS.intersection(text))):
        return text
    if ('"' in text or "\\" in text) and "'" not in text and "\n" not in text \
            and not UNSAFE.search(text):
        return f"'{text}'"  # no escapes needed: what quickyaml reads
    # A JSON string is a YAML double-quoted scalar; YAML reads some characters that JSON leaves
    # as they are (U+2028, NEL) differently, or refuses them (C1 controls): escape those too.
    return UNSAFE.sub(lambda m: "\\u%04x" % ord(m[0]), json.dumps(text, ensure_ascii=False))


def _not_text_elsewhere(text: str) -> bool:
    """Whether other YAML readers would read this unquoted text as something else: "0700"
    is a number to YAML 1.1 and 1.2 readers (the editor form's among them), yes/no a boolean
    to YAML 1.1's. kpisite reads it as text either way; quoted, every reader does."""
    return (_YAML_RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) != _STR
            or bool(_YAML12_NUMBER.match(text)))


def flow_list(values: list) -> str:
    """A list on one line: [a, b]."""
    return "[" + ", ".join(scalar(value, in_list=True) for value in values) + "]"


def block(value: str | None, indent: int) -> str:
    """A Markdown field as a literal block (`|`), or empty."""
    if not value:
        return ""
    pad = " " * indent
    return "|\n" + "\n".join(pad + line if line else "" for line in value.strip().split("\n"))


def indicator_text(d: dict, comments: list[str] = (), depth: int = 3, words=None) -> str:
    """The text of an indicator file holding `d` (keys as in the field table), every field in
    the table's order, each section headed by its label (in `words`: the site's own Thai
    words, where it has them)."""
    words = words or standard(LANGUAGE)
    out = [SCHEMA_LINE.format("../" * depth)] + [f"# {c}" for c in comments]
    for f in fields.FIELDS:
        value = d.get(f.name)
        if _left_out(f, value):
            continue
        if f.section:
            heading = words(f.label) + (f": {words(f.comment)}" if f.comment else "")
            out += ["", f"# {heading}"]
        out += _lines(f, value, words)
    return "\n".join(out) + "\n"


def _left_out(f: fields.Field, value: Any) -> bool:
    return f.omit_empty and value in (None, "", fields.default(f))


def _lines(f: fields.Field, value: Any, words, indent: str = "") -> list[str]:
    """The lines of one field (`indent`: inside a row)."""
    key = f"{indent}{f.name}:"
    if f.kind == "markdown":
        return [f"{key} {block(value, len(indent) + 2)}".rstrip()]
    if f.kind in ("texts", "nodes") and not f.section and not (indent and value):
        return [f"{key} {flow_list(value or [])}"]  # short lists; in a mapping, a line each
    if f.kind in ("texts", "nodes"):
        return [f"{key} []"] if not value else [key] + [f"{indent}  - {scalar(v)}" for v in value]
    if f.kind == "pair":
        return [f"{key} {flow_list(value)}" if value else key]
    if f.kind == "object":
        value = value or {}
        return [key] + [line for p in f.parts if not _left_out(p, value.get(p.name))
                        for line in _lines(p, value.get(p.name), words, indent + "  ")]
    if f.kind == "rows":
        return [f"{key} []"] if not value else [key] + [
            line for row in value for line in _row_lines(f, row, words, indent)]
    if f.kind == "bool" and value is None:
        value = fields.default(f)  # written out, as the form shows it: published: true
    note = words(f.comment) if f.comment else ", ".join(
        f"{k} = {words(label)}" for k, label in f.choices.items() if k is not None)
    return [f"{key} {scalar(value)}".rstrip() + (f"  # {note}" if note else "")]


def _row_lines(f: fields.Field, row: dict, words, indent: str) -> list[str]:
    """One row of a table field: its comments, then `- first: n`, then the other parts."""
    first, *rest = f.parts
    lines = [f"{indent}  # {c}" for c in row.get("comments", [])]
    lines.append(f"{indent}  - {first.name}: {scalar(row.get(first.name))}")
    return lines + [line for p in rest if not _left_out(p, row.get(p.name))
                    for line in _lines(p, row.get(p.name), words, indent + "    ")]


def file_path(content: Path, fiscal_year: Any, code: Any) -> Path:
    """Where the file of an indicator goes: content/indicators/<year>/<code>.yaml.

    Raises UsageError for a code or year the schema would refuse (and so for any path that
    would lead outside content/)."""
    year = thai.arabic_digits(fiscal_year).strip() if fiscal_year else pages.NO_YEAR
    code = str(code).strip()
    year_pattern = next(o["pattern"] for o in fields.KINDS["year"][0]["oneOf"] if "pattern" in o)
    if not re.fullmatch(fields.BY_NAME["code"].schema["pattern"].strip("^$"), code):
        raise UsageError(bilingual(_("invalid indicator code: %(code)s", code=repr(code))))
    if year != pages.NO_YEAR and not re.fullmatch(year_pattern.strip("^$"), year):
        raise UsageError(bilingual(_("invalid fiscal year: %(year)s", year=repr(year))))
    return content / "indicators" / year / f"{code}.yaml"
