"""Checks: each file against its JSON Schema, then the rules a schema cannot say, then across files.

Every message says, in Thai and English, what is wrong and what was expected.
"""
from __future__ import annotations

import difflib
import json
from decimal import Decimal
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import fastjsonschema

from . import fields, markup, model, pages
from .catalog import year_label
from .diagnostics import ERROR, WARNING, Problem, UsageError
from .i18n import N_, Message, _, bilingual, standard
from .load import Source, find_line, relative

if TYPE_CHECKING:
    import jsonschema

_OR = N_(" or ")
_TYPE_NAMES = {
    "string": N_("text"), "number": N_("a number"), "integer": N_("a whole number"),
    "boolean": N_("true or false"), "array": N_("a list"), "object": N_("a mapping of fields"),
    "null": N_("empty"),
}


class SchemaError(UsageError):
    """A schema file that cannot be read or compiled: the theme's fault, not the content's."""


class Schemas:
    """The JSON Schemas in one folder, each read and compiled once (the preview server makes a
    new Schemas when a schema file changes)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._schemas: dict[str, dict] = {}
        self._quick: dict[str, Callable] = {}
        self._full: dict[str, jsonschema.Draft7Validator] = {}

    def schema(self, kind: str) -> dict:
        if kind not in self._schemas:
            path = self.folder / f"{kind}.schema.json"
            try:
                self._schemas[kind] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise SchemaError(bilingual(_("the schema %(file)s cannot be read: %(detail)s",
                                              file=str(path), detail=str(exc)))) from None
        return self._schemas[kind]

    def quick_check(self, kind: str) -> Callable:
        """A compiled yes/no check (fastjsonschema): ten times faster than listing errors.

        It is compiled with each "$ref" replaced by what it names: for a $ref, fastjsonschema
        calls a function and spells out the value's path on every call, which made the check
        of an indicator file three times slower.
        """
        if kind not in self._quick:
            whole = self.schema(kind)
            try:
                self._quick[kind] = fastjsonschema.compile(
                    _inlined(whole, whole.get("definitions", {})), use_formats=False)
            except (fastjsonschema.JsonSchemaDefinitionException, TypeError, ValueError,
                    AttributeError, KeyError, RecursionError) as exc:
                raise SchemaError(bilingual(_(
                    "the schema %(file)s cannot be compiled: %(detail)s",
                    file=str(self.folder / f"{kind}.schema.json"), detail=str(exc)))) from None
        return self._quick[kind]

    def validator(self, kind: str) -> jsonschema.Draft7Validator:
        """The validator that lists every error, for files that fail the quick check."""
        if kind not in self._full:
            import jsonschema  # here: importing it takes 45 ms, and most builds never need it

            self._full[kind] = jsonschema.Draft7Validator(self.schema(kind))
        return self._full[kind]


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


def check_schema(source: Source, kind: str, schemas: Schemas) -> list[Problem]:
    """Problems of `source` against schema/<kind>.schema.json."""
    try:
        schemas.quick_check(kind)(source.data)
        return []  # the common case
    except fastjsonschema.JsonSchemaException as quick_error:
        schema = schemas.schema(kind)
        found = [problem for error in schemas.validator(kind).iter_errors(source.data)
                 for problem in _translate(error, source, schema)]
        # The two validators should agree; if only the quick one objects, say what it saw.
        return found or [source.problem(tuple(quick_error.path[1:]) if quick_error.path else (),
                                        _("invalid: %(detail)s", detail=quick_error.message))]


def _translate(error: jsonschema.ValidationError, source: Source, schema: dict) -> list[Problem]:
    """A schema error in an editor's words."""
    path = tuple(error.absolute_path)
    value, keyword, expected = error.instance, error.validator, error.validator_value
    if keyword == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        return [source.problem(path + (key,), _("unknown field") + _did_you_mean(key, allowed))
                for key in value if key not in allowed]
    if keyword == "required":
        return [source.problem(path + (k,), _("the required field '%(field)s' (%(title)s) is "
                                              "missing", field=k, title=_title(schema, path + (k,))))
                for k in expected if k not in value]
    hint = ""
    if error.validator in ("pattern", "oneOf", "anyOf"):
        hint = error.schema.get("description") or _description(schema, path)
    return [source.problem(path, _message(error, schema, path), note=hint)]


