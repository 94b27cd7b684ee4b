"""Checks: each file against its JSON Schema, then the rules a schema cannot say, then across files.

Every message says, in Thai and English, what is wrong and what was expected.
"""
from __future__ import annotations

import difflib
import json
from decimal import Decimal
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import fastjsonschema

from . import THEME, model, urls
from .catalog import year_label
from .diagnostics import ERROR, WARNING, Problem
from .load import Source, find_line

if TYPE_CHECKING:
    import jsonschema

SCHEMA_DIR = THEME / "schema"

_TYPE_NAMES = {
    "string": "ข้อความ (text)", "number": "ตัวเลข (number)", "integer": "จำนวนเต็ม (integer)",
    "boolean": "true หรือ false", "array": "รายการ (list)", "object": "ชุดของช่อง (mapping)",
    "null": "ค่าว่าง (empty)",
}


@cache
def schema(kind: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))


@cache
def quick_check(kind: str):
    """A compiled yes/no check (fastjsonschema): ten times faster than listing errors.

    It is compiled with each "$ref" replaced by what it names: for a $ref, fastjsonschema
    calls a function and spells out the value's path on every call, which made the check of
    an indicator file three times slower.
    """
    whole = schema(kind)
    return fastjsonschema.compile(_inlined(whole, whole.get("definitions", {})), use_formats=False)


def _inlined(node, definitions: dict, through: tuple = ()):
    """`node` with each "$ref" to a definition replaced by the definition itself, except
    within itself (a strategy node's children are nodes). Draft 7 ignores a $ref's siblings."""
    if isinstance(node, list):
        return [_inlined(item, definitions, through) for item in node]
    if not isinstance(node, dict):
        return node
    name = node.get("$ref", "").removeprefix("#/definitions/")
    if name in definitions and name not in through:
        return _inlined(definitions[name], definitions, through + (name,))
    return {key: _inlined(value, definitions, through) for key, value in node.items()}


@cache
def _validator(kind: str) -> jsonschema.Draft7Validator:
    """The validator that lists every error, for files that fail the quick check."""
    import jsonschema  # here: importing it takes 45 ms, and most builds never need it

    return jsonschema.Draft7Validator(schema(kind))


def check_schema(source: Source, kind: str) -> list[Problem]:
    """Problems of `source` against schema/<kind>.schema.json."""
    try:
        quick_check(kind)(source.data)
        return []  # the common case
    except fastjsonschema.JsonSchemaException as quick_error:
        found = [problem for error in _validator(kind).iter_errors(source.data)
                 for problem in _translate(error, source, kind)]
        # The two validators should agree; if only the quick one objects, say what it saw.
        return found or [source.problem(tuple(quick_error.path[1:]) if quick_error.path else (),
                                        f"ค่าไม่ถูกต้อง (invalid): {quick_error.message}")]


