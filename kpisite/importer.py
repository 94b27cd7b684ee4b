"""`import`: indicator files from the old system, as facts (JSON) or as its pages themselves
(the text of a page as a browser copies it, or the saved HTML).

Every record gets its own verdict: imported (the file written is named), or refused with its
position, its code and the field at fault; the run ends with a summary and exits 1 when
anything was refused. Agencies and strategy nodes that the records name and the site lacks
are added to agencies.yaml and strategy.yaml (appended: the files' own text and comments stay),
so that an import into an empty site passes `check`. Nothing is invented: a fact the source
does not give stays empty, and a section the source had but the import did not bring is
listed in `imported.not_captured`, so that pages say so.

Records are dicts whose keys are the field table's names; the old facts' own keys
(`agency_code`, `order_label`, `quarters[].q` and `.ratio`, `strategy_path`, `notes`) are read
too. Recognised page sections: pages.txt, docs in README ("Importing").
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

from . import fields, model, thai
from .diagnostics import UsageError
from .i18n import Message, _, bilingual, standard
from .scaffold import LANGUAGE, file_path, indicator_text, scalar


def words(msgid: str, **values: Any) -> str:
    """Remarks are written in the editors' language: notes in the files, never on pages."""
    return standard("th")(msgid, **values)


NEGOTIATED = "ตัวชี้วัดเจรจา"  # the old system's tag for indicators negotiated with the office
_NUMBER = re.compile(r"^[-+]?[\d,]*\.?\d+$")
_COMPARATOR = re.compile(r"^\s*(≥|>=|ไม่น้อยกว่า|≤|<=|ไม่เกิน|ไม่มากกว่า)\s*([\d,]*\.?\d+)\s*$")
_LOWER_COMPARATORS = {"≤", "<=", "ไม่เกิน", "ไม่มากกว่า"}
_NODE = re.compile(r"^(?:(?P<label>\S+?)ที่\s*)?(?P<number>[0-9๐-๙]+(?:\.[0-9๐-๙]+)*)\s*-?\s*"
                   r"(?P<name>.*?)\s*$")
NOT_CAPTURED_BY_FACTS = ("quarters.report", "summary", "definition", "calculation", "rubric",
                         "data_collection", "evidence", "projects")


class Refused(Exception):
    """A record that cannot be imported: the field at fault, and why."""

    def __init__(self, field_name: str, message: Message | str):
        super().__init__(field_name)
        self.field, self.message = field_name, message


@dataclass
class Verdicts:
    """What an import did, record by record, and what it added to the site files."""

    written: list[Path] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # a line each, collisions too
    collisions: int = 0
    agencies: list[str] = field(default_factory=list)  # codes added to agencies.yaml
    nodes: list[str] = field(default_factory=list)  # numbers added to strategy.yaml

    def refuse(self, record: Record, code: Any, field_name: str, why: Message | str) -> None:
        """`file #3 (code 5042-2008): target: why` (the form of a problem's line)."""
        self.refused.append(f"{record.position} ({code or '-'}): {field_name or '-'}: "
                            f"{bilingual(why)}")

    def collide(self, record: Record, code: Any, why: Message) -> None:
        self.collisions += 1
        self.refuse(record, code, "code", why)

    def summary(self) -> Message:
        return _("imported %(imported)s, refused %(refused)s (of which collisions "
                 "%(collisions)s); added %(agencies)s agencies and %(nodes)s strategy nodes",
                 imported=len(self.written), refused=len(self.refused),
                 collisions=self.collisions, agencies=len(self.agencies),
                 nodes=len(self.nodes))


# -- values -----------------------------------------------------------------------------------

