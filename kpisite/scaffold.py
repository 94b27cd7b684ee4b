"""Writing indicator files: a new empty one (`new`), or one from the old system's facts (`import`).

Both use the same layout: every field in the schema's order, each section headed by its Thai title
from the schema, empty where unknown, and the schema line at the top for editors.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import thai, urls
from .diagnostics import UsageError
from .load import plain_value
from .quickyaml import UNSAFE, plain  # plain: text that reads back as itself unquoted
from .model import LOWER_UNITS, TYPES
from .validate import schema

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
    """The text of an indicator file holding `d` (keys as in the schema), every section present."""
    props = schema("indicator")["properties"]
    title = lambda key: props[key].get("title", "")  # noqa: E731
    out = [SCHEMA_LINE.format("../" * depth)] + [f"# {c}" for c in comments]
    put = lambda key, text="": out.append(f"{key}: {text}".rstrip())  # noqa: E731
    for key in ("fiscal_year", "agency", "code", "order", "name"):
        put(key, scalar(d.get(key)))
    put("type", scalar(d.get("type")) + "  # " + ", ".join(f"{k} = {v}" for k, v in TYPES.items()))
    put("result_level", scalar(d.get("result_level")) + "  # output = ผลผลิต, outcome = ผลลัพธ์")
    put("tags", flow_list(d.get("tags") or []))
    put("evaluation_dimension", scalar(d.get("evaluation_dimension")))
    put("unit", scalar(d.get("unit")))
    put("direction", scalar(d.get("direction")) + "  # higher = ยิ่งมากยิ่งดี, lower = ยิ่งน้อยยิ่งดี")
    for key in ("target", "achieved"):
        put(key, scalar(d.get(key)))
    a = d.get("assessment") or {}
    out += ["", f"# {title('assessment')}", "assessment:",
            f"  quarter: {scalar(a.get('quarter'))}".rstrip(),
            f"  score: {scalar(a.get('score'))}".rstrip()]
    quarters = d.get("quarters") or []
    out += ["", f"# {title('quarters')}: เว้นว่าง = ยังไม่รายงาน (ไม่ใช่ 0)",
            "quarters:" if quarters else "quarters: []"]
    for q in quarters:
        out += [*[f"  # {c}" for c in q.get("comments", [])],
                f"  - quarter: {q['quarter']}",
                f"    result: {scalar(q.get('result'))}".rstrip(),
                f"    score: {scalar(q.get('score'))}".rstrip(),
                ("    pair: " + flow_list(q["pair"])) if q.get("pair")
                else "    pair:",
                f"    report: {block(q.get('report'), 6)}".rstrip()]
    for key in ("summary", "definition", "calculation"):
        out += ["", f"# {title(key)}", f"{key}: {block(d.get(key), 2)}".rstrip()]
    out += ["", f"# {title('rubric')}: level, description, weight (ร้อยละของน้ำหนักคะแนน)"]
    rubric = d.get("rubric") or []
    out.append("rubric:" if rubric else "rubric: []")
    for r in rubric:
        out += [f"  - level: {r['level']}", f"    description: {scalar(r.get('description'))}",
                f"    weight: {scalar(r.get('weight'))}".rstrip()]
    out += ["", f"# {title('data_collection')}",
            f"data_collection: {block(d.get('data_collection'), 2)}".rstrip()]
    for key in ("evidence", "strategy", "projects"):
        items = d.get(key) or []
        out += ["", f"# {title(key)}", f"{key}:" if items else f"{key}: []"]
        out += [f"  - {scalar(item)}" for item in items]
    out += ["", f"# {title('notes')}", f"notes: {block(d.get('notes'), 2)}".rstrip()]
    if d.get("source"):
        out.append(f"source: {scalar(d['source'])}")
    return "\n".join(out) + "\n"


def file_path(content: Path, fiscal_year: Any, code: Any) -> Path:
    """Where the file of an indicator goes: content/indicators/<year>/<code>.yaml.

    Raises UsageError for a code or year the schema would refuse (and so for any path that
    would lead outside content/)."""
    props = schema("indicator")["properties"]
    year = thai.arabic_digits(fiscal_year).strip() if fiscal_year else urls.NO_YEAR
    code = str(code).strip()
    year_pattern = next(o["pattern"] for o in props["fiscal_year"]["oneOf"] if "pattern" in o)
    if not re.fullmatch(props["code"]["pattern"].strip("^$"), code):
        raise UsageError(f"รหัสตัวชี้วัดไม่ถูกต้อง (invalid code): {code!r}")
    if year != urls.NO_YEAR and not re.fullmatch(year_pattern.strip("^$"), year):
        raise UsageError(f"ปีงบประมาณไม่ถูกต้อง (invalid fiscal year): {year!r}")
    return content / "indicators" / year / f"{code}.yaml"


# -- the old system's facts (../shared/reference/sample-indicators.json) ---------------------

_TYPE_KEYS = {label: key for key, label in TYPES.items()}


def _number(text: str | None) -> Decimal | None:
    """'1,407.52' -> Decimal('1407.52'); blank -> None."""
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    if not _NUMBER.match(text):
        raise UsageError(f"ไม่ใช่ตัวเลข (not a number): {text!r}")
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
            comments.append(f"ระบบเดิมแสดงผลงานไตรมาสที่ {q['q']} เป็น {q['result']} และคะแนน "
                            f"{q['ratio']}: ยังไม่ได้รายงาน จึงเว้นว่าง")
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


def import_old_system(json_path: Path, content: Path, overwrite: bool = False) -> list[Path]:
    """Write one indicator file per record of a facts file; existing files are kept."""
    records = json.loads(json_path.read_text(encoding="utf-8"))
    written = []
    for record in records:
        fields = from_old_system(record)
        target = file_path(content, fields["fiscal_year"], fields["code"])
        if target.exists() and not overwrite:
            continue
        comments = [f"นำเข้าจากข้อเท็จจริงของระบบเดิม ({json_path.name}): ไม่มีข้อความรายงาน นิยาม "
                    "และเกณฑ์ จึงเว้นว่าง"]
        comments += [f"ข้อสังเกตของผู้บันทึก: {n}" for n in record.get("notes") or []]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(indicator_text(fields, comments), encoding="utf-8")
        written.append(target)
    return written