def _translate(error: jsonschema.ValidationError, source: Source, kind: str) -> list[Problem]:
    """A schema error in an editor's words."""
    path = tuple(error.absolute_path)
    value, keyword, expected = error.instance, error.validator, error.validator_value
    if keyword == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        return [source.problem(path + (key,), f"ไม่รู้จักช่องนี้ (unknown field){_did_you_mean(key, allowed)}")
                for key in value if key not in allowed]
    if keyword == "required":
        missing = [k for k in expected if k not in value]
        return [source.problem(path + (k,), f"ขาดช่อง '{k}' ({_title(kind, path + (k,))}) "
                                           f"ที่ต้องมี (required field is missing)")
                for k in missing]
    if keyword == "type":
        types = [expected] if isinstance(expected, str) else expected
        types = [t for t in types if t != "null"]
        names = " หรือ ".join(_TYPE_NAMES[t] for t in types)
        message = f"ต้องเป็น {names} แต่ได้ {_show(value)} (expected {' or '.join(types)})"
        if "number" in types and isinstance(value, str):
            message += ": เขียนเป็นตัวเลขล้วน ไม่มีจุลภาคหรือ % เช่น 1407.52"
        if "string" in types and isinstance(value, (int, float, bool)):
            message += f": ใส่เครื่องหมายคำพูด เช่น \"{value}\""
        if "boolean" in types and str(value).lower() in ("yes", "no", "on", "off", "y", "n"):
            message += ": เขียน true หรือ false (ที่นี่ yes/no/on/off ไม่ใช่ค่าจริง/เท็จ)"
    elif keyword == "enum":
        options = ", ".join("(ว่าง)" if o is None else str(o) for o in expected)
        message = (f"ต้องเป็นค่าใดค่าหนึ่งใน: {options} แต่ได้ {_show(value)} "
                   f"(expected one of: {options}){_did_you_mean(str(value), [str(o) for o in expected])}")
    elif keyword == "pattern":
        hint = error.schema.get("description") or _description(kind, path)
        message = f"รูปแบบไม่ถูกต้อง: {_show(value)} (does not match the expected form). {hint}"
    elif keyword in ("minimum", "maximum"):
        word = "ไม่น้อยกว่า" if keyword == "minimum" else "ไม่เกิน"
        message = f"ต้อง{word} {_show(expected)} แต่ได้ {_show(value)} ({keyword} {_show(expected)})"
    elif keyword in ("minItems", "maxItems"):
        word = "อย่างน้อย" if keyword == "minItems" else "ไม่เกิน"
        message = f"ต้องมี{word} {expected} รายการ แต่มี {len(value)} ({keyword} {expected})"
    elif keyword == "minLength":
        message = "ต้องไม่ว่าง (must not be empty)"
    elif keyword in ("oneOf", "anyOf"):
        message = f"ค่าไม่ถูกต้อง: {_show(value)}. {_description(kind, path)}"
    else:
        message = error.message
    return [source.problem(path, message)]


def _schema_at(kind: str, path: tuple) -> dict:
    """The (sub)schema that describes the field at `path`."""
    node, root = schema(kind), schema(kind)
    for part in path:
        if "$ref" in node:
            node = root["definitions"][node["$ref"].rsplit("/", 1)[-1]] | {
                k: v for k, v in node.items() if k != "$ref"}
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, {})
        if "$ref" in node and "properties" not in node and "items" not in node:
            ref = root["definitions"][node["$ref"].rsplit("/", 1)[-1]]
            node = ref | {k: v for k, v in node.items() if k != "$ref"}
    return node


def _title(kind: str, path: tuple) -> str:
    return _schema_at(kind, path).get("title", "")


def _description(kind: str, path: tuple) -> str:
    return _schema_at(kind, path).get("description", "")


def _show(value) -> str:
    if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
        return model.fmt(Decimal(str(value)))
    text = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" หมายถึง '{close[0]}' หรือไม่? (did you mean '{close[0]}'?)" if close else ""


# -- rules beyond the schema -----------------------------------------------------------------

