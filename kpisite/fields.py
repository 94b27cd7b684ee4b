"""The indicator's fields, declared once: what each is, and everywhere it appears.

Everything else that knows the fields reads this table: the JSON Schema editors validate
against (`schema/indicator.schema.json` is generated from it: `python -m kpisite.fields`), the
model's attributes and how a file's values become them, the light copies that indexes hold,
the preview's idea of what a list shows, history and `diff`, the `new` and `import` file
layout, the downloads' columns, and synthetic content. Labels and hints are message ids
(English); the catalogue holds their translations.

Adding a field: one entry here, `python -m kpisite.fields` to regenerate the schema, and a
template line where it is shown (README, "Adding a field").
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from . import THEME
from .i18n import N_, Message

SCHEMA_FILE = THEME / "schema" / "indicator.schema.json"
MAX_NUMBER = 10 ** 15  # larger values are typing mistakes (and beyond what a double holds exactly)
NODE_NUMBER = "^[0-9๐-๙]+(\\.[0-9๐-๙]+)*$"


@dataclass(frozen=True)
class Column:
    """A column of the downloads (CSV, JSON, the workbook): its stable name, its title and
    what it means (message ids), its Table Schema type, and its value."""

    name: str
    description: str  # message id
    get: Callable[[Any, Any], Any]  # (indicator or row, Exporting) -> value; None: empty
    values: tuple = ()  # for the title's and description's placeholders
    type: str = "string"  # Table Schema: string, number, integer, boolean
    title: Any = ""  # a short heading (the workbook's): message id or Message; "" = description
    json: bool = True  # False: in the CSV and the workbook only (a plain-text copy)

    @property
    def text(self) -> Message:
        return Message(self.description, self.values) if self.description else self.heading

    @property
    def heading(self) -> Message:
        if isinstance(self.title, Message):
            return self.title
        return Message(self.title or self.description, self.values)


@dataclass(frozen=True)
class Field:
    """One field of an indicator file (or of one of its rows: a quarter, a rubric level)."""

    name: str  # the key in the file
    kind: str  # how it is written and read: one of KINDS
    label: str  # message id: the field's name for readers and editors
    hint: str = ""  # message id: what to write (the schema's description, the editor's hint)
    attr: str = ""  # the model's attribute, when it is not `name`
    required: bool = False
    schema: dict = field(default_factory=dict)  # JSON Schema beyond the kind's (patterns, ranges)
    choices: dict = field(default_factory=dict)  # enum: value -> label (message id)
    parts: tuple = ()  # the fields of each row (kinds "object" and "rows")
    row: str = ""  # the model's class for a row, e.g. "Quarter"
    sort: bool = False  # rows are kept sorted by their first part (quarters by number)
    light: bool = True  # kept in the light copies that lists, search and indexes hold
    listing: bool = False  # shown in lists of indicators: an edit re-renders those lists
    search: bool = False  # in the search index: readers find indicators by it
    history: str = ""  # message id: a key fact in history and `diff`, with this short label
    columns: tuple | None = ()  # downloads: these columns; () as its kind says (opendata.py); None: none
    section: bool = False  # new files give it a section of its own, headed by its label
    comment: str = ""  # message id: an editor's note beside it in new files
    omit_empty: bool = False  # new files leave it out unless it has a value
    public: bool = True  # False: never on a page, in a download or in the search index
    translatable: bool = False  # content that may carry English too: a twin field <name>_en
    translation_of: str = ""  # of a twin: the field it is the English of

    @property
    def key(self) -> str:
        """The model's attribute."""
        return self.attr or self.name


# How each kind is written in JSON Schema, and its value in the model when the file has none.
KINDS: dict[str, tuple[dict, Callable[[], Any]]] = {
    "bool": ({"type": "boolean"}, lambda: True),
    "year": ({"oneOf": [{"type": "integer", "minimum": 2400, "maximum": 2800},
                        {"type": "string", "pattern": "^[0-9๐-๙]{4}(-[0-9๐-๙]{4})?$"},
                        {"type": "null"}]}, lambda: None),
    "code": ({"type": ["string", "integer"]}, lambda: None),
    "text": ({"type": ["string", "null"]}, str),
    "enum": ({}, lambda: None),
    "number": ({"$ref": "#/definitions/number"}, lambda: None),
    "integer": ({"type": ["integer", "null"]}, lambda: None),
    "markdown": ({"$ref": "#/definitions/markdown"}, str),
    "texts": ({"type": ["array", "null"], "items": {"type": "string"}}, list),
    "nodes": ({"type": ["array", "null"], "items": {"type": ["string", "number"],
                                                    "pattern": NODE_NUMBER}}, list),
    "pair": ({"type": ["array", "null"], "items": {"type": "number", "minimum": -MAX_NUMBER,
                                                   "maximum": MAX_NUMBER},
              "minItems": 2, "maxItems": 2}, lambda: None),
    "object": ({"type": ["object", "null"], "additionalProperties": False}, lambda: None),
    "rows": ({"type": ["array", "null"]}, list),
}