def number(value: Any, name: str) -> Decimal | int | None:
    """A number as the old system wrote it ('1,407.52', '95.0000'); blank is None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return value
    text = thai.arabic_digits(str(value)).strip()
    if not text:
        return None
    if not _NUMBER.match(text):
        raise Refused(name, _("not a number: %(value)s", value=repr(str(value))))
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise Refused(name, _("not a number: %(value)s", value=repr(str(value)))) from None


def target(value: Any) -> tuple[Decimal | int | None, str, str | None]:
    """(the number, the target as written when it is more than a number, the direction its
    words state): '≥ 1' is 1 and higher; 'ลดลงร้อยละ 3 จากปี 2563' has no plain number."""
    try:
        return number(value, "target"), "", None
    except Refused:
        text = str(value).strip()
        found = _COMPARATOR.match(thai.arabic_digits(text))
        if not found:
            return None, text, None
        direction = "lower" if found[1] in _LOWER_COMPARATORS else "higher"
        return Decimal(found[2].replace(",", "")), text, direction


def indicator_type(value: Any) -> tuple[str | None, list[str]]:
    """The type's key, and tags its words carry: the old system's Thai labels, or the keys."""
    if value in (None, ""):
        return None, []
    text = str(value).strip()
    if text == NEGOTIATED:  # a tag, wherever it appears (DOMAIN.md)
        return None, [NEGOTIATED]
    thai_labels = {standard("th")(label): key for key, label in model.TYPES.items()}
    if text in model.TYPES:
        return text, []
    if text in thai_labels:
        return thai_labels[text], []
    known = ", ".join([*model.TYPES, *thai_labels, NEGOTIATED])
    raise Refused("type", _("unknown type %(value)s (known: %(known)s)", value=repr(text),
                            known=known))


def result_level(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    for key, label in model.RESULT_LEVELS.items():
        if text in (key, standard("th")(label)) or text.endswith(f"({key})"):
            return key
    raise Refused("result_level", _("unknown result level %(value)s (known: output, outcome)",
                                    value=repr(text)))


def strategy_path(path: list) -> list[tuple[str, str, bool]]:
    """(number, name, truncated) of each node of a path as the old pages print it:
    'ด้านที่ ๕ - มหานครประชาธิปไตย', '๕.๒.๑ ประชาชน...%' (the old system cut names with %)."""
    nodes = []
    for item in path:
        found = _NODE.match(str(item).strip().lstrip(":").strip())
        if not found:
            raise Refused("strategy_path", _("not a strategy node: %(value)s", value=repr(item)))
        name = found["name"].split(" : ")[0].strip()  # ' : Bangkok as a ...' is its English
        truncated = name.endswith("%")
        nodes.append((thai.arabic_digits(found["number"]), name.rstrip("%").strip(), truncated))
    return nodes


def english_names(path: list) -> dict[str, str]:
    """The English names a path gives after ' : ' (dimension 5 on the reference page)."""
    out = {}
    for item in path:
        found = _NODE.match(str(item).strip().lstrip(":").strip())
        if found and " : " in found["name"]:
            out[thai.arabic_digits(found["number"])] = found["name"].split(" : ", 1)[1].strip()
    return out


def order_label(label: Any) -> str | None:
    """The order label without what the old heading repeats: the kind word and 'ปี 2564'."""
    if not label:
        return None
    label = re.sub(r"^(ตัวชี้วัดยุทธศาสตร์|ตัวชี้วัดเชิงยุทธศาสตร์|ตัวชี้วัดงานประจำ)\s*", "",
                   str(label).strip())
    return re.sub(r"^ปี\s*[0-9๐-๙]{4}\s*", "", label).strip() or None


def pair(value: Any) -> list | None:
    """The 2.1 / 2.2 pair: [95, 100], or as the old pages print it, '95 / 100'."""
    if value in (None, "", []):
        return None
    parts = value if isinstance(value, list) else str(value).split("/")
    if len(parts) != 2:
        raise Refused("pair", _("not a pair of numbers a / b: %(value)s", value=repr(value)))
    return [number(part, "pair") for part in parts]


def page_of(url: Any) -> tuple[str | None, str | None]:
    """(the old system's page identifier, the host that kept the snapshot) of a page address:
    http://dp2.bangkok.go.th/mobile/mykpi.php?pid=5042-2008 -> 5042-2008, dp2.bangkok.go.th."""
    if not url:
        return None, None
    address = urlparse(str(url))
    pid = parse_qs(address.query).get("pid")
    return (pid[0] if pid else None), (address.hostname or None)


# -- records --------------------------------------------------------------------------------

@dataclass
class Record:
    """One indicator's facts as the source gave them, and where in the source it is."""

    position: str  # "facts.json #3" or "5042-2007.txt": for messages
    origin: str  # the file's name: kept in imported.from
    data: dict
    refused: Refused | None = None  # a page that could not be read as one


def records_in(path: Path) -> list[Record]:
    """The records of a facts file (JSON), a page (.txt, .html) or a folder of them."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in READERS and p.is_file())
        if not files:
            raise UsageError(bilingual(_("%(path)s holds no .json, .txt or .html file",
                                         path=str(path))))
        return [r for f in files for r in records_in(f)]
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UsageError(bilingual(_("%(path)s: import reads .json (facts), .txt (a page's "
                                     "text) or .html (a saved page)", path=str(path))))
    return reader(path, _text_of(path))


def _text_of(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise UsageError(bilingual(_("cannot read %(file)s: %(reason)s", file=str(path),
                                     reason=exc.strerror or str(exc)))) from None
    except UnicodeDecodeError:
        raise UsageError(bilingual(_("%(file)s is not UTF-8: save it again as UTF-8",
                                     file=str(path)))) from None


def _facts(path: Path, text: str) -> list[Record]:
    """A JSON list of records: keys as in the field table, or as the old facts name them."""
    try:
        records = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise UsageError(bilingual(_("%(file)s is not valid JSON: %(detail)s", file=str(path),
                                     detail=str(exc)))) from None
    if not isinstance(records, list):
        raise UsageError(bilingual(_("%(file)s must hold a list of records ({...} each), one "
                                     "an indicator", file=str(path))))
    return [Record(f"{path.name} #{n}", path.name, r) if isinstance(r, dict) else
            Record(f"{path.name} #{n}", path.name, {}, Refused("", _(
                "a record is a mapping {\"code\": ..., \"name\": ...}, not %(value)s",
                value=repr(r)[:80])))
            for n, r in enumerate(records, 1)]


def _page_text(path: Path, text: str) -> list[Record]:
    return [_page(path, text.splitlines(), None)]


def _page_html(path: Path, text: str) -> list[Record]:
    return [_page(path, *html_lines(text))]


def _page(path: Path, lines: list[str], address: str | None) -> Record:
    try:
        data = page_record(lines)
    except Refused as refused:
        return Record(path.name, path.name, {}, refused)
    if address:
        data.setdefault("source", address)
    return Record(path.name, path.name, data)


READERS = {".json": _facts, ".txt": _page_text, ".html": _page_html, ".htm": _page_html}


# -- the old system's indicator page (../shared/reference/bma-indicator-5042-2007.txt) -------

_D = "[0-9๐-๙]"
_HEADING = re.compile(rf"^(?P<kind>ตัวชี้วัด\S*)\s*(?:ปี\s*(?P<year>{_D}{{4}})\s*)?"
                      rf"(?P<order>\([^)]*\)|{_D}+(?:\.{_D}+)*\.?)?\s*(?P<name>.+?)\s*:\s*"
                      r"(?P<code>[0-9A-Za-z][0-9A-Za-z._-]*)$")
_FACT = {  # one line each: 'ค่าเป้าหมาย ระดับ : 5'
    "target": re.compile(r"^ค่าเป้าหมาย\s*(?P<unit>.*?)\s*:\s*(?P<value>.*)$"),
    "achieved": re.compile(r"^ผลงานที่ทำได้\s*(?P<unit>.*?)\s*:\s*(?P<value>.*)$"),
    "type": re.compile(r"^ประเภทตัวชี้วัด\s*:\s*(?P<value>.*)$"),
    "assessment": re.compile(rf"^\**\s*สยป\.?\s*ตรวจประเมินตัวชี้วัด\s*:\s*ไตรมาสที่\s*"
                             rf"(?P<quarter>{_D})\s*:\s*(?P<value>.*)$"),
}
_LEVEL_LINE = re.compile(r"^\(.*\((?P<value>output|outcome)\)\)$")  # (ตัวชี้วัดระดับผลผลิต (output))
_SECTIONS = {  # a heading line, and the field its text goes to
    "quarters": re.compile(r"^ผลงานเทียบกับเป้าหมายรายไตรมาส$"),
    "report": re.compile(rf"^รายงานผลฯ?\s*ไตรมาสที่\s*(?P<quarter>{_D})$"),
    "summary": re.compile(r"^\**\s*สรุปผลการดำเนินงาน\s*\**$"),
    "definition": re.compile(r"^นิยาม\s*หรือความหมายของตัวชี้วัด$"),
    "calculation": re.compile(r"^วิธีการคำนวณ\s*หรือ\s*เกณฑ์การประเมิน$"),
    "data_collection": re.compile(r"^วิธีกา?ร?การเก็บข้อมูล\s*/\s*แหล่งข้อมูล$"),
    "strategy_path": re.compile(r"^สนับสนุนยุทธศาสตร์กรุงเทพมหานคร"),
    "projects": re.compile(r"^โครงการ\s*/\s*กิจกรรมที่สนับสนุนตัวชี้วัด$"),
}
# The page's own furniture, not the indicator's: its title, links, the print link, the footer.
_CHROME = re.compile(r"^(รายละเอียดตัวชี้วัด|Back|Home|Back Home|รายละเอียดตัวชี้วัดฯ\s*:\s*"
                     r"พิมพ์ข้อมูล|ฐานข้อมูลประกอบตัวชี้วัดการพัฒนาเมือง)$")
_TABLE_HEAD = re.compile(r"^(ไตรมาสที่|\(1 - 4\)|\*ผลงาน\*|\(.*\)|\*ผลประเมินตัวชี้วัด\*)$")
_RUBRIC = re.compile(r"ระดับ\s*(?P<level>\d{1,2})\s*-\s*(?P<description>.+?)\s*ได้ร้อยละ\s*"
                     r"(?P<weight>[\d.]+)\s*ของน้ำหนักคะแนน")
_ITEM = re.compile(r"(?:^|\s)(\d{1,2})\.\s+")
_PAIR_LINE = re.compile(r"^[-\d.,]*\s*/\s*[-\d.,]*$")


def page_record(lines: list[str]) -> dict:
    """The facts of one indicator page as its text reads, line by line; a section the page
    shows is a key (empty when the page's section is), so a missing key is one the page did
    not have, or that was not recognised."""
    lines = [line.strip() for line in lines]
    lines = [line for line in lines if line and not _CHROME.match(line)]
    record: dict = {"remarks": []}
    section, body = None, []
    for number, line in enumerate(lines, 1):
        found = next(((name, m) for name, rx in _SECTIONS.items() if (m := rx.match(line))),
                     None)
        if found:
            _put_section(record, section, body)
            section, body = found, []
        elif section:
            body.append(line)
        elif not _header_line(record, line):
            record["remarks"].append(words(
                "a line of the page that was not recognised: %(line)s", line=repr(line)))
    _put_section(record, section, body)
    if "code" not in record:
        raise Refused("", _("not an indicator page of the old system: no heading line such as "
                            "'ตัวชี้วัดยุทธศาสตร์ (7) ชื่อตัวชี้วัด : 5042-2007'"))
    return record


def _header_line(record: dict, line: str) -> bool:
    """One line above the sections: the heading, a fact, or the result level's line."""
    if "code" not in record and (m := _HEADING.match(line)):
        record.update(code=m["code"], name=m["name"], order=m["order"])
        if m["year"]:
            record["fiscal_year"] = thai.arabic_digits(m["year"])
        return True
    for name, rx in _FACT.items():
        if m := rx.match(line):
            if name == "assessment":
                record[name] = {"quarter": thai.arabic_digits(m["quarter"]), "score": m["value"]}
            else:
                record[name] = m["value"]
            if m.groupdict().get("unit"):
                record.setdefault("unit", m["unit"])
            return True
    if m := _LEVEL_LINE.match(line):
        record["result_level"] = m["value"]
        return True
    return False


def _put_section(record: dict, section, body: list[str]) -> None:
    """A section's lines into the record's fields."""
    if section is None:
        return
    name, heading = section
    text = "\n\n".join(body)
    if name == "quarters":
        record["quarters"] = _quarter_rows(body)
    elif name == "report":
        n = int(thai.arabic_digits(heading["quarter"]))
        row = next((q for q in record.get("quarters", []) if q["quarter"] == n), None)
        if row is None:
            row = {"quarter": n}
            record.setdefault("quarters", []).append(row)
        row["report"] = text
    elif name == "calculation":
        rubric = list(_RUBRIC.finditer(text))
        record["calculation"] = text[:rubric[0].start()].strip() if rubric else text
        record["rubric"] = [{k: m[k] for k in ("level", "description", "weight")}
                            for m in rubric]
    elif name == "data_collection":
        record["data_collection"], record["evidence"] = _numbered(text)
    elif name == "strategy_path":
        record[name] = [line for line in body if line.startswith(":")]
    elif name == "projects":
        record[name] = body
    else:
        record[name] = text


def _quarter_rows(body: list[str]) -> list[dict]:
    """The table of results by quarter, a cell a line: number, result, score, 'a / b'."""
    cells = [c for c in body if not _TABLE_HEAD.match(c)]
    rows, expected = [], 1
    for cell in cells:
        if thai.arabic_digits(cell) == str(expected) and expected <= 4:
            rows.append({"quarter": expected, "cells": []})
            expected += 1
        elif rows:
            rows[-1]["cells"].append(cell)
    for row in rows:
        cells = row.pop("cells")
        row["pair"] = next((c for c in cells if _PAIR_LINE.match(c)), None)
        values = [c for c in cells if c is not row["pair"]]
        if len(values) != 2:
            raise Refused(f"quarters[{row['quarter']}]", _(
                "quarter %(n)s: expected a result and a score, found %(cells)s", n=row["quarter"],
                cells=repr(cells)))
        row["result"], row["score"] = values
    return rows


def _numbered(text: str) -> tuple[str, list[str]]:
    """'วิธีเก็บข้อมูล/หลักฐาน 1. ประเด็น... 2. แผนงาน...' -> the words before the list, and
    its items; text that is not numbered 1, 2, 3... stays whole."""
    marks = [m for m in _ITEM.finditer(text)]
    numbers = [int(m[1]) for m in marks]
    if len(marks) < 2 or numbers != list(range(1, len(marks) + 1)):
        return text, []
    ends = [m.start() for m in marks[1:]] + [len(text)]
    items = [text[m.end():end].strip() for m, end in zip(marks, ends)]
    return text[:marks[0].start()].strip(), items


class _PageText(HTMLParser):
    """The text of a saved page, a line per block (as a browser's copy gives it), and the
    address it was saved from (browsers write it in a comment: <!-- saved from url=... -->)."""

    BLOCKS = {"p", "div", "br", "tr", "td", "th", "li", "h1", "h2", "h3", "h4", "h5", "h6",
              "table", "section", "article", "header", "footer", "dt", "dd", "hr", "title"}
    SKIP = {"script", "style", "noscript", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.address, self._skipping = [], None, 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "link" and ("rel", "canonical") in attrs:
            self.address = self.address or dict(attrs).get("href")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data.replace("\n", " "))

    def handle_comment(self, data):
        found = re.search(r"saved from url=\(\d+\)(\S+)", data)
        if found:
            self.address = found[1]


def html_lines(html: str) -> tuple[list[str], str | None]:
    """The lines of text of a saved page, and the address it came from (if it says)."""
    parser = _PageText()
    parser.feed(html)
    parser.close()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line) for line in "".join(parser.parts).split("\n")]
    return lines, parser.address


