"""Invalid content: each case under tests/invalid/ must give exactly the messages in its
expected.txt (first line: the exit status). A case holds only the files that differ from
tests/invalid/_base/, a small valid site. Regenerate after an intended change of wording with
`KPISITE_BLESS=1 pytest tests/test_invalid_content.py`, then read the diff.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import fastjsonschema
import jsonschema
import pytest
import yaml

from kpisite import cli
from kpisite.theme import Theme

CASES = Path(__file__).parent / "invalid"


def run_check(content: Path, *extra: str, capsys) -> tuple[int, str]:
    status = cli.main(["check", "--content", str(content), *extra])
    return status, capsys.readouterr().err


def make_case(case: Path, tmp_path: Path) -> Path:
    """_base, with the case's own files (and symlinks, kept as links) in place of its."""
    content = tmp_path / "content"
    shutil.copytree(CASES / "_base", content)
    for path in sorted(case.rglob("*")):
        rel = path.relative_to(case)
        target = content / rel
        if rel.name == "expected.txt" or (path.is_dir() and not path.is_symlink()):
            continue
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            target.symlink_to(os.readlink(path))
        else:
            shutil.copy(path, target)
    return content


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir()
                                        if p.is_dir() and not p.name.startswith("_")))
def test_case_gives_expected_messages(case, tmp_path, capsys):
    content = make_case(CASES / case, tmp_path)
    status, err = run_check(content, capsys=capsys)
    got = f"exit: {status}\n{err}"
    expected_file = CASES / case / "expected.txt"
    if os.environ.get("KPISITE_BLESS"):  # writes the expectation; never counts as a pass
        expected_file.write_text(got, encoding="utf-8")
        pytest.fail(f"wrote {expected_file}: read its diff, then run again without KPISITE_BLESS")
    assert got == expected_file.read_text(encoding="utf-8")


def test_base_is_valid(tmp_path, capsys):
    status, err = run_check(make_case(CASES / "_base", tmp_path), capsys=capsys)
    assert status == 0 and err == ""


def test_quick_schema_check_refuses_what_the_full_check_refuses():
    # The quick check is the gate: a file it passes is never checked again. It is compiled
    # with the schema's $refs put in place, so values behind a $ref must still be refused,
    # however deep (a strategy node's children are nodes).
    indicator = yaml.safe_load((CASES / "_base/indicators/valid.yaml").read_text("utf-8"))
    bad_indicators = [{"target": "ร้อยละ 80"}, {"achieved": 10**16}, {"summary": 5},
                      {"assessment": {"quarter": 2, "score": "ดี"}},
                      {"quarters": [{"quarter": 1, "result": "x"}]},
                      {"quarters": [{"quarter": 1, "report": ["a"]}]}]
    child = {"number": "1.1", "children": [{"number": "1.1.1", "name": 5}]}
    cases = [("indicator", indicator | bad) for bad in bad_indicators]
    cases.append(("strategy", {"nodes": [{"number": "1", "children": [child]}]}))
    schemas = Theme().schemas
    for kind, data in cases:
        assert list(jsonschema.Draft7Validator(schemas.schema(kind)).iter_errors(data)), data
        with pytest.raises(fastjsonschema.JsonSchemaException):
            schemas.quick_check(kind)(data)
    schemas.quick_check("indicator")(indicator)  # and the valid file passes
