"""The quick reader for kpisite's own YAML layout answers exactly as libyaml does, or not at all."""
from __future__ import annotations

import functools
import tempfile
from decimal import Decimal
from pathlib import Path

import yaml
from hypothesis import example, given, settings, strategies as st

from conftest import REPO
from kpisite import quickyaml, scaffold, synthetic
from kpisite.load import parse_with_libyaml, plain_value
from kpisite.scaffold import indicator_text


def examples(*values):
    """Hypothesis's @example for each of `values`."""
    def add(test):
        for value in values:
            test = example(value)(test)
        return test
    return add


def typed(value):
    """`value` with every scalar's type spelled out: 1 == True == Decimal(1) in Python."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return type(value).__name__, value


def quick(text: str):
    return quickyaml.read(text, plain_value)


def agrees(text: str) -> bool:
    """True when the quick reader answered (and then it must equal libyaml); False if it gave up."""
    answer = quick(text)
    if answer is None:
        return False
    assert typed(answer) == typed(parse_with_libyaml(text)), text
    return True


def differs_only_where_libyaml_refuses(text: str) -> None:
    try:
        parse_with_libyaml(text)
    except Exception:  # noqa: BLE001 - libyaml refuses it: the quick reader must too
        assert quick(text) is None, text
        return
    agrees(text)


@functools.cache
def written_files() -> tuple[str, ...]:
    """Files as kpisite writes them: the bundled content, a synthetic corpus, a new empty file."""
    texts = [p.read_text(encoding="utf-8") for p in (REPO / "content/indicators").rglob("*.yaml")]
    with tempfile.TemporaryDirectory() as corpus:
        synthetic.write_corpus(Path(corpus), 40)
        texts += [p.read_text(encoding="utf-8") for p in Path(corpus, "indicators").rglob("*.yaml")]
    texts.append(indicator_text({"fiscal_year": 2568, "agency": "0700", "code": "0700-0001"}))
    return tuple(texts)


def test_every_file_kpisite_writes_is_read_quickly_and_the_same():
    assert len(written_files()) > 50
    assert all(agrees(text) for text in written_files())  # none falls back to libyaml


def test_what_the_reader_leaves_to_libyaml():
    for text in ["a: 1\n  b: 2\n", "a: *x\n", "a: &x 1\n", "a: !!str 1\n", "a: 1\na: 2\n",
                 "a: b: c\n", "a: x\n  continued\n", "a: |-\n  x\n", "a: |\n\n  x\n",
                 "a:\t1\n", "a: 1\r\n", "a: 1", "- 1\n", "a: {b: 1}\n", "a: [1, [2]]\n",
                 '"a": 1\n', "a: \"x\\ty\"\n", "---\na: 1\n", "a: 'it''s'\n", "a: x #\n  y\n",
                 "a: -\n", "a:\n  - - 1\n", "a:\n  - |\n    x\n", "a:\n  -\n", "a: x\u2028y\n",
                 "a: |\n  x\u2028y\n", "a: -x:\n", "a: [-x:]\n", "a: |\n  x\n   \n  y\n", "# only a comment\n"]:
        assert quick(text) is None, text


def test_blocks_end_where_libyaml_ends_them():
    # a `|` block needs lines indented deeper than its key; a line indented less ends it
    for text in ["a:\n  - e: |\n    d: x\n", "a:\n  - e: |\n     x\n    d: 1\n",
                 "a: |\n   x\n  y\n", "a:\n  b: |\n    x\n   y\n", "- e: |\n  x\n",
                 "a:\n- b: |\n   x\n  c: 1\n", "a: |\n  x\n\n  y\nb: 1\n",
                 # a trailing blank line with spaces beyond the margin holds those spaces
                 "a: |\n x\n  \n", "a: |\n  - item\n    more\n    \nb:\n"]:
        differs_only_where_libyaml_refuses(text)


def test_values_typed_as_libyaml_types_them():
    text = ("year: 2564\ncode: 0700\nscore: 95.0000\nflag: true\nno: no\nempty:\nnull_: ~\n"
            "date: 2564-10-01\nneg: -5\nlist: [95, 100]\nnone: []\nq: \"5042\"\ns: 'x # y'\n"
            "t: ข้อความ # หมายเหตุ\nnested:\n  - a: 1\n    b:\n    - x\n  - plain\n"
            "block: |\n  บรรทัด 1\n\n    ย่อหน้า: # ไม่ใช่หมายเหตุ\n\n\nlast: 1\n")
    assert agrees(text)
    data = quick(text)
    assert data["code"] == "0700" and data["no"] == "no" and data["date"] == "2564-10-01"
    assert typed(data["score"]) == ("Decimal", Decimal("95.0000"))
    assert data["block"] == "บรรทัด 1\n\n  ย่อหน้า: # ไม่ใช่หมายเหตุ\n"
    assert data["nested"] == [{"a": 1, "b": ["x"]}, "plain"]


# Pieces of lines, many of them YAML's corner cases; generated files join them at random.
_KEYS = ["a", "b", "code", "quarters", "- a", "- b", "-", "- - a", '"a"', "a b", "ก"]
_VALUES = ["", " 1", " -1", " 0700", " 2.50", " true", " no", " ~", " null", " x", " ข้อความ",
           " x # c", " x#c", " x: y", " x:", " :x", " -", " -x", " [1, 2]", " []", " [a, b c]",
           " [a,]", " [1, [2]]", ' "q"', ' "q\\n"', " 'q'", " 'q''r'", ' "a" # c', ' "a"#c',
           " |", " |-", " | # c", " &a x", " *a", " !!str x", " {a: 1}", " @x", " `x", " %x",
           " ? x", " -x:", " -x: y", " x:y", " -#", " a :b", " x ", "  # c", " x\u2028y", " x\u0085y", " x\x00",  " 2564-10-01", " .5", " +1", " 1e3", " >", " x\u00a0"]
_LINES = st.tuples(st.sampled_from(["", " ", "  ", "   ", "    ", "      "]),
                   st.sampled_from(_KEYS), st.sampled_from([":", ""]), st.sampled_from(_VALUES))
_EXTRA = st.sampled_from(["", "# c", "  # c", "   ", "  ข้อความต่อ", "    more: 1", "\t", "...",
                          "---", "  - x", "- y", "\u2028", "\ufeff"])


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(_LINES.map("".join), _EXTRA), min_size=1, max_size=14))
def test_generated_files_agree_with_libyaml(lines):
    differs_only_where_libyaml_refuses("\n".join(lines) + "\n")


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_edited_files_agree_with_libyaml(data):
    # what editors do to a file kpisite wrote: type a character, delete one, change indentation
    lines = data.draw(st.sampled_from(written_files())).split("\n")
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(lines) - 1))
        line = lines[at]
        op = data.draw(st.sampled_from(["insert", "delete", "indent", "dedent", "drop", "copy"]))
        pos = data.draw(st.integers(0, len(line)))
        if op == "insert":
            char = data.draw(st.sampled_from(list(":-[]{}&*!|>'\"#%@` \t0ก.,?~") + ["\r", "\\"]))
            lines[at] = line[:pos] + char + line[pos:]
        elif op == "delete":
            lines[at] = line[:pos] + line[pos + 1:]
        elif op == "indent":
            lines[at] = " " + line
        elif op == "dedent":
            lines[at] = line[1:] if line.startswith(" ") else line
        elif op == "drop":
            del lines[at]
        else:
            lines.insert(at, line)
    differs_only_where_libyaml_refuses("\n".join(lines))


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="aaaก-: #|\"'[]{},?0&!%@`>\\\t\n\r\u3000\xa0", max_size=8))
@examples("a #", "a: b", "- a", "a:", "a\nb", "? a")
def test_plain_text_reads_as_itself(text):
    # what `plain` lets through unquoted, libyaml reads back as the same plain scalar
    if quickyaml.plain(text) and not quickyaml.UNSAFE.search(text):
        node = yaml.compose(f"k: {text}\n").value[0][1]
        assert (node.value, node.style) == (text, None), text


@settings(max_examples=1500, deadline=None)
@given(st.text(max_size=12) | st.text(alphabet="-+.,:#[]{}'\" 0ก~\x85\x9f\u2028\ufeff", max_size=6))
@examples("-1", "+1", ".5", "0700", "true", "null",
          "a, b", "a]b", "a\u2028b", "a\x85b", "\x80")
def test_scaffold_writes_any_text_so_it_reads_back_the_same(text):
    # a name, a list item and a tag (inside [a, b]) from the old system come back as they were
    fields = {"fiscal_year": 2568, "agency": "0700", "code": "0700-0001", "name": text,
              "evidence": [text], "tags": [text, text]}
    written = indicator_text(fields)
    read = parse_with_libyaml(written)
    assert (read["name"], read["evidence"], read["tags"]) == (text, [text], [text, text]), written
    assert quick(written) in (None, read)


def test_scaffold_writes_unquoted_only_what_reads_as_itself():
    # scaffold decides quoting with the reader's own idea of a plain scalar
    assert scaffold.scalar("สำนักงานเขต: บางรัก") == '"สำนักงานเขต: บางรัก"'
    assert scaffold.scalar("ร้อยละ") == "ร้อยละ"
    assert quickyaml.plain("ร้อยละ") and not quickyaml.plain("a: b")




_STARTS = st.sampled_from(["", "  ", "a: ", "b: ", "  c: ", "    d: ", "- ", "  - ", "  - e: ", "f:"])
_TEXT = st.text(alphabet="a-: #|\"'[],0ก&!\\", max_size=6)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(["a: ", "a:\n  - ", "a:\n- ", "a: |\n  "]), st.text(alphabet="a0-: #|\"'[],", max_size=5))
def test_random_values_agree_with_libyaml(start, value):
    differs_only_where_libyaml_refuses(start + value + "\n")


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.tuples(_STARTS, _TEXT).map("".join), min_size=1, max_size=4))
def test_random_lines_agree_with_libyaml(lines):
    differs_only_where_libyaml_refuses("\n".join(lines) + "\n")
