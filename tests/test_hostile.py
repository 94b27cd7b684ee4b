"""Hostile pull requests and odd input: nothing leaks, nothing hangs, no traceback.

Each case runs the command as a user (or CI) would and asserts its exit status, that its
message names what is wrong, and that nothing outside the output folder was written. The
cases of content with their exact messages are in tests/invalid/.
"""
from __future__ import annotations

import csv
import errno
import io
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import REPO
from kpisite import cli, gather, publish
from test_safety import REF_FILE, big_site_about_to_change, edit, tree

BUILD = [sys.executable, str(REPO / "build.py")]


def run(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*BUILD, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder beside the project: nothing may appear in it."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/a-file").write_text("x")
    return tmp_path / "outside"


def test_commands_used_wrongly_say_so_with_status_2(project, tmp_path, outside):
    content = str(project.content)
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "bad.json").write_text("{not json")
    (facts / "object.json").write_text('{"code": "x"}')
    (facts / "latin1.json").write_bytes('[{"code": "caf\xe9"}]'.encode("latin-1"))
    (facts / "no-code.json").write_text('[{"name": "x"}]')
    cases = [
        (["build", "--content", content, "--out", str(outside / "a-file/site")], "a-file"),
        (["bundle", "--content", content, "--output", str(outside / "none/site.zip")], "none"),
        (["serve", "--content", content, "--port", "99999"], "99999"),
        (["import", str(facts / "missing.json"), "--content", str(tmp_path / "new")], "missing"),
        (["import", str(facts / "bad.json"), "--content", str(tmp_path / "new")], "bad.json"),
        (["import", str(facts / "object.json"), "--content", str(tmp_path / "new")], "object"),
        (["import", str(facts / "latin1.json"), "--content", str(tmp_path / "new")], "latin1"),
        (["import", str(facts / "no-code.json"), "--content", str(tmp_path / "new")], "site.yaml"),
        (["import", str(facts / "bad.json"), "--content", str(outside / "a-file")], "bad.json"),
        (["diff", "--content", str(REPO / "content"), "--", f"--output={outside}/written",
          "HEAD"], "revision"),
        (["diff", "--content", content, "HEAD~1"], "git"),
        (["check", "--content", str(outside / "no-such-folder")], "no-such-folder"),
    ]
    for args, named in cases:
        done = run(*args, timeout=60)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr and named in done.stderr, (args, done.stderr)
    assert sorted(p.name for p in outside.iterdir()) == ["a-file"]  # nothing written there


