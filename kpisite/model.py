"""Typed objects built from validated content: Site, Agency, StrategyNode, Indicator, Quarter.

Derived facts live here, once: the achieved value when none was recorded, the status against the
target, and the flags for recorded numbers that do not add up.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from typing import Any

from . import thai, urls

Number = Decimal | int

# Indicator types, result levels and statuses: the key used in files, and the Thai label.
TYPES = {
    "strategic": "ตัวชี้วัดเชิงยุทธศาสตร์",
    "routine": "ตัวชี้วัดงานประจำ",
    "goal": "ตัวชี้วัดเป้าประสงค์",
}
RESULT_LEVELS = {
    "output": "ตัวชี้วัดระดับผลผลิต (output)",
    "outcome": "ตัวชี้วัดระดับผลลัพธ์ (outcome)",
}
# Units and words that suggest a smaller value is better (minutes of response time, decreases).
LOWER_UNITS = {"นาที", "วินาที", "ชั่วโมง", "วัน"}
LOWER_WORDS = ("ลดลง", "ระยะเวลา", "เปอร์เซ็นไทล์", "percentile", "decrease")
STATUSES = {
    "met": "บรรลุเป้าหมาย",
    "not-met": "ไม่บรรลุเป้าหมาย",
    "not-reported": "ยังไม่รายงานผล",
    "no-target": "ไม่มีค่าเป้าหมาย",
}
STATUS_RULE = (
    "สถานะเทียบ \u201cผลงานที่ทำได้\u201d กับ \u201cค่าเป้าหมาย\u201d ตามทิศทางของตัวชี้วัด: "
    "ตัวชี้วัดที่ยิ่งมากยิ่งดีบรรลุเป้าหมายเมื่อผลงานมากกว่าหรือเท่ากับเป้าหมาย "
    "ตัวชี้วัดที่ยิ่งน้อยยิ่งดี (เช่น ระยะเวลาเป็นนาที) บรรลุเป้าหมายเมื่อผลงานน้อยกว่าหรือเท่ากับเป้าหมาย "
    "ผลงานที่ทำได้คือค่าที่หน่วยงานบันทึกไว้ หากไม่ได้บันทึกจะใช้ผลงานของไตรมาสล่าสุดที่รายงาน "
    "ช่องที่เว้นว่างหมายถึงยังไม่รายงาน ซึ่งไม่เท่ากับศูนย์"
)


@dataclass(slots=True)
class Quarter:
    """One quarter's row: result (in the indicator's unit), assessment score, the 2.1/2.2 pair."""

    number: int
    result: Number | None = None  # None: not reported (not the same as 0)
    score: Number | None = None
    pair: tuple[Number, Number] | None = None  # "2.1 / 2.2": points given / full points
    report: str = ""  # the agency's progress report (Markdown)


@dataclass(slots=True)
class RubricLevel:
    level: int
    description: str
    weight: Number | None  # % of the indicator's weight earned at this level


@dataclass(slots=True)
class Flag:
    """A recorded fact that does not add up: published as recorded, and pointed out."""

    field: tuple  # where in the file, e.g. ("quarters", 3, "pair")
    th: str
    en: str


@dataclass(slots=True)
class Assessment:
    """The strategy office's (สยป.) assessment: which quarter, and its score."""

    quarter: int | None
    score: Number | None