def _message(error: jsonschema.ValidationError, schema: dict, path: tuple) -> Message:
    """What is wrong with one value."""
    value, keyword, expected = error.instance, error.validator, error.validator_value
    if keyword == "type":
        types = [t for t in ([expected] if isinstance(expected, str) else expected) if t != "null"]
        names = _joined([_(_TYPE_NAMES[t]) for t in types], _(_OR))
        message = _("expected %(types)s, not %(value)s", value=_show(value), types=names)
        if "number" in types and isinstance(value, str):
            message += _(": write the number alone, without commas or %, e.g. 1407.52")
        if "string" in types and isinstance(value, (int, float, bool)):
            message += _(': put it in quotes, e.g. "%(value)s"', value=value)
        if "boolean" in types and str(value).lower() in ("yes", "no", "on", "off", "y", "n"):
            message += _(": write true or false (yes/no/on/off are not true and false here)")
        return message
    if keyword == "enum":
        options = _joined([_("(empty)") if o is None else Message(str(o)) for o in expected],
                          Message(", "))
        return _("expected one of: %(options)s, not %(value)s", options=options,
                 value=_show(value)) + _did_you_mean(str(value), [str(o) for o in expected])
    if keyword == "pattern":
        return _("%(value)s does not have the expected form", value=_show(value))
    if keyword in ("minimum", "maximum"):
        return (_("must be at least %(limit)s, not %(value)s", limit=_show(expected),
                  value=_show(value)) if keyword == "minimum" else
                _("must be at most %(limit)s, not %(value)s", limit=_show(expected),
                  value=_show(value)))
    if keyword in ("minItems", "maxItems"):
        return (_("must have at least %(limit)s items, not %(count)s", limit=expected,
                  count=len(value)) if keyword == "minItems" else
                _("must have at most %(limit)s items, not %(count)s", limit=expected,
                  count=len(value)))
    if keyword == "minLength":
        return _("must not be empty")
    if keyword in ("oneOf", "anyOf"):
        return _("invalid value: %(value)s", value=_show(value))
    return _("invalid: %(detail)s", detail=error.message)


def _joined(parts: list[Message], between: Message) -> Message:
    out = parts[0]
    for part in parts[1:]:
        out = out + between + part
    return out


def _schema_at(root: dict, path: tuple) -> dict:
    """The (sub)schema that describes the field at `path`."""
    node = root
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


def _title(schema: dict, path: tuple) -> str:
    return _schema_at(schema, path).get("title", "")


def _description(schema: dict, path: tuple) -> str:
    return _schema_at(schema, path).get("description", "")


def _show(value) -> str:
    if isinstance(value, (Decimal, int, float)) and not isinstance(value, bool):
        return model.fmt(Decimal(str(value)))
    text = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _did_you_mean(word: str, options: Iterable[str]) -> Message:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return _("; did you mean '%(word)s'?", word=close[0]) if close else _NOTHING


_NOTHING = Message("")


# -- rules beyond the schema -----------------------------------------------------------------

def check_indicator(source: Source, site: model.Site, schemas: Schemas
                    ) -> tuple[model.Indicator | None, list[Problem]]:
    """The Indicator of a content file, and every problem found in it alone."""
    problems = check_schema(source, "indicator", schemas)
    if problems:
        return None, problems
    ind = model.indicator_from(source.data, source.rel)
    found = [*_name_and_year(ind), *_quarters_once(source), *_rubric_levels(ind),
             *_markdown_limits(ind), *_references(ind, site), *_warnings(source, ind),
             *_where_it_lies(source, ind)]
    return ind, [source.problem(path, message, severity) for path, message, severity in found]


YEARS = range(2400, 2801)  # Buddhist-Era years a fiscal year can be (CE 1857-2257)


def _name_and_year(ind: model.Indicator) -> Iterator[tuple]:
    if reserved(ind.code):
        yield (("code",), _("%(code)s names a device on Windows: its page could not be unpacked "
                            "there; choose another code", code=ind.code), ERROR)
    if not ind.name:
        yield (("name",), _("the name is empty (it holds only spaces)"), ERROR)
    years = (ind.fiscal_year or "").split("-") if ind.fiscal_year else []
    if any(int(y) not in YEARS for y in years):
        yield (("fiscal_year",), _("%(year)s is not a fiscal year: write a Buddhist-Era year "
                                   "from %(first)s to %(last)s, e.g. 2564", year=ind.fiscal_year,
                                   first=YEARS[0], last=YEARS[-1]), ERROR)
    elif len(years) == 2 and int(years[0]) > int(years[1]):
        yield (("fiscal_year",), _("the span %(year)s runs backwards: write the first year first",
                                   year=ind.fiscal_year), ERROR)


def _where_it_lies(source: Source, ind: model.Indicator) -> Iterator[tuple]:
    """A file in a year folder is named after its code, in the folder of its fiscal year."""
    path = Path(source.rel)
    if path.parent.name == "indicators":
        return  # not in a year folder: nothing to compare
    if path.stem != ind.code:
        yield (("code",), _("the file is named %(file)s but holds the code %(code)s: name it "
                            "%(code)s%(suffix)s", file=path.name, code=ind.code,
                            suffix=path.suffix), WARNING)
    if path.parent.name != ind.year_key:
        yield (("fiscal_year",), _("the file is in the folder %(folder)s but its fiscal year is "
                                   "%(year)s: move it to %(year)s/", folder=path.parent.name,
                                   year=ind.year_key), WARNING)