def check_indicator(source: Source, site: model.Site) -> tuple[model.Indicator | None, list[Problem]]:
    """The Indicator of a content file, and every problem found in it alone."""
    problems = check_schema(source, "indicator")
    if problems:
        return None, problems
    ind = model.indicator_from(source.data, source.rel)
    add = lambda path, msg, sev=ERROR: problems.append(source.problem(path, msg, sev))  # noqa

    seen: set[int] = set()
    for i, q in enumerate(source.data.get("quarters") or []):
        if q["quarter"] in seen:
            add(("quarters", i, "quarter"), f"ไตรมาสที่ {q['quarter']} ซ้ำ: แต่ละไตรมาสมีได้แถวเดียว "
                                            "(quarter listed twice)")
        seen.add(q["quarter"])

    levels = sorted(r.level for r in ind.rubric)
    if levels and levels != list(range(1, len(levels) + 1)):
        add(("rubric",), f"ระดับในเกณฑ์ต้องเป็น 1 ถึง {len(levels)} ครบและไม่ซ้ำ แต่ได้ "
                         f"{', '.join(map(str, levels))} (rubric levels must be 1..n)")
    weights = [r.weight for r in sorted(ind.rubric, key=lambda r: r.level) if r.weight is not None]
    if any(b <= a for a, b in zip(weights, weights[1:])):
        add(("rubric",), "ร้อยละของน้ำหนักคะแนนต้องเพิ่มขึ้นตามระดับ (weights must increase with "
                         f"the level): {', '.join(model.fmt(w) for w in weights)}")

    if ind.agency is not None and ind.agency not in site.agencies:
        add(("agency",), f"ไม่พบหน่วยงานรหัส '{ind.agency}' ใน content/agencies.yaml: เพิ่มหน่วยงานที่นั่น "
                         f"หรือแก้รหัส (unknown agency){_did_you_mean(ind.agency, site.agencies)}")
    for i, number in enumerate(ind.strategy):
        if number not in site.strategy.by_number:
            add(("strategy", i), f"ไม่พบโหนดยุทธศาสตร์ '{number}' ใน content/strategy.yaml (unknown "
                                 f"strategy node){_did_you_mean(number, site.strategy.by_number)}")

    if ind.fiscal_year is None:
        add(("fiscal_year",), f"ไม่ได้ระบุปีงบประมาณ: จะแสดงเป็น '{year_label(urls.NO_YEAR)}' "
                              "(no fiscal year)", WARNING)
    if ind.agency is None and ind.type != "goal":
        add(("agency",), "ไม่ได้ระบุหน่วยงาน (no agency)", WARNING)
    if ind.direction is None and ind.target is not None and ind.suggests_lower:
        add(("direction",), "หน่วยหรือชื่อบอกว่ายิ่งน้อยยิ่งดี แต่ไม่ได้ระบุทิศทาง: ใส่ direction: lower "
                            "(หรือ higher) เพื่อให้สถานะถูกต้อง (unit suggests lower is better; "
                            "state the direction)", WARNING)
    a = ind.assessment
    if a and a.quarter is not None and ind.quarters and a.quarter not in seen:
        add(("assessment", "quarter"), f"ไม่มีไตรมาสที่ {a.quarter} ในตารางรายไตรมาส "
                                       "(assessed quarter is not in the quarters)", WARNING)
    for flag in ind.flags:
        add(flag.field, f"{flag.th} ({flag.en})", WARNING)
    return ind, problems


def check_duplicates(indicators: Iterable[model.Indicator], root: Path) -> list[Problem]:
    """An indicator code is unique within its fiscal year: name every file that shares one."""
    groups: dict[tuple, list[str]] = defaultdict(list)
    for ind in indicators:
        groups[(ind.year_key, ind.code)].append(ind.source)
    problems = []
    for (year, code), files in groups.items():
        if len(files) < 2:
            continue
        for f in files:
            others = ", ".join(o for o in files if o != f)
            line = find_line((root / f).read_text(encoding="utf-8-sig"), ("code",))
            problems.append(Problem(f, line, "code",
                                    f"รหัส {code} ซ้ำกับ {others} ({year_label(year)}): "
                                    f"รหัสต้องไม่ซ้ำกันในปีเดียวกัน (duplicate code in fiscal year {year})"))
    return problems


def check_site_files(sources: dict[str, Source]) -> list[Problem]:
    """site.yaml, agencies.yaml, strategy.yaml: schema, then unique codes and consistent numbering."""
    problems = [p for kind, src in sources.items() for p in check_schema(src, kind)]
    broken = {p.path for p in problems}
    if sources["agencies"].rel not in broken:
        seen: set[str] = set()
        for i, a in enumerate(sources["agencies"].data["agencies"]):
            code = model.code_text(a["code"])
            if code in seen:
                problems.append(sources["agencies"].problem(
                    ("agencies", i, "code"), f"รหัสหน่วยงาน {code} ซ้ำ (duplicate agency code)"))
            seen.add(code)
    if sources["strategy"].rel in broken:
        return problems
    numbers: set[str] = set()

    def walk(nodes: list, parent: str | None, path: tuple):
        for i, node in enumerate(nodes or []):
            number, here = model.node_number(node["number"]), path + (i,)
            if number in numbers:
                problems.append(sources["strategy"].problem(here + ("number",),
                                                            f"เลขโหนด {number} ซ้ำ (duplicate node)"))
            numbers.add(number)
            expected_parent = number.rpartition(".")[0] or None
            if expected_parent != parent:
                want = f"ขึ้นต้นด้วย {parent}." if parent else "เป็นเลขชั้นเดียว เช่น 5"
                problems.append(sources["strategy"].problem(
                    here + ("number",), f"เลขโหนด {number} ต้อง{want} ตามโหนดแม่ "
                                        "(a node's number extends its parent's)"))
            walk(node.get("children"), number, here + ("children",))

    walk(sources["strategy"].data["nodes"], None, ("nodes",))
    return problems