DEFINITIONS = {
    "number": ({"type": ["number", "null"], "minimum": -MAX_NUMBER, "maximum": MAX_NUMBER},
               N_("A number, e.g. 5 or 95.27 (no thousands separators or %); leave it empty "
                  "when not reported")),
    "markdown": ({"type": ["string", "null"]}, N_("Text (Markdown), as the agency wrote it")),
}


def _quarter_column(n: int, part: str) -> Column:
    def get(ind, site):
        for q in ind.quarters:  # a loop, not next(generator): 16 columns an indicator
            if q.number == n:
                break
        else:
            return None
        if part == "points":
            return q.pair[0] if q.pair else None
        if part == "full":
            return q.pair[1] if q.pair else None
        return getattr(q, part)
    return Column(f"q{n}_{part}", {
        "result": N_("Result of quarter %(n)s (in the unit of the target); empty = not reported"),
        "score": N_("Indicator assessment score of quarter %(n)s"),
        "points": N_("Score 2.1 (points given) of quarter %(n)s"),
        "full": N_("Score 2.2 (full points) of quarter %(n)s"),
    }[part], get, (("n", n),), "number", {
        "result": N_("Q%(n)s result"), "score": N_("Q%(n)s score"),
        "points": N_("Q%(n)s score 2.1"), "full": N_("Q%(n)s score 2.2")}[part])


def in_english(table: tuple) -> tuple:
    """`table` with each translatable field followed by its English twin, `<name>_en`:
    optional; where it is empty, English pages show the Thai (marked as Thai)."""
    out = []
    for f in table:
        out.append(f)
        if f.translatable:
            out.append(Field(f"{f.name}_en", f.kind, f.label, N_(
                "The same in English (optional): where it is empty, English pages show the "
                "Thai"), attr=f"{f.key}_en", light=f.light, listing=f.listing, search=f.search,
                omit_empty=True, translation_of=f.name))
    return tuple(out)


QUARTER = in_english((
    Field("quarter", "integer", N_("Quarter"), N_("1 = Oct-Dec, 2 = Jan-Mar, 3 = Apr-Jun, "
                                                  "4 = Jul-Sep"), attr="number", required=True,
          schema={"type": "integer", "minimum": 1, "maximum": 4}),
    Field("result", "number", N_("Result"), history=N_("Q%(n)s result")),
    Field("score", "number", N_("Indicator assessment score"), history=N_("Q%(n)s score")),
    Field("pair", "pair", N_("Score 2.1 / 2.2"), N_("Points given and full points, e.g. "
                                                    "[95, 100]"),
          history=N_("Q%(n)s score 2.1 / 2.2")),
    Field("report", "markdown", N_("Quarterly progress report"), light=False, translatable=True),
))
RUBRIC_LEVEL = in_english((
    Field("level", "integer", N_("Level"), required=True,
          schema={"type": "integer", "minimum": 1, "maximum": 20}),
    Field("description", "text", N_("What must be achieved"), translatable=True),
    Field("weight", "number", N_("Percentage of the weight earned"),
          schema={"$ref": None, "type": ["number", "null"], "minimum": 0, "maximum": 100}),
))
IMPORTED = (
    Field("from", "text", N_("Imported from"), N_("The file or page the facts were imported "
                                                   "from"), attr="origin"),
    Field("page_id", "text", N_("The old system's page identifier"),
          N_("How the old system named the page (pid=...), kept apart from the code")),
    Field("snapshot", "text", N_("Snapshot"), N_("Which copy of the old system: its host, or "
                                                 "the date it was saved")),
    Field("not_captured", "texts", N_("Sections not captured"),
          N_("Fields the old page had that were not imported (e.g. quarters.report): pages "
             "say so, not that the section is empty")),
    Field("remarks", "texts", N_("Remarks"), N_("The remarks of whoever gathered or imported "
                                               "the facts: never published"), public=False),
)
ASSESSMENT = (
    Field("quarter", "integer", N_("Quarter"), schema={"minimum": 1, "maximum": 4}),
    Field("score", "number", N_("Assessment score")),
)