_LIMITS = {
    "characters": N_("the text is longer than %(limit)s characters: put the rest in a document "
                     "the text links to"),
    "angles": N_("the text holds more than %(limit)s < signs"),
    "nesting": N_("brackets [ ( < nest more than %(limit)s deep"),
    "expansion": N_("reference links would repeat their addresses into more than %(limit)s "
                    "characters"),
}


def _markdown_limits(ind: model.Indicator) -> Iterator[tuple]:
    """Markdown that would take too long to render, or grow too large (markup.too_much)."""
    texts = [((f.name,), getattr(ind, f.key)) for f in fields.FIELDS if f.kind == "markdown"]
    texts += [(("quarters", i, "report"), q.report) for i, q in enumerate(ind.quarters)]
    for path, text in texts:
        over = markup.too_much(text) if text else None
        if over:
            yield path, _(_LIMITS[over[0]], limit=f"{over[1]:,}"), ERROR


def _quarters_once(source: Source) -> Iterator[tuple]:
    seen: set[int] = set()
    for i, q in enumerate(source.data.get("quarters") or []):
        if q["quarter"] in seen:
            yield (("quarters", i, "quarter"), _("quarter %(n)s is listed twice: each quarter has "
                                                 "one row", n=q["quarter"]), ERROR)
        seen.add(q["quarter"])


def _rubric_levels(ind: model.Indicator) -> Iterator[tuple]:
    levels = sorted(r.level for r in ind.rubric)
    if levels and levels != list(range(1, len(levels) + 1)):
        yield (("rubric",), _("the rubric's levels must be 1 to %(n)s, each once, not "
                              "%(levels)s", n=len(levels), levels=", ".join(map(str, levels))),
               ERROR)
    weights = [r.weight for r in sorted(ind.rubric, key=lambda r: r.level) if r.weight is not None]
    if any(b <= a for a, b in zip(weights, weights[1:])):
        yield (("rubric",), _("the weights must increase with the level: %(weights)s",
                              weights=", ".join(model.fmt(w) for w in weights)), ERROR)


def _references(ind: model.Indicator, site: model.Site) -> Iterator[tuple]:
    """The agency and the strategy nodes an indicator names must exist."""
    # No "did you mean" here: a near code is another agency (5043 is not a typing slip of
    # 5042), and a near node another part of the strategy.
    if ind.agency is not None and ind.agency not in site.agencies:
        yield (("agency",), _("unknown agency '%(code)s': add it to content/agencies.yaml or "
                              "correct the code", code=ind.agency), ERROR)
    for i, number in enumerate(ind.strategy):
        if number not in site.strategy.by_number:
            yield (("strategy", i), _("unknown strategy node '%(number)s' (not in "
                                      "content/strategy.yaml)", number=number), ERROR)


def _warnings(source: Source, ind: model.Indicator) -> Iterator[tuple]:
    if ind.fiscal_year is None:
        yield (("fiscal_year",), _("no fiscal year: it will be shown as '%(label)s'",
                                   label=standard("th").message(year_label(pages.NO_YEAR))),
               WARNING)
    if ind.agency is None and ind.type != "goal":
        yield (("agency",), _("no agency"), WARNING)
    if ind.direction is None and ind.target is not None and ind.suggests_lower:
        yield (("direction",), _("the unit or the name suggests that lower is better, but no "
                                 "direction is stated: write direction: lower (or higher) so "
                                 "that the status is right"), WARNING)
    a = ind.assessment
    listed = {q["quarter"] for q in source.data.get("quarters") or []}
    if a and a.quarter is not None and ind.quarters and a.quarter not in listed:
        yield (("assessment", "quarter"), _("the assessed quarter %(n)s is not in the quarterly "
                                            "results", n=a.quarter), WARNING)
    for flag in ind.flags:
        yield flag.field, flag.text, WARNING


def check_duplicates(identities: Iterable[tuple[str, str, str]], root: Path) -> list[Problem]:
    """An indicator code is unique within its fiscal year: name every file that shares one.
    `identities`: (file, year key, code) of each indicator."""
    groups: dict[tuple, list[str]] = defaultdict(list)
    for source, year_key, code in identities:
        groups[(year_key, code)].append(source)
    problems = []
    for (year, code), files in groups.items():
        if len(files) < 2:
            continue
        for f in files:
            others = ", ".join(o for o in files if o != f)
            line = find_line((root / f).read_text(encoding="utf-8-sig"), ("code",))
            problems.append(Problem(f, line, "code", bilingual(_(
                "the code %(code)s is also used by %(others)s (%(year)s): a code must be unique "
                "within a fiscal year", code=code, others=others, year=year_label(year)))))
    return problems


