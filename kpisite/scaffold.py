"""Writing indicator files: a new empty one (`new`), or one from the old system's facts (`import`).

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

from . import fields, pages, thai
from .diagnostics import UsageError
from .i18n import _, bilingual, standard
from .load import plain_value
from .quickyaml import UNSAFE, plain  # plain: text that reads back as itself unquoted
from .model import LOWER_UNITS, TYPES

SCHEMA_LINE = "# yaml-language-server: $schema={}schema/indicator.schema.json"
EMPTY_QUARTERS = [{"quarter": n} for n in (1, 2, 3, 4)]
_NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?$")
_FLOW_INDICATORS = frozenset(",[]{}")


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
            and not (in_list and _FLOW_INDICATORS.intersection(text))):
        return text
    # A JSON string is a YAML double-quoted scalar; YAML reads some characters that JSON leaves
    # as they are (U+2028, NEL) differently, or refuses them (C1 controls): escape those too.
    return UNSAFE.sub(lambda m: "\\u%04x" % ord(m[0]), json.dumps(text, ensure_ascii=False))


def flow_list(values: list) -> str:
    """A list on one line: [a, b]."""
    return "[" + ", ".join(scalar(value, in_list=True) for value in values) + "]"


def block(value: str | None, indent: int) -> str:
    """A Markdown field as a literal block (`|`), or empty."""
    if not value:
        return ""
    pad = " " * indent
    return "|\n" + "\n".join(pad + line if line else "" for line in value.strip().split("\n"))


def indicator_text(d: dict, comments: list[str] = (), depth: int = 3) -> str:
    """The text of an indicator file holding `d` (keys as in the field table), every field in
    the table's order, each section headed by its label."""
    words = standard("th")
    out = [SCHEMA_LINE.format("../" * depth)] + [f"# {c}" for c in comments]
    for f in fields.FIELDS:
        value = d.get(f.name)
        if f.omit_empty and value in (None, "", fields.default(f)):
            continue
        if f.section:
            heading = words(f.label) + (f": {words(f.comment)}" if f.comment else "")
            out += ["", f"# {heading}"]
        out += _lines(f, value, words)
    return "\n".join(out) + "\n"


def _lines(f: fields.Field, value: Any, words, indent: str = "") -> list[str]:
    """The lines of one field (`indent`: inside a row)."""
    key = f"{indent}{f.name}:"
    if f.kind == "markdown":
        return [f"{key} {block(value, len(indent) + 2)}".rstrip()]
    if f.kind in ("texts", "nodes") and not f.section:
        return [f"{key} {flow_list(value or [])}"]
    if f.kind in ("texts", "nodes"):
        return [f"{key} []"] if not value else [key] + [f"{indent}  - {scalar(v)}" for v in value]
    if f.kind == "pair":
        return [f"{key} {flow_list(value)}" if value else key]
    if f.kind == "object":
        value = value or {}
        return [key] + [line for p in f.parts for line in _lines(p, value.get(p.name), words,
                                                                 indent + "  ")]
    if f.kind == "rows":
        return [f"{key} []"] if not value else [key] + [
            line for row in value for line in _row_lines(f, row, words, indent)]
    note = words(f.comment) if f.comment else ", ".join(
        f"{k} = {words(label)}" for k, label in f.choices.items() if k is not None)
    return [f"{key} {scalar(value)}".rstrip() + (f"  # {note}" if note else "")]


def _row_lines(f: fields.Field, row: dict, words, indent: str) -> list[str]:
    """One row of a table field: its comments, then `- first: n`, then the other parts."""
    first, *rest = f.parts
    lines = [f"{indent}  # {c}" for c in row.get("comments", [])]
    lines.append(f"{indent}  - {first.name}: {scalar(row.get(first.name))}")
    return lines + [line for p in rest for line in _lines(p, row.get(p.name), words,
                                                          indent + "    ")]


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


# -- the old system's facts (../shared/reference/sample-indicators.json) ---------------------

# The old system's pages name the type in Thai: its labels in our catalogue are those names.
_TYPE_KEYS = {standard("th")(label): key for key, label in TYPES.items()}


def _number(text: str | None) -> Decimal | None:
    """'1,407.52' -> Decimal('1407.52'); blank -> None."""
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    if not _NUMBER.match(text):
        raise UsageError(bilingual(_("not a number: %(text)s", text=repr(text))))
    return Decimal(text.replace(",", ""))