# -- a record's fields ----------------------------------------------------------------------

@dataclass
class Additions:
    """Agencies and strategy nodes a record names, with what the record says of them."""

    agencies: dict[str, str] = field(default_factory=dict)  # code -> name ("" unknown)
    nodes: dict[str, dict] = field(default_factory=dict)  # number -> name, name_en, truncated
    labels: dict[int, str] = field(default_factory=dict)  # depth -> the level's word (ด้าน)


# The sections of an old indicator page: a record that lacks one did not capture it (a key
# present but empty is a section the page showed empty).
PAGE_SECTIONS = ("quarters", "quarters.report", "summary", "definition", "calculation",
                 "rubric", "data_collection", "evidence", "strategy", "projects")
_OLD_KEYS = {"agency_code": "agency", "order_label": "order", "strategy_path": "strategy"}


def indicator_fields(data: dict, origin: str, fiscal_year: str | None
                     ) -> tuple[dict, Additions]:
    """The fields of an indicator file from one record, and the agency and nodes it names;
    Refused (with the field at fault) when a value cannot be taken as it is."""
    data = {_OLD_KEYS.get(k, k): v for k, v in data.items()}
    out: dict = {"imported": _provenance(data, origin)}
    remarks, adds = out["imported"]["remarks"], Additions()
    code = str(data.pop("code", None) or "").strip()
    if not code:
        raise Refused("code", _("the record has no code: every indicator needs one"))
    out["code"] = code
    out["fiscal_year"] = data.pop("fiscal_year", None) or fiscal_year
    if not out["fiscal_year"]:
        remarks.append(words("the source does not give the fiscal year"))
    out["agency"] = _agency(data, code, adds)
    out["order"] = order_label(data.pop("order", None))
    out["type"], tags = indicator_type(data.pop("type", None))
    given_tags = _value(fields.BY_NAME["tags"], data.pop("tags", None), "tags", remarks) or []
    out["tags"] = [*tags, *[t for t in given_tags if t not in tags]]
    out["result_level"] = result_level(data.pop("result_level", None))
    out["target"], out["target_text"], stated = target(data.pop("target", None))
    out["quarters"] = _quarters(data.pop("quarters", None), remarks)
    out["strategy"] = _strategy(data.pop("strategy", None), adds)
    for name, value in list(data.items()):
        f = fields.BY_NAME.get(name)
        if f is not None and name not in out:
            out[name] = _value(f, value, name, remarks)
        elif name != "agency_name":
            remarks.append(_no_field(name, value))
    out["direction"] = out.get("direction") or stated or _lower(out)
    return out, adds