@dataclass
class Indicator:
    """Everything one content file says about one indicator, plus what is derived from it."""

    source: str  # the content file, relative to the project root
    code: str
    name: str
    type: str
    fiscal_year: str | None = None  # "2564", or a span such as "2562-2563"; None: unknown
    agency: str | None = None
    order: str = ""
    result_level: str | None = None
    tags: list[str] = field(default_factory=list)
    evaluation_dimension: str = ""
    unit: str = ""
    direction: str | None = None  # None: not stated (read as "higher")
    target: Number | None = None
    achieved: Number | None = None  # as recorded; see achieved_value
    assessment: Assessment | None = None
    quarters: list[Quarter] = field(default_factory=list)
    summary: str = ""
    definition: str = ""
    calculation: str = ""
    rubric: list[RubricLevel] = field(default_factory=list)
    data_collection: str = ""
    evidence: list[str] = field(default_factory=list)
    strategy: list[str] = field(default_factory=list)  # strategy node numbers, "5.2.1.1"
    projects: list[str] = field(default_factory=list)
    notes: str = ""
    source_url: str = ""
    published: bool = True
    # Lines this indicator contributes to site-wide files (search index, CSV, JSON), made once
    # where the file is read, so that updating those files after one edit is a join.
    exports: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    # -- where it lives --------------------------------------------------------------------
    @property
    def year_key(self) -> str:
        return self.fiscal_year or urls.NO_YEAR

    @property
    def path(self) -> str:
        return urls.indicator(self.year_key, self.code)

    @property
    def print_path(self) -> str:
        return urls.indicator_print(self.year_key, self.code)

    # -- derived facts ---------------------------------------------------------------------
    @cached_property
    def latest(self) -> Quarter | None:
        """The latest quarter with a reported result."""
        return next((q for q in reversed(self.quarters) if q.result is not None), None)

    @cached_property
    def achieved_value(self) -> Number | None:
        """The headline achieved value: as recorded, else the latest reported result."""
        if self.achieved is not None:
            return self.achieved
        return self.latest.result if self.latest else None

    @property
    def achieved_derived(self) -> bool:
        return self.achieved is None and self.achieved_value is not None

    @cached_property
    def status(self) -> str:
        """met / not-met / not-reported / no-target: the rule is STATUS_RULE."""
        if self.target is None:
            return "no-target"
        value = self.achieved_value
        if value is None:
            return "not-reported"
        met = value <= self.target if self.direction == "lower" else value >= self.target
        return "met" if met else "not-met"

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def type_label(self) -> str:
        return TYPES[self.type]

    @property
    def result_level_label(self) -> str:
        return RESULT_LEVELS.get(self.result_level or "", "")

    @property
    def achieved_level(self) -> int | None:
        """The rubric level reached, when the unit is a level (ระดับ) and the value a whole one."""
        value = self.achieved_value
        levels = {r.level for r in self.rubric}
        if self.unit.strip() == "ระดับ" and value is not None and value == int(value) \
                and int(value) in levels:
            return int(value)
        return None

    @cached_property
    def sort_key(self) -> tuple:
        """Lists show the newest year first, then by agency, order label and code."""
        return (year_sort_key(self.year_key), self.agency or "~", _natural(self.order) or (10**9,),
                _natural(self.code), self.code)

    def quarter_months(self, quarter: int) -> str:
        """The months of a quarter of this indicator's fiscal year, e.g. 'ต.ค.-ธ.ค. 2563'."""
        single = self.fiscal_year and "-" not in self.fiscal_year  # not a span of years
        return thai.quarter_months(int(self.fiscal_year), quarter) if single else ""

    @property
    def suggests_lower(self) -> bool:
        """Its unit or name suggests a smaller value is better."""
        return self.unit in LOWER_UNITS or any(w in self.name.lower() for w in LOWER_WORDS)

    @cached_property
    def flags(self) -> list[Flag]:
        """Recorded numbers that do not add up (published as recorded, and pointed out)."""
        return consistency_flags(self)

    def without_texts(self) -> Indicator:
        """A light copy for indexes: the narrative fields dropped, derived facts kept."""
        quarters = [replace(q, report="") for q in self.quarters]
        light = replace(self, summary="", definition="", calculation="", data_collection="",
                        notes="", rubric=[], evidence=[], projects=[], quarters=quarters)
        light.__dict__.update(status=self.status, sort_key=self.sort_key)  # computed once
        return light


def year_sort_key(key: str) -> tuple:
    """Newest fiscal year first; a span sorts by its last year; 'no year' last."""
    if key == urls.NO_YEAR:
        return (1, 0, "")
    return (0, -int(key[-4:]), "".join(chr(0x10FFFF - ord(c)) for c in key))


def _natural(text: str) -> tuple:
    """'(7)' < '(12)'; Thai digits count as digits."""
    return tuple(int(n) for n in re.findall(r"\d+", thai.arabic_digits(text)))