def _agency_name(ind, out):
    agency = out.site.agency(ind.agency)
    return agency.name if agency and agency.name else None


def _page(ind, out):
    return f"{out.site.base_url}/{ind.path}" if out.site.base_url else ind.path


FIELDS: tuple[Field, ...] = in_english((
    Field("published", "bool", N_("Published"),
          N_("false = a draft: not shown on the site (true when left out)"),
          history=N_("Published"), columns=None),  # written out: the form shows it as is
    Field("fiscal_year", "year", N_("Fiscal year (B.E.)"),
          N_("A Buddhist-Era year of 4 digits, e.g. 2564 (1 Oct 2563 - 30 Sep 2564), or a "
             "span of years, e.g. 2562-2563"), listing=True, history=N_("Fiscal year"),
          columns=(Column("fiscal_year", N_("Fiscal year (B.E.), e.g. 2564, or a span "
                                            "2562-2563; empty = unknown"),
                          lambda i, s: i.fiscal_year, title=N_("Fiscal year (B.E.)")),)),
    Field("agency", "code", N_("Agency code"),
          N_('The agency\'s code in content/agencies.yaml, in quotes, e.g. "5042" or "0700"'),
          schema={"type": ["string", "integer", "null"], "pattern": "^[0-9A-Za-z]{1,16}$"},
          listing=True, search=True,
          columns=(Column("agency_code", N_("Agency code of 4 digits (text: 0700 begins with "
                                            "0)"), lambda i, s: i.agency, title=N_("Agency code")),
                   Column("agency_name", N_("Agency name; empty = name unknown"),
                          _agency_name, title=N_("Agency")))),
    Field("code", "code", N_("Indicator code"),
          N_('The indicator\'s code, e.g. "5042-2007": English letters, digits, - _ . only; '
             'unique within a fiscal year'), required=True,
          schema={"pattern": "^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$"}, listing=True, search=True,
          history=N_("Code"),
          columns=(Column("code", N_("Indicator code: unique within a fiscal year"),
                          lambda i, s: i.code, title=N_("Indicator code")),)),
    Field("order", "text", N_("Order"),
          N_("The order as the agency writes it, e.g. (7), 07., ๒., 3.2"),
          schema={"type": ["string", "integer", "null"]}, listing=True,
          columns=(Column("order", N_("The order as the agency writes it, e.g. (7)"),
                          lambda i, s: i.order or None, title=N_("Order")),)),
    Field("continues", "text", N_("Continues from"),
          N_("The same indicator in the fiscal year before, as year/code, e.g. 2563/5042-0123: "
             "its page then shows every year of the series"),
          schema={"pattern": "^[0-9๐-๙]{4}(-[0-9๐-๙]{4})?/[0-9A-Za-z][0-9A-Za-z._-]{0,63}$"},
          history=N_("Continues from"), omit_empty=True),
    Field("family", "text", N_("Family"),
          N_("A short name (English letters, digits, -) shared by the indicators that measure "
             "the same thing at different agencies, e.g. elderly-allowance: their pages "
             "compare them"), schema={"pattern": "^[a-z0-9][a-z0-9-]{0,63}$"},
          history=N_("Family"), omit_empty=True),
    Field("name", "text", N_("Indicator name"), required=True,
          schema={"type": "string", "minLength": 1}, listing=True, search=True,
          history=N_("Name"),
          columns=(Column("name", N_("Indicator name"), lambda i, s: i.name),), translatable=True),
    Field("type", "enum", N_("Indicator type"),
          N_("strategic = strategic indicator, routine = routine-work indicator, goal = goal "
             "indicator; empty when the source does not say"),
          choices={"strategic": N_("Strategic indicator"),
                   "routine": N_("Routine-work indicator"), "goal": N_("Goal indicator"),
                   None: ""},
          listing=True, search=True,
          columns=(Column("type", N_("Type: strategic, routine (routine work), goal"),
                          lambda i, s: i.type, title=N_("Indicator type")),)),
    Field("result_level", "enum", N_("Result level"),
          N_("output = output level, outcome = outcome level"),
          choices={"output": N_("Output-level indicator (output)"),
                   "outcome": N_("Outcome-level indicator (outcome)"), None: ""},
          comment=N_("output = output, outcome = outcome"),
          columns=(Column("result_level", N_("Level: output, outcome"),
                          lambda i, s: i.result_level, title=N_("Result level")),)),
    Field("tags", "texts", N_("Tags"), N_("e.g. negotiated indicator"),
          translatable=True),
    Field("evaluation_dimension", "text", N_("Evaluation dimension"),
          N_("A group in the agency's annual list of indicators, e.g. dimension 1, "
             "effectiveness in the mission"), translatable=True),
    Field("unit", "text", N_("Unit of measure"), N_("e.g. level, percent, minutes, places"),
          listing=True, search=True, history=N_("Unit"),
          columns=(Column("unit", N_("Unit, e.g. percent, level, minutes"),
                          lambda i, s: i.unit or None, title=N_("Unit of measure")),), translatable=True),
    Field("direction", "enum", N_("Direction"),
          N_("higher = higher is better (when left out), lower = lower is better, e.g. a time "
             "in minutes"), choices={"higher": N_("higher is better"),
                                     "lower": N_("lower is better"), None: ""},
          history=N_("Direction"),
          columns=(Column("direction", N_("higher = higher is better, lower = lower is better; "
                                          "empty = not stated (read as higher)"),
                          lambda i, s: i.direction, title=N_("Direction")),)),
    Field("target", "number", N_("Target"), listing=True, history=N_("Target"),
          columns=(Column("target", N_("Target"), lambda i, s: i.target, type="number"),)),
    Field("target_text", "text", N_("Target as written"),
          N_("The target in the source's words when it is not a number alone, e.g. ≥ 1 or "
             "ลดลงร้อยละ 3 จากปี 2563; the number goes in target when its meaning is clear"),
          listing=True, history=N_("Target as written"), omit_empty=True,
          columns=(Column("target_text", N_("The target as written, when it is more than a "
                                            "number"), lambda i, s: i.target_text or None,
                          title=N_("Target as written")),),
                                            translatable=True),
    Field("achieved", "number", N_("Achieved"),
          N_("The value as recorded; leave it empty to use the latest reported quarter's "
             "result"), listing=True, history=N_("Achieved"),
          columns=(Column("achieved", N_("Achieved: the recorded value, or the latest reported "
                                         "quarter's result when none was recorded"),
                          lambda i, s: i.achieved_value, type="number", title=N_("Achieved")),
                   Column("achieved_from_quarter", N_("true = the achieved value comes from the "
                                                      "latest quarter (not recorded itself)"),
                          lambda i, s: i.achieved_derived, type="boolean",
                          title=N_("Achieved from the latest quarter")),
                   Column("status", N_("Status: met, not-met, not-reported, no-target (the rule "
                                       "is on this page)"), lambda i, s: i.status,
                          title=N_("Status")),
                   Column("status_th", N_("Status in Thai"), lambda i, s: s.statuses[i.status]))),
    Field("assessment", "object", N_("Assessed by the strategy office"),
          parts=ASSESSMENT, row="Assessment", section=True,
          history=N_("The strategy office's assessment"),
          columns=(Column("assessment_quarter", N_("The quarter assessed by the strategy office"),
                          lambda i, s: i.assessment.quarter if i.assessment else None,
                          type="integer", title=N_("Quarter assessed")),
                   Column("assessment_score", N_("The strategy office's assessment score"),
                          lambda i, s: i.assessment.score if i.assessment else None,
                          type="number", title=N_("Assessment score")))),
    Field("quarters", "rows", N_("Quarterly results against the target"), parts=QUARTER,
          row="Quarter", sort=True,
          schema={"maxItems": 4}, section=True,
          comment=N_("empty = not reported yet (not 0)"),
          columns=tuple(_quarter_column(n, part) for n in (1, 2, 3, 4)
                        for part in ("result", "score", "points", "full"))),
    Field("summary", "markdown", N_("Summary of the year's work"), light=False, section=True, translatable=True),
    Field("definition", "markdown", N_("Definition of the indicator"), light=False,
          section=True, translatable=True),
    Field("calculation", "markdown", N_("Calculation method, or assessment criteria"),
          light=False, section=True, translatable=True),
    Field("rubric", "rows", N_("Scoring rubric by level"), parts=RUBRIC_LEVEL,
          row="RubricLevel", light=False,
          section=True, history=N_("Level %(n)s criterion"),
          comment=N_("level, description, weight (percentage of the weight)")),
    Field("data_collection", "markdown", N_("Data collection and sources"), light=False,
          section=True, translatable=True),
    Field("evidence", "texts", N_("Evidence"), light=False, section=True,
          translatable=True),
    Field("strategy", "nodes", N_("Supports the city's strategy"),
          N_('Numbers of nodes in content/strategy.yaml, e.g. "5.2.1.1"'), listing=True,
          search=True, section=True,
          columns=(Column("strategy", N_("Numbers of the strategy nodes it supports, separated "
                                         "by ;, e.g. 5.2.1.1"),
                          lambda i, s: ";".join(i.strategy) or None,
                          title=N_("Supports the city's strategy")),
                   Column("data_notes", N_("Notes that recorded numbers do not agree, "
                                           "separated by |"),
                          lambda i, s: " | ".join(s.words.message(f.text)
                                                  for f in i.flags) or None,
                          title=N_("Data notes")),
                   Column("page", N_("The indicator's web page (relative to the home page "
                                     "while the site has no address set)"), _page,
                          title=N_("Web page")))),
    Field("projects", "texts", N_("Projects and activities that support the indicator"),
          light=False, section=True, translatable=True),
    Field("notes", "markdown", N_("Notes"), light=False, section=True,
          translatable=True),
    Field("imported", "object", N_("Imported from the old system"), parts=IMPORTED,
          row="Imported", light=False, omit_empty=True),
    Field("source", "text", N_("Source"), N_("The address of the page in the old system (if "
                                              "any)"), attr="source_url", omit_empty=True,
          columns=(Column("source", N_("The address of the page in the old system (if any)"),
                          lambda i, s: i.source_url or None, title=N_("Source")),)),
))

