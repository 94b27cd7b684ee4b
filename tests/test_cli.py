"""The command line: exit statuses, output formats, --strict, and `new`."""
from __future__ import annotations

import re

import pytest

from kpisite import cli, gather


def test_check_writes_nothing_and_exits_zero_with_warnings(project, capsys):
    before = sorted(p for p in project.content.parent.rglob("*"))
    assert cli.main(["check", "--content", str(project.content)]) == 0
    assert sorted(p for p in project.content.parent.rglob("*")) == before
    err = capsys.readouterr().err
    assert re.search(r"^content/indicators/2564/1100-0833\.yaml:\d+: คำเตือน \(warning\): quarters\[4\]\.pair: ",
                     err, re.M)


def test_strict_turns_warnings_into_errors(project, capsys):
    assert cli.main(["check", "--strict", "--content", str(project.content)]) == 1
    assert cli.main(["build", "--strict", "--content", str(project.content)]) == 1
    assert not (project.content.parent / "site").exists()


def test_github_annotations(project, capsys):
    path = project.content / "indicators/2564/5042-2007.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("type: strategic", "type: stratgic"),
                    encoding="utf-8")
    assert cli.main(["check", "--format", "github", "--content", str(project.content)]) == 1
    err = capsys.readouterr().err
    line = [ln for ln in err.splitlines() if ln.startswith("::error")][0]
    at = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if text.startswith("type: stratgic"))
    assert line.startswith(f"::error file=content/indicators/2564/5042-2007.yaml,line={at},"
                           "title=type::")
    assert "::warning file=content/indicators/2564/1100-0833.yaml,line=" in err


def test_usage_errors_exit_two(tmp_path):
    with pytest.raises(SystemExit) as exc:
        cli.main(["build", "--format", "xml"])
    assert exc.value.code == 2
    assert cli.main(["check", "--content", str(tmp_path / "nowhere")]) == 2


def test_new_creates_a_valid_file_with_every_section(project, capsys):
    assert cli.main(["new", "--content", str(project.content), "--agency", "5042",
                     "--year", "2568", "--code", "5042-0100", "--name", "ตัวชี้วัดใหม่"]) == 0
    path = project.content / "indicators/2568/5042-0100.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../../schema/indicator.schema.json")
    for key in ("target:", "achieved:", "assessment:", "quarters:", "summary:", "definition:",
                "calculation:", "rubric:", "data_collection:", "evidence:", "strategy:", "projects:"):
        assert f"\n{key}" in text
    assert text.count("  - quarter:") == 4
    problems = gather.check(project).problems
    assert not [p for p in problems if p.path.endswith("5042-0100.yaml") and p.severity == "error"]
    assert cli.main(["new", "--content", str(project.content), "--agency", "5042",
                     "--year", "2568", "--code", "5042-0100"]) == 2  # never overwrites


def test_new_refuses_codes_and_years_that_leave_content(project, tmp_path, capsys):
    for code, year in (("../../../escaped", "2568"), ("5042-0001", "../x"), ("a/b", "2568")):
        assert cli.main(["new", "--content", str(project.content), "--agency", "5042",
                         "--year", year, "--code", code]) == 2
    assert not list(tmp_path.rglob("escaped*")) and not list(tmp_path.rglob("b.yaml"))


def test_output_folder_inside_content_or_the_theme_is_refused(project, capsys):
    from kpisite import THEME

    assert cli.main(["build", "--content", str(project.content), "--out",
                     str(project.content / "site")]) == 2
    assert cli.main(["build", "--content", str(project.content), "--out",
                     str(THEME / "static" / "site")]) == 2
    assert not (project.content / "site").exists() and not (THEME / "static/site").exists()
