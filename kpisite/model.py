"""Typed objects built from validated content: Site, Agency, StrategyNode, Indicator, Quarter.

Indicator, Quarter, RubricLevel and Assessment have the field table's fields (fields.py) as
their attributes. Derived facts live here, once: the achieved value when none was recorded, the
status against the target, and the flags for recorded numbers that do not add up.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, make_dataclass, replace
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from . import fields, pages, thai
from .i18n import N_, Message, _

Number = Decimal | int

TYPES = {k: v for k, v in fields.BY_NAME["type"].choices.items() if k}
RESULT_LEVELS = {k: v for k, v in fields.BY_NAME["result_level"].choices.items() if k}
LEVEL_UNIT = "ระดับ"  # the unit of indicators measured by the levels of their rubric
# Units and words that suggest a smaller value is better (minutes of response time, decreases).
LOWER_UNITS = {"นาที", "วินาที", "ชั่วโมง", "วัน"}
LOWER_WORDS = ("ลดลง", "ระยะเวลา", "เปอร์เซ็นไทล์", "percentile", "decrease")
STATUSES = {
    "met": N_("Target met"),
    "not-met": N_("Target not met"),
    "not-reported": N_("Not reported yet"),
    "no-target": N_("No target"),
    "unclear-target": N_("Target in words"),  # shown as written, not compared
    "goal": N_("Goal indicator"),  # it has a target, but no results are reported for it
}
STATUS_RULE = N_(
    "The status compares “achieved” with the “target” in the indicator's "
    "direction: an indicator where higher is better meets its target when the achieved value is "
    "greater than or equal to the target; one where lower is better (such as a time in minutes) "
    "when it is less than or equal to the target. The achieved value is the one the agency "
    "recorded, or, when none was recorded, the result of the latest reported quarter. An empty "
    "value means not reported yet, which is not zero. A target written in words is shown as "
    "written and compared only when it states a number plainly; a goal indicator carries a "
    "target but no results.")


def _record(name: str, table: tuple, base: type = object, first: tuple = (), last: tuple = (),
            **options) -> type:
    """A dataclass whose attributes are a field table's (required fields first, in order)."""
    def attribute(f: fields.Field):
        value = fields.default(f)
        spec = field(default_factory=type(value)) if isinstance(value, (list, dict)) else \
            field(default=value)
        return f.key, Any, spec
    required = [(f.key, Any) for f in table if f.required]
    optional = [attribute(f) for f in table if not f.required]
    cls = make_dataclass(name, [*first, *required, *optional, *last], bases=(base,), **options)
    cls.__module__ = __name__  # for pickle: the class is found as kpisite.model.<name>
    return cls


Quarter = _record("Quarter", fields.QUARTER, slots=True)
Quarter.__doc__ = ("One quarter's row: result (in the indicator's unit; None: not reported, not "
                   "0), assessment score, the 2.1/2.2 pair (points given / full points), report.")
RubricLevel = _record("RubricLevel", fields.RUBRIC_LEVEL, slots=True)
Assessment = _record("Assessment", fields.ASSESSMENT, slots=True)  # by the strategy office
Imported = _record("Imported", fields.IMPORTED, slots=True)  # where the facts came from
ROWS = {"Quarter": Quarter, "RubricLevel": RubricLevel, "Assessment": Assessment,
        "Imported": Imported}


@dataclass(slots=True)
class Flag:
    """A recorded fact that does not add up: published as recorded, and pointed out."""

    field: tuple  # where in the file, e.g. ("quarters", 3, "pair")
    text: Message