def _provenance(data: dict, origin: str) -> dict:
    """imported: where the facts came from, what the source had that was not captured, and
    the gatherer's remarks (the old facts' `notes` are those, never the old page's text)."""
    given = data.pop("imported", None) or {}
    if not isinstance(given, dict):
        raise Refused("imported", _("must be a mapping of from, page_id, snapshot, "
                                    "not_captured, remarks"))
    notes = data.get("notes")
    remarks = [*data.pop("remarks", []), *(data.pop("notes") if isinstance(notes, list) else [])]
    page_id, snapshot = page_of(data.get("source"))
    missing = [s for s in PAGE_SECTIONS if _section_missing(data, s)]
    return {"from": given.get("from") or origin, "page_id": given.get("page_id") or page_id,
            "snapshot": given.get("snapshot") or snapshot,
            "not_captured": given.get("not_captured", missing),
            "remarks": [str(r) for r in [*given.get("remarks", []), *remarks]]}


def _section_missing(data: dict, section: str) -> bool:
    goal = str(data.get("type") or "") in ("goal", standard("th")(model.TYPES["goal"]))
    if section.startswith("quarters"):
        rows = data.get("quarters")
        if goal and not rows:
            return False  # a goal indicator has no results: not a missing section
        if section == "quarters.report":
            return bool(rows) and any(isinstance(q, dict) and "report" not in q for q in rows)
    return data.get(section) is None