def consistency_flags(ind: Indicator) -> list[Flag]:
    """Flags for: achieved vs latest quarter, score vs its pair, points above full points."""
    flags: list[Flag] = []
    latest = ind.latest
    if ind.achieved is not None and latest is not None and ind.achieved != latest.result:
        flags.append(Flag(
            ("achieved",),
            f"ผลงานที่ทำได้ที่บันทึกไว้ ({fmt(ind.achieved)}) ไม่ตรงกับผลงานไตรมาสล่าสุดที่รายงาน "
            f"(ไตรมาสที่ {latest.number}: {fmt(latest.result)})",
            f"achieved {fmt(ind.achieved)} differs from the latest reported quarter "
            f"(Q{latest.number}: {fmt(latest.result)})"))
    for i, q in enumerate(ind.quarters):
        if q.score is not None and q.score > 100:
            flags.append(Flag(("quarters", i, "score"),
                              f"ผลประเมินไตรมาสที่ {q.number} ({fmt(q.score)}) เกิน 100",
                              f"Q{q.number} score {fmt(q.score)} is above 100"))
        if q.pair is None:
            continue
        got, full = q.pair
        if got > full:
            flags.append(Flag(("quarters", i, "pair"),
                              f"ไตรมาสที่ {q.number}: คะแนน {fmt(got)} เกินคะแนนเต็ม {fmt(full)}",
                              f"Q{q.number}: {fmt(got)} points is above the full {fmt(full)}"))
        if q.score is not None and q.score != got:
            flags.append(Flag(("quarters", i, "score"),
                              f"ไตรมาสที่ {q.number}: ผลประเมิน {fmt(q.score)} ไม่ตรงกับคะแนน "
                              f"2.1 / 2.2 ({fmt(got)} / {fmt(full)})",
                              f"Q{q.number}: score {fmt(q.score)} disagrees with "
                              f"{fmt(got)} / {fmt(full)}"))
    a = ind.assessment
    if a and a.quarter is not None and a.score is not None:
        q = next((q for q in ind.quarters if q.number == a.quarter), None)
        if q is not None and q.score is not None and q.score != a.score:
            flags.append(Flag(("assessment", "score"),
                              f"ผลการตรวจประเมินของ สยป. ({fmt(a.score)}) ไม่ตรงกับผลประเมิน"
                              f"ไตรมาสที่ {a.quarter} ในตาราง ({fmt(q.score)})",
                              f"assessment score {fmt(a.score)} differs from Q{a.quarter} score "
                              f"{fmt(q.score)}"))
    return flags


PREFIX_UNITS = {"ร้อยละ", "ระดับ"}  # Thai writes these before the number: ร้อยละ 80, ระดับ 5


def with_unit(text: str, unit: str) -> str:
    """A number and its unit in Thai order: 'ร้อยละ 80', 'ระดับ 5', but '15 นาที', '3 แห่ง'."""
    if not unit:
        return text
    return f"{unit} {text}" if unit in PREFIX_UNITS else f"{text} {unit}"


def fmt(value: Number | None) -> str:
    """A number as recorded (its decimals kept), with thousands separators; '' for none."""
    if value is None:
        return ""
    try:
        if isinstance(value, Decimal) and value.as_tuple().exponent > 0:
            value = value.quantize(Decimal(1))  # 1E+3 -> 1000
        return f"{value:,}"
    except (ArithmeticError, ValueError):  # absurd magnitudes: show as written
        return str(value)


# -- the rest of the site ------------------------------------------------------------------

@dataclass
class Agency:
    code: str
    name: str = ""  # empty: unknown; the agency is then shown by its code
    name_en: str = ""

    @property
    def label(self) -> str:
        return self.name or f"หน่วยงานรหัส {self.code}"

    @property
    def path(self) -> str:
        return urls.agency(self.code)


@dataclass(eq=False)
class StrategyNode:
    number: str  # "5.2.1" (Arabic digits; shown in Thai digits)
    name: str = ""
    name_en: str = ""
    truncated: bool = False  # the old system cut the name short
    label: str = ""  # the level's word: ด้าน, มิติ, เป้าหมาย, or ""
    children: list[StrategyNode] = field(default_factory=list)
    parent: StrategyNode | None = None

    @property
    def thai_number(self) -> str:
        return thai.thai_digits(self.number)

    @property
    def heading(self) -> str:
        """How the pages number a node: 'ด้านที่ ๕', 'มิติที่ ๕.๒', or just '๕.๒.๑.๑'."""
        return f"{self.label}ที่ {self.thai_number}" if self.label else self.thai_number

    @property
    def path(self) -> str:
        return urls.strategy_node(self.number)

    @property
    def crumb(self) -> tuple[str, str]:
        """(label, path) for breadcrumbs."""
        return self.heading, self.path

    @property
    def ancestry(self) -> list[StrategyNode]:
        """From the top dimension down to this node."""
        chain, node = [], self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Strategy:
    title: str
    roots: list[StrategyNode]

    def __post_init__(self):
        self.by_number = {n.number: n for root in self.roots for n in root.walk()}

    def walk(self):
        for root in self.roots:
            yield from root.walk()


