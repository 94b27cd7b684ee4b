"""Words live in the catalogue: every message the code and templates use is in the Thai
catalogue, translated, and no interface text is written in Thai in the code itself."""
from __future__ import annotations

import ast
import re

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from conftest import REPO
from kpisite import i18n

KEYWORDS = {"_": None, "N_": None, "p_": ((1, "c"), 2), "pgettext": ((1, "c"), 2), "words": None}
THAI = re.compile("[\u0e01-\u0e5b]")
# Thai in code that is not interface text: the content's own vocabulary that rules read in
# an indicator's fields (model.py), the old system's page texts the importer recognises, and
# patterns and digits. Synthetic content (synthetic.py) is content, and says so.
CONTENT_VOCABULARY = {"ระดับ", "นาที", "วินาที", "ชั่วโมง", "วัน", "ลดลง", "ระยะเวลา",
                      "เปอร์เซ็นไทล์", "๐๑๒๓๔๕๖๗๘๙",
                      "ตัวชี้วัดเจรจา", "ไม่เกิน", "ไม่มากกว่า",  # the old pages' words (import)
                      "ไทย", "อังกฤษ"}  # values the thai_gdc catalogue stores (metadata.py)
PATTERN = re.compile(r"^\^|\[0-9๐-๙\]|\[ก-|\(\?P<")  # regular expressions read content


def used_messages() -> set[tuple[str | None, str]]:
    method_map = [("kpisite/**.py", "python"), ("templates/**.html", "jinja2"),
                  ("templates/**.xml", "jinja2"), ("templates/**.css", "jinja2")]
    found = set()
    for _, _, message, _, context in extract_from_dir(REPO, method_map, keywords=KEYWORDS):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


def test_every_message_is_in_the_thai_catalogue_and_translated():
    with open(i18n.catalogue_path("th"), "rb") as f:
        catalogue = read_po(f)
    translated = {(m.context, m.id): m.string for m in catalogue if m.id}
    missing = sorted(str(key) for key in used_messages() if not translated.get(key))
    assert not missing, "untranslated (run the extraction in CONTRIBUTING): " + "; ".join(missing)


def test_the_template_of_the_catalogue_lists_what_is_used():
    with open(REPO / "kpisite/locale/messages.pot", "rb") as f:
        template = {(m.context, m.id) for m in read_po(f) if m.id}
    assert template == used_messages(), "kpisite/locale/messages.pot is out of date"


def test_no_interface_text_in_thai_in_code_templates_or_scripts():
    found, msgids = [], {message for _, message in used_messages()}
    for path in sorted((REPO / "kpisite").glob("*.py")):
        if path.name == "synthetic.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and THAI.search(text) and id(node) not in docstrings and \
                    text not in CONTENT_VOCABULARY | msgids and not PATTERN.search(text):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {text[:60]}")
    for path in [*(REPO / "templates").iterdir(), *(REPO / "static").glob("*.js"),
                 *(REPO / "static").glob("*.css")]:
        source = re.sub(r"\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        if path.suffix in (".js", ".css"):
            source = re.sub(r"//[^\n]*|/\*.*?\*/", "", source, flags=re.S)
        found += [f"{path.relative_to(REPO)}: {m.group(0)}" for m in THAI.finditer(source)][:1]
    assert not found, "\n".join(found)


def test_the_catalogue_reads_as_gettext_tools_read_it():
    # Poedit and msgfmt read the same file: every python-format message keeps its placeholders
    # well formed (a translation may leave out a detail, never invent one).
    with open(i18n.catalogue_path("th"), "rb") as f:
        catalogue = read_po(f)
    for m in catalogue:
        if m.id and m.string:
            names = set(re.findall(r"%\((\w+)\)s", m.id))
            assert set(re.findall(r"%\((\w+)\)s", m.string)) <= names | {"be_year"}, m.id