def _agency(data: dict, code: str, adds: Additions) -> str | None:
    """The agency's code: given, or the first part of the indicator's (5042-2007: 5042)."""
    agency = data.pop("agency", None)
    name = str(data.get("agency_name") or "").strip()
    if agency in (None, ""):
        found = re.match(r"^(\d{4})-", code)
        agency = found[1] if found else None
    if agency is None:
        return None
    agency = str(agency).strip()
    adds.agencies[agency] = name
    return agency


def _quarters(rows: Any, remarks: list[str]) -> list[dict]:
    """The quarters' rows. A result of 0.00 with a 2.1/2.2 pair of 0 / 0 is how the old
    system prints a quarter nobody entered (DOMAIN.md): not reported, so it is left empty and
    a remark keeps what the page showed."""
    if rows in (None, ""):
        return []
    if not isinstance(rows, list):
        raise Refused("quarters", _("must be a list of quarters"))
    out = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise Refused(f"quarters[{i}]", _("must be a mapping of quarter, result, score"))
        row = {{"q": "quarter", "ratio": "pair"}.get(k, k): v for k, v in row.items()}
        q = _mapping(fields.BY_NAME["quarters"], row, f"quarters[{i}]", remarks)
        if q.get("result") == 0 and q.get("pair") == [0, 0] and not q.get("report"):
            remarks.append(words(
                "the old system showed the result of quarter %(n)s as %(result)s with the score "
                "%(ratio)s: not reported yet, so it is left empty", n=q["quarter"],
                result=row.get("result"), ratio="0 / 0"))
            q["result"] = None
        out.append(q)
    return out