class IndicatorFacts:
    """What is derived from an indicator's fields (the base of Indicator)."""

    # -- where it lives --------------------------------------------------------------------
    @property
    def year_key(self) -> str:
        return self.fiscal_year or pages.NO_YEAR

    @property
    def path(self) -> str:
        return pages.urls.indicator(self.year_key, self.code)

    @property
    def print_path(self) -> str:
        return pages.urls.indicator_print(self.year_key, self.code)

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
        """One of STATUSES: the rule is STATUS_RULE."""
        value = self.achieved_value
        if value is None and self.type == "goal":
            return "goal"  # a kind of its own: no results are reported for it
        if self.target is None:
            return "unclear-target" if self.target_text else "no-target"
        if value is None:
            return "not-reported"
        met = value <= self.target if self.direction == "lower" else value >= self.target
        return "met" if met else "not-met"

    @cached_property
    def reported_quarters(self) -> frozenset[int]:
        """The quarters whose result or report text is recorded (a score alone is not a
        report): kept in light copies, which drop the reports themselves."""
        return frozenset(q.number for q in self.quarters
                         if q.result is not None or (q.report or "").strip())

    def not_captured(self, field: str) -> bool:
        """Whether the old page had this field's section but the import did not bring it (a
        page then says so, not that the section is empty): "summary", "quarters.report"."""
        return bool(self.imported and field in self.imported.not_captured)

    @property
    def achieved_level(self) -> int | None:
        """The rubric level reached, when the unit is a level (ระดับ) and the value a whole one."""
        return self._level(self.achieved_value)

    @property
    def target_level(self) -> int | None:
        """The rubric level that is the target, when the unit is a level."""
        return self._level(self.target)

    def _level(self, value: Number | None) -> int | None:
        levels = {r.level for r in self.rubric}
        if self.unit.strip() == LEVEL_UNIT and value is not None and value == int(value) \
                and int(value) in levels:
            return int(value)
        return None

    @cached_property
    def sort_key(self) -> tuple:
        """Lists show the newest year first, then by agency, order label and code."""
        return (year_sort_key(self.year_key), self.agency or "~", _natural(self.order) or (10**9,),
                _natural(self.code), self.code)

    @property
    def single_year(self) -> int | None:
        """The fiscal year as a number, when it is one year (not a span, not unknown)."""
        fy = self.fiscal_year
        return int(fy) if fy and "-" not in fy else None

    @property
    def suggests_lower(self) -> bool:
        """Its unit or name suggests a smaller value is better."""
        return self.unit in LOWER_UNITS or any(w in self.name.lower() for w in LOWER_WORDS)

    @cached_property
    def flags(self) -> list[Flag]:
        """Recorded numbers that do not add up (published as recorded, and pointed out)."""
        return consistency_flags(self)

    def without_texts(self) -> Indicator:
        """A light copy for indexes: the long texts dropped (fields.TEXTS, and the rows' own),
        derived facts kept, and only what differs from a field's default held (_DEFAULTS)."""
        dropped = {f.key: fields.default(f) for f in fields.TEXTS}
        for key, heavy in _HEAVY_PARTS:
            dropped[key] = [replace(row, **heavy) for row in getattr(self, key)]
        light = replace(self, **dropped)
        light.__dict__ = {key: value for key, value in light.__dict__.items()
                          if not _is_default(key, value)}
        light.__dict__.update(status=self.status, sort_key=self.sort_key,  # computed once
                              reported_quarters=self.reported_quarters)
        return light

    def __setstate__(self, state: dict) -> None:
        # Unpickled in the parent a worker's batch at a time: the short words of each copy
        # (years, agency codes, units, kinds) and its set of reported quarters are shared
        # with every other copy's, not held once per indicator.
        self.__dict__.update({key: value if key in _OWN else _shared(value)
                              for key, value in state.items()})


# A light copy holds only what differs from its fields' defaults: half of an indicator's 47
# fields are empty, and the parent holds a copy of every indicator (at 100,000, 1.6 KB each for
# the attributes alone). What it leaves out is read from the class (see Indicator below), an
# empty list as an empty tuple.
_DEFAULTS = {f.key: fields.default(f) for f in fields.FIELDS}


def _is_default(key: str, value) -> bool:
    default = _DEFAULTS.get(key, _is_default)  # (not a field: never)
    return type(value) is type(default) and value == default


_QUARTER_SETS: dict[frozenset, frozenset] = {}
_OWN = frozenset({"code", "continues"})  # short, but each copy's own: nothing to share


def _shared(value):
    if type(value) is str and len(value) <= 16:
        return sys.intern(value)
    if type(value) is frozenset:
        return _QUARTER_SETS.setdefault(value, value)
    return value


# The rows whose own long texts a light copy drops (quarters' reports).
_HEAVY_PARTS = [(f.key, {p.key: fields.default(p) for p in f.parts if not p.light})
                for f in fields.FIELDS if f.light and f.kind == "rows"
                and any(not p.light for p in f.parts)]

Indicator = _record(
    "Indicator", fields.FIELDS, IndicatorFacts, first=(("source", str),),
    # Lines this indicator contributes to site-wide files (search index, CSV, JSON), made once
    # where the file is read, so that updating those files after one edit is a join.
    last=(("exports", dict, field(default_factory=dict, compare=False, repr=False)),))
for _key, _default in _DEFAULTS.items():  # what a light copy leaves out, read from here
    if type(_default) is list:
        setattr(Indicator, _key, ())
Indicator.__doc__ = ("Everything one content file says about one indicator (`source`: the file, "
                     "relative to the project root), plus what is derived from it.")