BY_NAME = {f.name: f for f in FIELDS}
LISTED = tuple(f for f in FIELDS if f.listing)
TEXTS = tuple(f for f in FIELDS if not f.light)
HISTORY = tuple(f for f in FIELDS if f.history or any(p.history for p in f.parts))


def laid_out_texts(record: Any, plan: tuple | None = None) -> Iterator[str]:
    """Every text of a record that pages lay out as lines (kinds text and texts, in its rows
    too); not Markdown, which comes as HTML."""
    for key, kind, rows in LAID_OUT if plan is None else plan:
        value = getattr(record, key, None)
        if not value:
            continue
        if kind == "text":
            yield value
        elif kind == "texts":
            yield from value
        else:
            for row in value:
                yield from laid_out_texts(row, rows)


def _laid_out(table: tuple) -> tuple[tuple[str, str, tuple], ...]:
    """(attribute, kind, the same of its rows' parts) of the fields that hold such texts."""
    return tuple((f.key, f.kind, _laid_out(f.parts)) for f in table
                 if f.kind in ("text", "texts") or f.kind == "rows" and _laid_out(f.parts))


LAID_OUT = _laid_out(FIELDS)  # found once: a worker asks for every indicator's texts


def default(f: Field) -> Any:
    """The model's value of a field the file leaves out."""
    return KINDS[f.kind][1]()


