"""The field table is the one description of an indicator's fields: the schema is generated
from it, and a field added to it reaches the page, the downloads, `diff` and new files."""
from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import REPO, unmarked
from kpisite import fields, model, synthetic
from kpisite.i18n import standard


def test_the_schema_file_is_generated_from_the_table():
    committed = fields.SCHEMA_FILE.read_text(encoding="utf-8")
    assert committed == fields.schema_text(standard("th").gettext), \
        "schema/indicator.schema.json is out of date: run python -m kpisite.fields"


def test_the_model_has_the_tables_fields():
    attributes = set(model.Indicator.__dataclass_fields__) - {"source", "exports"}
    assert attributes == {f.key for f in fields.FIELDS}
    for f in fields.FIELDS:
        if f.row:
            assert set(model.ROWS[f.row].__dataclass_fields__) == {p.key for p in f.parts}


def test_every_field_has_a_thai_label_and_synthetic_content_fills_it():
    thai = standard("th")
    for f in fields.FIELDS + fields.QUARTER + fields.RUBRIC_LEVEL + fields.ASSESSMENT:
        assert thai(f.label) != f.label, f"no Thai label for {f.name}"
    import random

    generated = synthetic.indicator(random.Random(1), 1, "5042", 2564, ["1.1.1.1"])
    assert set(generated) >= {f.name for f in fields.FIELDS if not f.translation_of} - \
        synthetic.LEFT_EMPTY  # English twins stay empty, as in most real files


# -- adding a field, in a copy of kpisite --------------------------------------------------

NEW_FIELD = '''    Field("baseline", "number", N_("Baseline"), N_("The value before the plan began"),
          history=N_("Baseline")),
'''
NEW_LINE = '''  <div><dt>{{ _("Baseline") }}</dt><dd class="baseline">{{ ind.baseline | reported }}</dd></div>
'''
THAI = '''
msgid "Baseline"
msgstr "ค่าฐาน"

msgid "The value before the plan began"
msgstr "ค่าก่อนเริ่มแผน"
'''


@pytest.fixture(scope="module")
def with_a_new_field(tmp_path_factory) -> Path:
    """A copy of this repository with one field added: the entry in the table, its Thai
    words in the catalogue, a template line; then the schema regenerated."""
    root = tmp_path_factory.mktemp("new-field") / "kpisite-copy"
    for folder in ("kpisite", "templates", "static", "schema", "editor", "content"):
        shutil.copytree(REPO / folder, root / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
    shutil.copy(REPO / "build.py", root)
    table = root / "kpisite/fields.py"
    text = table.read_text(encoding="utf-8")
    anchor = '    Field("achieved", "number"'
    table.write_text(text.replace(anchor, NEW_FIELD + anchor, 1), encoding="utf-8")
    catalogue = root / "kpisite/locale/th/LC_MESSAGES/messages.po"
    catalogue.write_text(catalogue.read_text(encoding="utf-8") + THAI, encoding="utf-8")
    facts = root / "templates/_indicator_facts.html"
    text = facts.read_text(encoding="utf-8")
    facts.write_text(text.replace("  <div>\n    <dt>{{ _(\"Achieved\") }}",
                                  NEW_LINE + "  <div>\n    <dt>{{ _(\"Achieved\") }}", 1),
                     encoding="utf-8")
    run(root, "-m", "kpisite.fields")
    return root


def run(root: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=root, capture_output=True, text=True,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin",
                               "SOURCE_DATE_EPOCH": "1795392000"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                   check=True, capture_output=True)


def test_an_added_field_reaches_the_page_the_csv_the_diff_and_new_files(with_a_new_field):
    root = with_a_new_field
    ref = root / "content/indicators/2564/5042-2007.yaml"
    schema = (root / "schema/indicator.schema.json").read_text(encoding="utf-8")
    assert '"baseline"' in schema and "ค่าฐาน" in schema  # editors see it, in Thai
    git(root, "init", "-q")
    git(root, "add", "content")
    git(root, "commit", "-qm", "before")
    ref.write_text(ref.read_text(encoding="utf-8").replace("achieved: 5", "baseline: 3\nachieved: 5"),
                   encoding="utf-8")
    git(root, "commit", "-qam", "a baseline")
    run(root, "build.py", "build")
    page = unmarked((root / "site/indicators/2564/5042-2007.html").read_text(encoding="utf-8"))
    assert '<dt>ค่าฐาน</dt><dd class="baseline">3</dd>' in page
    assert "ค่าฐาน: (ว่าง) → 3" in page  # its history, in indicator terms
    csv = (root / "site/data/indicators.csv").read_text(encoding="utf-8-sig").splitlines()
    column = csv[0].split(",").index("baseline")
    assert next(line for line in csv if "5042-2007" in line).split(",")[column] == "3"
    assert "| ค่าฐาน | (ว่าง) | 3 |" in run(root, "build.py", "diff", "HEAD~1", "HEAD")
    run(root, "build.py", "new", "--agency", "5042", "--year", "2568", "--code", "5042-0001")
    new = (root / "content/indicators/2568/5042-0001.yaml").read_text(encoding="utf-8")
    assert "\nbaseline:\n" in new and new.index("target:") < new.index("baseline:") < new.index("achieved:")


def test_a_real_build_in_the_copy_still_checks_the_new_field(with_a_new_field):
    root = with_a_new_field
    ref = root / "content/indicators/2564/5042-2008.yaml"
    ref.write_text(ref.read_text(encoding="utf-8").replace("target: 100", "target: 100\nbaseline: สูง"),
                   encoding="utf-8")
    done = subprocess.run([sys.executable, "build.py", "check"], cwd=root, capture_output=True,
                          text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    assert "baseline: ต้องเป็น ตัวเลข แต่ได้ 'สูง'" in done.stderr, textwrap.shorten(done.stderr, 300)