@dataclass
class Site:
    """site.yaml, agencies.yaml and strategy.yaml: everything but the indicators."""

    title: str
    description: str = ""
    system_name: str = ""
    organization: str = ""
    base_url: str = ""
    repository: str = ""
    repository_folder: str = ""  # where the content's parent lies in the repository ('' = top)
    branch: str = "main"
    agencies: dict[str, Agency] = field(default_factory=dict)
    strategy: Strategy = field(default_factory=lambda: Strategy("", []))

    def agency(self, code: str | None) -> Agency | None:
        return self.agencies.get(code) if code else None


# -- building the objects from validated data ------------------------------------------------

def node_number(value: Any) -> str:
    """A strategy node number as stored: Arabic digits, no spaces ('๕.๒' -> '5.2')."""
    return thai.arabic_digits(str(value)).strip()


def code_text(value: Any) -> str:
    """A code as text; integers convert without loss (leading zeros stay strings in YAML)."""
    return str(value).strip()


def indicator_from(data: dict, source: str) -> Indicator:
    """An Indicator from a schema-valid mapping."""
    text = lambda key: (data.get(key) or "").strip()  # noqa: E731
    fy = data.get("fiscal_year")
    a = data.get("assessment")
    return Indicator(
        source=source,
        code=code_text(data["code"]),
        name=data["name"].strip(),
        type=data["type"],
        fiscal_year=thai.arabic_digits(fy).strip() if fy is not None else None,
        agency=code_text(data["agency"]) if data.get("agency") is not None else None,
        order=code_text(data.get("order") or ""),
        result_level=data.get("result_level"),
        tags=list(data.get("tags") or []),
        evaluation_dimension=text("evaluation_dimension"),
        unit=text("unit"),
        direction=data.get("direction"),
        target=data.get("target"),
        achieved=data.get("achieved"),
        assessment=Assessment(a.get("quarter"), a.get("score")) if a else None,
        quarters=sorted((Quarter(q["quarter"], q.get("result"), q.get("score"),
                                 tuple(q["pair"]) if q.get("pair") else None,
                                 (q.get("report") or "").strip())
                         for q in data.get("quarters") or []), key=lambda q: q.number),
        summary=text("summary"),
        definition=text("definition"),
        calculation=text("calculation"),
        rubric=[RubricLevel(r["level"], (r.get("description") or "").strip(), r.get("weight"))
                for r in data.get("rubric") or []],
        data_collection=text("data_collection"),
        evidence=[e.strip() for e in data.get("evidence") or []],
        strategy=[node_number(n) for n in data.get("strategy") or []],
        projects=[p.strip() for p in data.get("projects") or []],
        notes=text("notes"),
        source_url=text("source"),
        published=data.get("published", True),
    )


def site_from(config: dict, agencies: dict, strategy: dict) -> Site:
    """The Site from the three schema-valid site files."""
    levels = strategy.get("levels") or []

    def node(d: dict, parent: StrategyNode | None) -> StrategyNode:
        number = node_number(d["number"])
        depth = number.count(".")
        n = StrategyNode(number, (d.get("name") or "").strip(), (d.get("name_en") or "").strip(),
                         bool(d.get("truncated")), levels[depth] if depth < len(levels) else "",
                         parent=parent)
        n.children = [node(c, n) for c in d.get("children") or []]
        return n

    return Site(
        title=config["title"],
        description=(config.get("description") or "").strip(),
        system_name=config.get("system_name") or "",
        organization=config.get("organization") or "",
        base_url=(config.get("base_url") or "").rstrip("/"),
        repository=(config.get("repository") or "").rstrip("/"),
        repository_folder=(config.get("repository_folder") or "").strip("/"),
        branch=config.get("branch") or "main",
        agencies={code_text(a["code"]): Agency(code_text(a["code"]), a.get("name") or "",
                                               a.get("name_en") or "")
                  for a in agencies.get("agencies") or []},
        strategy=Strategy(strategy.get("title") or "",
                          [node(d, None) for d in strategy.get("nodes") or []]),
    )