def _order(label: str | None) -> str | None:
    """The order label without what the heading repeats: the kind word and 'ปี 2564'."""
    if not label:
        return None
    label = re.sub(r"^ตัวชี้วัดยุทธศาสตร์\s*", "", label)
    return re.sub(r"^ปี\s*[0-9๐-๙]{4}\s*", "", label).strip() or None


def from_old_system(record: dict) -> dict:
    """Indicator fields from one record of the old system's facts.

    A quarter shown as result 0.00 with a 2.1/2.2 pair of 0 / 0 is how the old system prints a
    quarter nobody entered (DOMAIN.md: the reference page's quarter 4): it becomes blank, i.e.
    not reported, and a comment keeps what the old page showed.
    """
    quarters = []
    for q in record.get("quarters") or []:
        result, score = _number(q.get("result")), _number(q.get("score"))
        pair = [_number(x) for x in q["ratio"].split("/")] if q.get("ratio") else None
        comments = []
        if result == 0 and pair == [0, 0]:
            words = standard("th")
            comments.append(words(
                "the old system showed the result of quarter %(n)s as %(result)s with the score "
                "%(ratio)s: not reported yet, so it is left empty", n=q["q"], result=q["result"],
                ratio=q["ratio"]))
            result = None
        quarters.append({"quarter": int(q["q"]), "result": result, "score": score,
                         "pair": pair, "comments": comments})
    path = record.get("strategy_path") or []
    strategy = []
    if path:
        numbers = re.findall(r"[0-9๐-๙]+(?:\.[0-9๐-๙]+)*", path[-1])
        strategy = [thai.arabic_digits(numbers[0])] if numbers else []
    a = record.get("assessment") or {}
    unit = record.get("unit")
    return {
        "fiscal_year": record.get("fiscal_year"),
        "agency": record.get("agency_code"),
        "code": record["code"],
        "order": _order(record.get("order_label")),
        "name": record["name"],
        "type": _TYPE_KEYS[record["type"]],
        "result_level": record.get("result_level"),
        "unit": unit,
        "direction": "lower" if unit in LOWER_UNITS else None,
        "target": _number(record.get("target")),
        "achieved": _number(record.get("achieved")),
        "assessment": {"quarter": a.get("quarter"), "score": _number(a.get("score"))} if a else {},
        "quarters": quarters,
        "strategy": strategy,
        "source": record.get("source"),
    }


def read_facts(json_path: Path) -> list[dict]:
    """The records of a facts file (a JSON list of objects), or a UsageError that says why not."""
    fail = lambda msg: UsageError(bilingual(msg))  # noqa: E731
    try:
        raw = json_path.read_bytes()
    except OSError as exc:
        raise fail(_("cannot read %(file)s: %(reason)s", file=str(json_path),
                     reason=exc.strerror or str(exc))) from None
    try:
        records = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise fail(_("%(file)s is not UTF-8: save it again as UTF-8", file=str(json_path))) \
            from None
    except ValueError as exc:
        raise fail(_("%(file)s is not valid JSON: %(detail)s", file=str(json_path),
                     detail=str(exc))) from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise fail(_("%(file)s must hold a list of records ({...} each), one an indicator",
                     file=str(json_path)))
    return records


def import_old_system(json_path: Path, content: Path, overwrite: bool = False) -> list[Path]:
    """Write one indicator file per record of a facts file; existing files are kept."""
    records = read_facts(json_path)
    if content.exists() and not content.is_dir():
        raise UsageError(bilingual(_("%(path)s is not a folder", path=str(content))))
    written = []
    for number, record in enumerate(records, 1):
        try:
            fields = from_old_system(record)
        except (KeyError, TypeError, ValueError, AttributeError, UsageError) as exc:
            raise UsageError(bilingual(_(
                "%(file)s, record %(number)s (code %(code)s): %(problem)s", file=str(json_path),
                number=number, code=record.get("code"), problem=str(exc)))) from None
        target = file_path(content, fields["fiscal_year"], fields["code"])
        if target.exists() and not overwrite:
            continue
        words = standard("th")
        comments = [words("imported from the old system's facts (%(file)s): they hold no report "
                          "texts, definition or rubric, so those are left empty",
                          file=json_path.name)]
        comments += [words("the gatherer's remark: %(note)s", note=n)
                     for n in record.get("notes") or []]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(indicator_text(fields, comments), encoding="utf-8")
        written.append(target)
    return written