def check_site_files(sources: dict[str, Source], schemas: Schemas) -> list[Problem]:
    """site.yaml, agencies.yaml, strategy.yaml: schema, then unique codes and consistent numbering."""
    problems = [p for kind, src in sources.items() for p in check_schema(src, kind, schemas)]
    broken = {p.path for p in problems}
    if sources["agencies"].rel not in broken:
        problems += _agency_codes_once(sources["agencies"])
    if sources["strategy"].rel not in broken:
        problems += _node_numbers(sources["strategy"])
    return problems


def _agency_codes_once(source: Source) -> list[Problem]:
    problems, seen = [], set()
    for i, a in enumerate(source.data["agencies"]):
        code = model.code_text(a["code"])
        if code in seen:
            problems.append(source.problem(("agencies", i, "code"),
                                           _("the agency code %(code)s is listed twice", code=code)))
        if reserved(code):
            problems.append(source.problem(("agencies", i, "code"), _(
                "%(code)s names a device on Windows: its page could not be unpacked there; "
                "choose another code", code=code)))
        seen.add(code)
    return problems


def _node_numbers(source: Source) -> list[Problem]:
    """Each node once; a node's number extends its parent's. A node at the top with a whole
    number ("5.2.1") goes under its parent, which must then be in the tree."""
    problems, numbers, tops = [], set(), []

    def walk(nodes: list, parent: str | None, path: tuple):
        for i, node in enumerate(nodes or []):
            number, here = model.node_number(node["number"]), path + (i,)
            if number in numbers:
                problems.append(source.problem(here + ("number",), _(
                    "the node number %(number)s is listed twice", number=number)))
            numbers.add(number)
            if parent is None:
                tops.append((number, here))
            elif number.rpartition(".")[0] != parent:
                problems.append(source.problem(here + ("number",), _(
                    "the node number %(number)s must begin with %(parent)s. as its parent's does",
                    number=number, parent=parent)))
            walk(node.get("children"), number, here + ("children",))

    walk(source.data["nodes"], None, ("nodes",))
    for number, here in tops:
        parent = number.rpartition(".")[0]
        if parent and parent not in numbers:
            problems.append(source.problem(here + ("number",), _(
                "the node %(number)s has no parent %(parent)s in the tree: add it, or write the "
                "node under it", number=number, parent=parent)))
    return problems


# Names Windows keeps for devices: a file named so (with any extension) cannot be unpacked there.
RESERVED_NAMES = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)),
                  *(f"lpt{n}" for n in range(1, 10))}


def reserved(code: str) -> bool:
    """Whether a page named after `code` would be a name Windows keeps for a device."""
    return code.split(".", 1)[0].casefold() in RESERVED_NAMES


def page_clashes(claims: Iterable[tuple[str, object, object]], root: Path,
                 agencies: tuple[str, Callable[[str], int | None]]) -> list[Problem]:
    """Two sources that would write the same page (letter case aside), each named."""
    owners: dict[str, list[tuple[str, object, object]]] = defaultdict(list)
    for path, kind, item in claims:
        owners[path.casefold()].append((path, kind, item))
    problems = []
    for clash in (o for o in owners.values() if len(o) > 1):
        same_case = len({path for path, _, _ in clash}) == 1
        for path, kind, item in clash:
            where = _owner(item, root, agencies)
            if where is None:
                continue  # a page of the site's own: the content's claims are named
            others = _joined([_describe(k, i, agencies, root) for p, k, i in clash
                              if (k, i) != (kind, item)], Message(", "))
            problems.append(Problem(*where, bilingual(_(
                "the page %(path)s would be written twice: for this and for %(others)s",
                path=path, others=others) if same_case else _(
                "the pages %(path)s and %(others)s differ only in upper and lower case: they "
                "are one file on Windows and macOS", path=path, others=_joined(
                    [Message(p) for p, k, i in clash if p != path], Message(", "))))))
    return problems


def _owner(item, root: Path, agencies) -> tuple[str, int | None, str] | None:
    """The file, line and field that make a page, when the content makes it."""
    if isinstance(item, model.IndicatorFacts):
        return item.source, find_line((root / item.source).read_text("utf-8-sig"), ("code",)), \
            "code"
    if isinstance(item, model.Agency):
        file, line_of = agencies
        return file, line_of(item.code), "code"
    if isinstance(item, model.ContentFile):
        return relative(item.path, root), None, ""
    return None


def _describe(kind, item, agencies, root: Path) -> Message:
    if isinstance(item, model.IndicatorFacts):
        return _(kind.label, item=item.source)
    if isinstance(item, model.Agency):
        agency = f"{item.code} ({agencies[0]})"
        return _(kind.label, item=agency)
    if isinstance(item, model.ContentFile):
        return _(kind.label, item=relative(item.path, root))
    return _(kind.label)