def year_sort_key(key: str) -> tuple:
    """Newest fiscal year first; a span sorts by its last year; 'no year' last."""
    if key == pages.NO_YEAR:
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
        flags.append(Flag(("achieved",), _(
            "achieved %(achieved)s differs from the latest reported quarter (Q%(n)s: %(result)s)",
            achieved=fmt(ind.achieved), n=latest.number, result=fmt(latest.result))))
    for i, q in enumerate(ind.quarters):
        if q.score is not None and q.score > 100:
            flags.append(Flag(("quarters", i, "score"), _(
                "Q%(n)s score %(score)s is above 100", n=q.number, score=fmt(q.score))))
        if q.pair is None:
            continue
        got, full = q.pair
        if got > full:
            flags.append(Flag(("quarters", i, "pair"), _(
                "Q%(n)s: %(got)s points is above the full %(full)s", n=q.number, got=fmt(got),
                full=fmt(full))))
        if q.score is not None and q.score != got:
            flags.append(Flag(("quarters", i, "score"), _(
                "Q%(n)s: score %(score)s disagrees with %(got)s / %(full)s", n=q.number,
                score=fmt(q.score), got=fmt(got), full=fmt(full))))
    a = ind.assessment
    if a and a.quarter is not None and a.score is not None:
        q = next((q for q in ind.quarters if q.number == a.quarter), None)
        if q is not None and q.score is not None and q.score != a.score:
            flags.append(Flag(("assessment", "score"), _(
                "assessment score %(score)s differs from Q%(n)s score %(table)s",
                score=fmt(a.score), n=a.quarter, table=fmt(q.score))))
    return flags


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
    reviewers: tuple[str, ...] = ()  # who reviews its files (CODEOWNERS), e.g. @org/team

    @property
    def path(self) -> str:
        return pages.urls.agency(self.code)


@dataclass(eq=False)
class StrategyNode:
    number: str  # "5.2.1" (Arabic digits; Thai pages show Thai digits)
    name: str = ""
    name_en: str = ""
    truncated: bool = False  # the old system cut the name short
    label: str = ""  # the level's word: ด้าน, มิติ, เป้าหมาย, or ""
    children: list[StrategyNode] = field(default_factory=list)
    parent: StrategyNode | None = None

    @property
    def path(self) -> str:
        return pages.urls.strategy_node(self.number)

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
    title_en: str = ""

    def __post_init__(self):
        self.by_number = {n.number: n for root in self.roots for n in root.walk()}

    def walk(self):
        for root in self.roots:
            yield from root.walk()


@dataclass(frozen=True)
class ContentPage:
    """A page an office writes in Markdown (content/pages/about.md): its title is the first
    line's heading; about.en.md, when there, is its English."""

    name: str  # the file's name without .md: the page's address, pages/<name>.html
    title: str
    body: str  # Markdown, below the title
    source: str  # the file, relative to the project root
    title_en: str = ""
    body_en: str = ""

    @property
    def path(self) -> str:
        return pages.urls.content_page(self.name)


@dataclass(frozen=True)
class ContentFile:
    """A file of content/static/, published as it is at `rel` in the site."""

    rel: str
    path: Path


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
    # The site's languages, the first the content's own (and the site's top folder); each
    # other has a folder of its own (en/) with every page, and English beside the Thai texts.
    languages: tuple[str, ...] = ("th",)
    title_en: str = ""
    description_en: str = ""
    system_name_en: str = ""
    organization_en: str = ""
    editor: dict = field(default_factory=dict)  # the editor form's git host (Decap's backend)
    report_days: int = 30  # days after a quarter's end that agencies have to report it
    licence: dict = field(default_factory=dict)  # the data's licence: name, url ({}: none stated)
    publisher: str = ""  # who publishes the data ('' = the organization)
    contact: str = ""  # an e-mail address or a web address for questions about the data
    emblem: str = ""  # an image of content/static/ for printed letterheads, e.g. emblem.png
    booklets: bool = False  # builds print the PDF booklets (they take Chromium, and time)
    thai_gdc: dict = field(default_factory=dict)  # the Thai government data catalogue's fields
    pages: tuple = ()  # ContentPage: the office's own pages (about, licence, contact, ...)
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
    """An Indicator from a schema-valid mapping: each field read as its kind says."""
    return _read_indicator(data, source)


def _expression(f: fields.Field, value: str, names: list[str]) -> str:
    """Python for a field's value in the model, from `value` (an expression over the file's
    data); `names` hands out the names that hold values once read."""
    if f.kind in ("number", "integer", "enum"):
        return value  # as the file has it
    x = names.pop()
    got = f"({x} := {value})"
    empty = repr(fields.default(f))
    if f.kind == "bool":
        return f"({empty} if {got} is None else {x})"
    if f.kind == "pair":
        return f"(tuple({x}) if {got} else None)"
    if f.kind == "object":
        return f"({_row(f, x, names)} if {got} else None)"
    if f.kind == "rows":
        rows = f"[{_row(f, '_r', names)} for _r in {x}]"
        if f.sort:
            rows = f"sorted({rows}, key=_by_first_{f.name})"
        return f"({rows} if {got} is not None else [])"
    convert = {"text": f"str({x}).strip()", "markdown": f"str({x}).strip()",
               "code": f"code_text({x})", "year": f"arabic_digits({x}).strip()",
               "texts": f"[str(_i).strip() for _i in {x}]",
               "nodes": f"[node_number(_n) for _n in {x}]"}[f.kind]
    return f"({convert} if {got} is not None else {empty})"