def _strategy(value: Any, adds: Additions) -> list[str]:
    """The node numbers: given as numbers, or as the old page's path (the deepest node is the
    indicator's; the path's nodes are added to the site when it lacks them)."""
    if value in (None, "", []):
        return []
    items = value if isinstance(value, list) else [value]
    if all(re.fullmatch(fields.NODE_NUMBER, thai.arabic_digits(str(v)).strip()) for v in items):
        return [model.node_number(v) for v in items]
    nodes = strategy_path(items)
    english = english_names(items)
    for depth, (number, name, truncated) in enumerate(nodes):
        parent = number.rpartition(".")[0]
        if parent and parent not in adds.nodes and depth:
            raise Refused("strategy_path", _("the node %(number)s does not follow %(parent)s in "
                                             "the path", number=number, parent=nodes[depth - 1][0]))
        adds.nodes[number] = {"name": name, "name_en": english.get(number, ""),
                              "truncated": truncated}
    for item in items:
        found = _NODE.match(str(item).strip().lstrip(":").strip())
        if found and found["label"]:
            adds.labels[thai.arabic_digits(found["number"]).count(".")] = found["label"]
    return [nodes[-1][0]]


def _lower(out: dict) -> str | None:
    """'lower' when the unit, the name or the target's words say smaller is better (minutes,
    ลดลง)."""
    words = f"{out.get('name') or ''} {out.get('target_text') or ''}".lower()
    lower = out.get("unit") in model.LOWER_UNITS or any(w in words for w in model.LOWER_WORDS)
    return "lower" if lower else None


def _value(f: fields.Field, raw: Any, where: str, remarks: list[str]) -> Any:
    """One value as its field's kind holds it; Refused names `where` when it cannot. What no
    field holds goes to `remarks`, so that nothing of the source is lost unseen."""
    if raw is None or raw == "":
        return None
    kind = f.kind
    if kind in ("text", "code", "markdown"):
        if isinstance(raw, (dict, list)) and kind != "markdown":
            raise Refused(where, _("must be text, not %(value)s", value=repr(raw)[:80]))
        return "\n\n".join(map(str, raw)) if isinstance(raw, list) else str(raw).strip()
    if kind == "year":
        return thai.arabic_digits(raw).strip()
    if kind in ("number", "integer"):
        value = number(raw, where)
        if kind == "integer" and value is not None and value != int(value):
            raise Refused(where, _("not a whole number: %(value)s", value=repr(raw)))
        return int(value) if kind == "integer" and value is not None else value
    if kind == "enum":
        return _choice(f, raw, where)
    if kind == "bool":
        if not isinstance(raw, bool):
            raise Refused(where, _("must be true or false, not %(value)s", value=repr(raw)))
        return raw
    if kind == "pair":
        return pair(raw)
    if kind in ("texts", "nodes"):
        items = raw if isinstance(raw, list) else [raw]
        return [str(v).strip() for v in items if str(v).strip()]
    if kind == "object":
        return _mapping(f, raw, where, remarks)
    return [_mapping(f, row, f"{where}[{i}]", remarks) for i, row in enumerate(
        raw if isinstance(raw, list) else [raw], 1)]