# -- the JSON Schema ------------------------------------------------------------------------

def _property(f: Field, translate: Callable[[str], str]) -> dict:
    prop = dict(KINDS[f.kind][0])
    if f.kind == "enum":
        prop["enum"] = list(f.choices)
    if f.parts:
        item = {"type": "object", "additionalProperties": False,
                "properties": {p.name: _property(p, translate) for p in f.parts}}
        required = [p.name for p in f.parts if p.required]
        if required:
            item = {"type": "object", "required": required, **item}
        if f.kind == "rows":
            prop["items"] = item
        else:
            prop["properties"] = item["properties"]
    prop.update(f.schema)
    prop = {k: v for k, v in prop.items() if v is not None}
    prop["title"] = translate(N_("%(field)s, in English"), field=translate(f.label)) \
        if f.translation_of else translate(f.label)
    if f.hint:
        prop["description"] = translate(f.hint)
    return prop


def schema(translate: Callable[[str], str]) -> dict:
    """The JSON Schema of an indicator file, titles and descriptions in the catalogue's words."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "indicator.schema.json",
        "title": translate(N_("Indicator")),
        "description": translate(N_(
            "One indicator of one agency in one fiscal year. Long texts are Markdown. Leave "
            "what is unknown empty (empty = not reported, which is not 0)")),
        "type": "object",
        "required": [f.name for f in FIELDS if f.required],
        "additionalProperties": False,
        "definitions": {name: {**rule, "description": translate(hint)}
                        for name, (rule, hint) in DEFINITIONS.items()},
        "properties": {f.name: _property(f, translate) for f in FIELDS},
    }


def schema_text(translate: Callable[[str], str]) -> str:
    return json.dumps(schema(translate), ensure_ascii=False, indent=2) + "\n"


def main() -> None:
    """Write schema/indicator.schema.json from the table (Thai titles, from the catalogue)."""
    from .i18n import standard

    SCHEMA_FILE.write_text(schema_text(standard("th").gettext), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")


if __name__ == "__main__":
    main()