def _row(f: fields.Field, data: str, names: list[str]) -> str:
    """Python for one row of a field (a quarter, a rubric level) from the mapping `data`."""
    return f"{f.row}(" + ", ".join(_expression(p, f"{data}.get({p.name!r})", names)
                                   for p in f.parts) + ")"


def _compile_reader() -> Callable[[dict, str], Indicator]:
    """The reading of a file's data into an Indicator, written out from the field table once
    (as dataclasses writes __init__): a function call per field cost 25 µs a file."""
    names = [f"_v{i}" for i in range(200)]
    order = [f for f in fields.FIELDS if f.required] + [f for f in fields.FIELDS
                                                        if not f.required]
    args = ", ".join(_expression(f, f"get({f.name!r})", names) for f in order)
    source = f"def read(data, source):\n    get = data.get\n    return Indicator(source, {args})\n"
    scope = {"Indicator": Indicator, "code_text": code_text, "node_number": node_number,
             "arabic_digits": thai.arabic_digits, **ROWS,
             **{f"_by_first_{f.name}": (lambda row, k=f.parts[0].key: getattr(row, k))
                for f in fields.FIELDS if f.sort}}
    exec(compile(source, "<kpisite.model: reading a file>", "exec"), scope)
    scope["read"].source = source  # for a reader of this code: model._read_indicator.source
    return scope["read"]


def site_from(config: dict, agencies: dict, strategy: dict) -> Site:
    """The Site from the three schema-valid site files."""
    texts = {name: (config.get(name) or "").strip() for name in (
        "description", "system_name", "organization", "title_en", "description_en",
        "system_name_en", "organization_en")}
    return Site(
        title=config["title"], **texts,
        languages=tuple(dict.fromkeys(config.get("languages") or ["th"])),
        base_url=(config.get("base_url") or "").rstrip("/"),
        repository=(config.get("repository") or "").rstrip("/"),
        repository_folder=(config.get("repository_folder") or "").strip("/"),
        branch=config.get("branch") or "main",
        report_days=config.get("report_days") if config.get("report_days") is not None
        else Site.report_days,
        editor={k: v for k, v in (config.get("editor") or {}).items() if v not in (None, "")},
        licence={k: v.strip() for k, v in (config.get("licence") or {}).items() if v},
        publisher=(config.get("publisher") or "").strip(),
        contact=(config.get("contact") or "").strip(),
        emblem=(config.get("emblem") or "").strip(),
        booklets=bool(config.get("booklets")),
        thai_gdc={k: v for k, v in (config.get("thai_gdc") or {}).items() if v not in (None, "")},
        agencies={code_text(a["code"]): Agency(code_text(a["code"]), a.get("name") or "",
                                               a.get("name_en") or "",
                                               tuple(a.get("reviewers") or ()))
                  for a in agencies.get("agencies") or []},
        strategy=Strategy(strategy.get("title") or "", strategy_tree(strategy),
                          strategy.get("title_en") or ""),
    )


def strategy_tree(strategy: dict) -> list[StrategyNode]:
    """The top nodes of the strategy file. A node may be written under its parent (children)
    or on its own at the top with its whole number ("5.2.1"): it goes under its parent then
    (an import adds nodes so, without rewriting the file)."""
    levels = strategy.get("levels") or []
    by_number: dict[str, StrategyNode] = {}

    def node(d: dict, parent: StrategyNode | None) -> StrategyNode:
        number = node_number(d["number"])
        depth = number.count(".")
        n = StrategyNode(number, (d.get("name") or "").strip(), (d.get("name_en") or "").strip(),
                         bool(d.get("truncated")), levels[depth] if depth < len(levels) else "",
                         parent=parent)
        by_number.setdefault(number, n)
        n.children = [node(c, n) for c in d.get("children") or []]
        return n

    tops = [node(d, None) for d in strategy.get("nodes") or []]
    roots = []
    for n in tops:
        parent = by_number.get(n.number.rpartition(".")[0])
        if parent is None or parent is n:
            roots.append(n)
        else:
            n.parent = parent
            parent.children.append(n)
    return roots



_read_indicator = _compile_reader()