def test_the_systems_faults_are_said_and_leave_the_site_whole(project, tmp_path, monkeypatch,
                                                               capsys):
    out = tmp_path / "site"
    publish.build(project, out)
    before = tree(out)
    edit(project, REF_FILE, "result: 2.00", "result: 2.50")
    real_write, writes = os.write, {"n": 0}

    def disk_fills_up(fd, data):
        writes["n"] += 1
        if writes["n"] > 20:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr("kpisite.write.os.write", disk_fills_up)
    assert cli.main(["build", "--content", str(project.content), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert tree(out) == before
    assert not [p for p in (out / ".kpisite").iterdir() if p.name not in ("lock", "output.json",
                                                                          "cache.pickle")]
    monkeypatch.undo()

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
    monkeypatch.setattr(Path, "mkdir", read_only)
    assert cli.main(["build", "--content", str(project.content), "--out",
                     str(tmp_path / "elsewhere")]) == 2
    err = capsys.readouterr().err
    assert "Read-only file system" in err and "elsewhere" in err and "Traceback" not in err


def test_ctrl_c_during_a_build_is_a_message_and_leaves_nothing_behind(tmp_path):
    content, out = big_site_about_to_change(tmp_path, "ชื่อใหม่")
    before = tree(out)
    proc = subprocess.Popen([*BUILD, "build", "--content", str(content), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:  # stopped while the pages are being staged
        staged = list((out / ".kpisite").glob("stage-*/indicators"))
        if staged and sum(1 for _ in staged[0].rglob("*.html")) > 50:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Ctrl+C" in err and "Traceback" not in err
    assert tree(out) == before
    assert sorted(p.name for p in (out / ".kpisite").iterdir()) == ["cache.pickle", "lock",
                                                                   "output.json"]


def test_content_cannot_write_a_command_into_ci_output(tmp_path):
    from test_invalid_content import CASES, make_case

    content = make_case(CASES / "text-that-steers-ci", tmp_path)
    for form in ("plain", "github"):
        done = run("check", "--content", str(content), "--format", form)
        assert done.returncode == 1
        for line in done.stderr.splitlines():
            assert not line.startswith("::error file=README.md"), line
            assert not line.startswith("::") or line.startswith("::error file=content/"), line


def test_the_feed_stays_well_formed_whatever_a_commit_message_holds(project, tmp_path):
    root = project.content.parent
    git = lambda *a: subprocess.run(["git", "-C", str(root), "-c", "user.name=a\x01b",  # noqa
                                     "-c", "user.email=t@t", *a], check=True, capture_output=True)
    git("init", "-q")
    git("add", "content")
    git("commit", "-qm", "first")
    edit(project, REF_FILE, "result: 2.00", "result: 2.50")
    git("commit", "-qam", "bell \x07, escape \x1b[31m and a form feed \x0c in a subject")
    out = tmp_path / "site"
    publish.build(project, out)
    feed = ElementTree.parse(out / "feed.xml")  # raises if it is not well-formed
    text = ElementTree.tostring(feed.getroot(), encoding="unicode")
    assert "ผลงานไตรมาสที่ 1: 2.00 → 2.50" in text
    assert "bell" not in text and "a\x01b" not in text  # commit messages and authors: not shown
    for page in out.rglob("*.html"):
        assert "\x07" not in page.read_text(encoding="utf-8")


def test_no_cell_a_spreadsheet_would_run(project, tmp_path):
    from kpisite.opendata import _cell

    for formula in (" =1+1", "\t+1", "@SUM(A1)", "-1+1", "\r\n=cmd"):
        assert _cell(formula).startswith("'"), formula
    for text in ("-", "ก=1", "  -  ", "1-2"):
        assert _cell(text) == text, text
    edit(project, REF_FILE, "name: ระดับความสำเร็จของการสร้างเครือข่ายประชาสังคมเขตเพื่อร่วม"
         "ผลักดันการพัฒนาพื้นที่", 'name: "\\t=HYPERLINK(1)ระดับความสำเร็จ"')
    publish.build(project, tmp_path / "site")
    data = (tmp_path / "site/data/indicators.csv").read_text(encoding="utf-8-sig")
    row = next(r for r in csv.DictReader(io.StringIO(data)) if r["code"] == "5042-2007")
    assert row["name"].startswith("'=HYPERLINK(1)")  # the model strips the tab; the rest stays


def test_files_of_content_static_are_published_as_they_are(project, tmp_path):
    static = project.content / "static"
    (static / ".well-known").mkdir(parents=True)
    (static / "CNAME").write_text("kpi.example.org\n")
    (static / ".nojekyll").write_text("")
    (static / ".well-known/security.txt").write_text("Contact: mailto:kpi@example.org\n")
    out = tmp_path / "site"
    for _ in range(2):  # and the next build keeps them
        publish.build(project, out)
        assert (out / "CNAME").read_text() == "kpi.example.org\n"
        assert (out / ".nojekyll").is_file() and (out / ".well-known/security.txt").is_file()
    done = run("bundle", "--content", str(project.content), "--out", str(out), "--output",
               str(tmp_path / "site.zip"))
    assert done.returncode == 0
    import zipfile

    assert "kpi-site/CNAME" in zipfile.ZipFile(tmp_path / "site.zip").namelist()


def test_markdown_at_its_limits_is_still_quick(project, tmp_path):
    edit(project, REF_FILE, "definition: |\n", "definition: |\n  " + (
        "[" * 20 + "ลิงก์" + "]" * 20 + " ") * 200 + "(x" * 19 + "\n")
    edit(project, REF_FILE, "summary:\n", "summary: |\n  " + "<a> " * 300 + "\n")
    start = time.time()
    publish.build(project, tmp_path / "site")
    assert time.time() - start < 20


# -- random documents and Markdown: exit 0 or 1, never a traceback, the site whole -----------

_text = st.text(alphabet=st.sampled_from(list("[]()<>*_`#!|-+=:&;\\/\"' \nกขคabc123.{}%")),
                max_size=300)
_value = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), _text,
                                st.sampled_from([".nan", "-.inf", "0700", "2564", "5.2"])),
                      lambda inner: st.one_of(st.lists(inner, max_size=4),
                                              st.dictionaries(_text, inner, max_size=4)),
                      max_leaves=20)
_document = st.fixed_dictionaries(
    {"code": st.just("5042-9000"), "name": _text, "type": st.sampled_from(["strategic", "x"])},
    optional={"definition": _text, "summary": _text, "target": _value, "quarters": _value,
              "rubric": _value, "fiscal_year": _value, "strategy": _value, "agency": _value,
              "notes": _text})


@pytest.fixture(scope="module")
def fuzz_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(REPO / "content", root / "content")
    out = root / "site"
    publish.build(gather.Project(root / "content"), out)
    return root, out, tree(out)


@settings(max_examples=int(os.environ.get("KPISITE_FUZZ", 60)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(document=_document, extra=st.dictionaries(_text, _value, max_size=2), raw=st.booleans())
def test_random_documents_never_crash_a_build(fuzz_site, capsys, document, extra, raw):
    import yaml

    document = {**extra, **document}
    root, out, before = fuzz_site
    path = root / "content/indicators/2564/fuzz.yaml"
    text = yaml.safe_dump(document, allow_unicode=True) if not raw else \
        "\n".join(f"{k}: {v}" for k, v in document.items() if isinstance(k, str))
    path.write_text(text, encoding="utf-8")
    start = time.time()
    try:
        status = cli.main(["build", "--content", str(root / "content"), "--out", str(out)])
    finally:
        path.unlink()
    err = capsys.readouterr().err
    assert time.time() - start < 30
    assert status in (0, 1) and "Traceback" not in err and "internal error" not in err, err
    if status == 1:
        assert tree(out) == before  # a refused build changes nothing
    else:  # the next example starts from the site as it was
        publish.build(gather.Project(root / "content"), out)
        assert tree(out) == before