def _mapping(f: fields.Field, raw: Any, where: str, remarks: list[str]) -> dict:
    if not isinstance(raw, dict):
        raise Refused(where, _("must be a mapping of %(parts)s", parts=", ".join(
            p.name for p in f.parts)))
    for key in sorted(set(raw) - {p.name for p in f.parts}):
        remarks.append(_no_field(f"{where}.{key}", raw[key]))
    return {p.name: _value(p, raw.get(p.name), f"{where}.{p.name}", remarks) for p in f.parts}


def _no_field(key: str, value: Any) -> str:
    return words("the record's %(key)s has no field to hold it: %(value)s", key=key,
                 value=json.dumps(value, ensure_ascii=False, default=str)[:500])


def _choice(f: fields.Field, raw: Any, where: str) -> str:
    text = str(raw).strip()
    for key, label in f.choices.items():
        if key and text in (key, words(label)):
            return key
    raise Refused(where, _("unknown value %(value)s (known: %(known)s)", value=repr(text),
                           known=", ".join(k for k in f.choices if k)))


# -- agencies.yaml and strategy.yaml: what the records name and the site lacks ----------------

def site_texts(project, site: model.Site | None, adds: list[Additions]
               ) -> tuple[dict[str, str], list[str], list[str]]:
    """The new texts of agencies.yaml and strategy.yaml (only those that change), and the
    agencies and nodes added. Entries are appended to the files' lists as text, so that the
    files' order and comments stay as their editors wrote them."""
    known_agencies = set(site.agencies) if site else set()
    known_nodes = set(site.strategy.by_number) if site else set()
    agencies: dict[str, str] = {}
    nodes: dict[str, dict] = {}
    labels: dict[int, str] = {}
    for a in adds:
        for code, name in a.agencies.items():
            if code not in known_agencies and not agencies.get(code):
                agencies[code] = name
        for number, node in a.nodes.items():
            if number not in known_nodes:
                nodes.setdefault(number, node)
        labels.update(a.labels)
    texts = {}
    missing = {kind for kind in ("agencies", "strategy")
               if not (project.content / f"{kind}.yaml").exists()}  # an empty site has none
    if agencies or "agencies" in missing:
        texts["agencies"] = _with_entries(project.content / "agencies.yaml", "agencies", [
            [("code", code), ("name", name or None)] for code, name in sorted(agencies.items())])
    if nodes or "strategy" in missing:
        levels = [labels[d] for d in range(len(labels)) if d in labels]
        texts["strategy"] = _with_entries(project.content / "strategy.yaml", "nodes", [
            [("number", number), ("name", n["name"] or None), ("name_en", n["name_en"] or None),
             ("truncated", True if n["truncated"] else None)]
            for number, n in sorted(nodes.items(), key=lambda kv: _node_key(kv[0]))],
            f"levels: [{', '.join(scalar(w, in_list=True) for w in levels)}]" if levels else "")
    return texts, sorted(agencies), sorted(nodes, key=_node_key)


def _node_key(number: str) -> tuple:
    return tuple(int(part) for part in number.split("."))


def _with_entries(path: Path, key: str, entries: list[list[tuple]], first_line: str = "") -> str:
    """The file's text with `entries` appended to its list `key` (the file is made when it
    does not exist yet)."""
    def entry_lines(dash: str) -> list[str]:
        pads = [dash + "- ", *[dash + "  "] * 9]
        quoted = lambda k, v: json.dumps(v, ensure_ascii=False) if k in ("code", "number") \
            else scalar(v)  # noqa: E731 (codes always in quotes, as the files ask: "0700")
        return [f"{pad}{k}: {quoted(k, v)}" for entry in entries
                for pad, (k, v) in zip(pads, [kv for kv in entry if kv[1] is not None])]

    if not path.exists():
        head = [f"# yaml-language-server: $schema=../schema/{path.stem}.schema.json"]
        return "\n".join(head + ([first_line] if first_line else [])
                         + [f"{key}:" if entries else f"{key}: []"] + entry_lines("  ")) + "\n"
    text = path.read_text(encoding="utf-8-sig")
    old = text.splitlines()
    start = next((i for i, line in enumerate(old) if re.match(rf"^{key}\s*:", line)), None)
    if start is None:
        return text.rstrip("\n") + "\n" + "\n".join([f"{key}:"] + entry_lines("  ")) + "\n"
    rest = old[start].split(":", 1)[1].split("#")[0].strip()
    if rest == "[]":
        old[start] = f"{key}:"
    elif rest:
        raise UsageError(bilingual(_(
            "%(file)s: import adds to the list %(key)s when it is written one entry a line "
            "(- ...), not [...]", file=str(path), key=key)))
    end = start + 1
    while end < len(old) and (not old[end].strip() or old[end][0] in " \t-#"):
        end += 1
    while end > start + 1 and (not old[end - 1].strip() or old[end - 1].startswith("#")):
        end -= 1  # blank lines and comments at the end belong to what follows
    dash = next((m[1] for line in old[start + 1:end] if (m := re.match(r"^(\s*)- ", line))),
                "  ")
    return "\n".join(old[:end] + entry_lines(dash) + old[end:]) + "\n"


# -- the run --------------------------------------------------------------------------------

@dataclass
class Accepted:
    record: Record
    fields: dict
    adds: Additions
    path: Path


def run(source: Path, project, theme, overwrite: bool = False,
        fiscal_year: str | None = None) -> Verdicts:
    """Import every record of `source`: check them all, then write what passed (the site
    files first, so that no indicator names an agency that is not there yet)."""
    from . import gather

    records = records_in(source)
    if not (project.content / "site.yaml").is_file():
        raise UsageError(bilingual(_("%(path)s has no site.yaml: import into a site's content "
                                     "folder (see the README)", path=str(project.content))))
    site, problems = gather.load_site(project, theme)
    if site is None and (project.content / "agencies.yaml").exists() and \
            (project.content / "strategy.yaml").exists():
        raise UsageError(bilingual(_("the site's files have errors: run check first")))
    verdicts = Verdicts()
    accepted = _converted(records, project, fiscal_year, overwrite, verdicts)
    while True:  # a record refused takes away what only it added: check the rest again
        texts, agencies, nodes = site_texts(project, site, [a.adds for a in accepted])
        checked_site, problems = gather.load_site(project, theme, texts)
        if checked_site is None:
            raise UsageError(bilingual(_("the agencies or strategy nodes to add are not valid: "
                                         "%(problem)s", problem=problems[0].plain())))
        passed = [a for a in accepted if _passes(a, project, checked_site, theme, verdicts)]
        if len(passed) == len(accepted):
            break
        accepted = passed
    for kind, text in texts.items():
        _write(project.content / gather.SITE_FILES[kind], text)
    for a in accepted:
        _write(a.path, indicator_text(a.fields, words=theme.words(LANGUAGE)))
        verdicts.written.append(a.path)
    verdicts.agencies, verdicts.nodes = agencies, nodes
    return verdicts


def _converted(records: list[Record], project, fiscal_year, overwrite: bool,
               verdicts: Verdicts) -> list[Accepted]:
    """Each record's fields, and the file it goes to; collisions refused (the first of a code
    and year wins; an existing file stays unless --overwrite)."""
    accepted, first_at = [], {}
    for record in records:
        code = record.data.get("code")
        try:
            if record.refused:
                raise record.refused
            values, adds = indicator_fields(record.data, record.origin, fiscal_year)
            try:
                path = file_path(project.content, values["fiscal_year"], values["code"])
            except UsageError as exc:
                raise Refused("fiscal_year" if "year" in str(exc) else "code", str(exc)) \
                    from None
        except Refused as refused:
            verdicts.refuse(record, code, refused.field, refused.message)
            continue
        key = str(path).casefold()
        if key in first_at:
            verdicts.collide(record, code, _(
                "the same code and fiscal year as %(first)s, which is imported (the first "
                "record of a code and year is the one taken)", first=first_at[key]))
        elif path.exists() and not overwrite:
            verdicts.collide(record, code, _(
                "%(path)s exists: it is kept (--overwrite replaces it)", path=str(path)))
        else:
            first_at[key] = record.position
            accepted.append(Accepted(record, values, adds, path))
    return accepted


def _passes(a: Accepted, project, site: model.Site, theme, verdicts: Verdicts) -> bool:
    """Whether the file about to be written passes `check` on its own."""
    from . import load, validate

    text = indicator_text(a.fields, words=theme.words(LANGUAGE))
    source, problems = load.parse_source(text.encode(), a.path, load.relative(a.path,
                                                                             project.root))
    if source:
        problems += validate.check_indicator(source, site, theme.schemas)[1]
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        verdicts.refuse(a.record, a.fields["code"], errors[0].field, errors[0].message)
    return not errors


def _write(path: Path, text: str) -> None:
    """Write a file whole or not at all (a file half written is worse than none)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)
