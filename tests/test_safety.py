"""Nothing lost, nothing unsafe published: hostile input, drafts, failed and killed builds,
the output folder's guard, reproducible output, and random input that must never crash."""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import REPO, soup, unmarked
from kpisite import cli, opendata, gather, publish, render, search, synthetic
from kpisite.diagnostics import ContentError
from kpisite.load import read_source
from kpisite.theme import Theme
from kpisite.validate import check_indicator

REF_FILE = "indicators/2564/5042-2007.yaml"


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` (but kpisite's own state) and the hash of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".kpisite" not in p.parts}


def edit(project: gather.Project, rel: str, old: str, new: str) -> None:
    path = project.content / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_hostile_markdown_never_reaches_html_as_markup(project, tmp_path):
    hostile = ("definition: |\n  <script>alert('x')</script>\n  <img src=x onerror=alert(1)>\n"
               "  [คลิก](javascript:alert(1)) <a href=\"javascript:alert(2)\" onclick=\"x()\">a</a>\n"
               "  {{ site.title }} {% raw %}\n")
    edit(project, REF_FILE, "definition: |\n", hostile + "notes: |\n")
    edit(project, REF_FILE, "\nnotes:\n", "\n")
    out = tmp_path / "site"
    publish.build(project, out)
    page = soup(out / "indicators/2564/5042-2007.html")
    data = page.find_all("script", type="application/ld+json")  # the page's Dataset: data only
    assert len(data) == 1 and json.loads(data[0].string)["@type"] == "Dataset"
    assert [s for s in page.find_all("script") if s not in data] == []
    assert page.find("img") is None
    for el in page.find_all(True):
        assert not any(attr.startswith("on") for attr in el.attrs), el
        assert "javascript:" not in el.get("href", "")
    text = page.get_text()
    assert "{{ site.title }}" in text and "{% raw %}" in text  # shown, never evaluated


def test_draft_appears_nowhere(project, tmp_path):
    edit(project, "indicators/2564/5042-2008.yaml", "published: true", "published: false")
    out = tmp_path / "site"
    publish.build(project, out)
    assert not list(out.rglob("5042-2008*"))
    for path in out.rglob("*"):
        if path.is_file() and ".kpisite" not in path.parts and path.suffix in (".html", ".js", ".csv", ".json", ".xml"):
            assert "5042-2008" not in path.read_text(encoding="utf-8"), path
    assert "ร้อยละของแหล่งกำเนิดได้รับการควบคุมฝุ่นละออง" not in (out / "agencies/5042.html").read_text()


def test_failed_build_keeps_previous_site(project, tmp_path):
    out = tmp_path / "site"
    publish.build(project, out)
    before = tree(out)
    edit(project, REF_FILE, 'agency: "5042"', 'agency: "5042')
    with pytest.raises(ContentError):
        publish.build(project, out)
    assert tree(out) == before


def test_refused_build_never_writes_through_reused_pages(project, tmp_path):
    """Reused pages are hard links to the live site; a clashing file must not write into them."""
    out = tmp_path / "site"
    publish.build(project, out)
    before = tree(out)
    edit(project, "indicators/2564/5042-2008.yaml", "code: 5042-2008", "code: 5042-2007")
    with pytest.raises(ContentError):
        publish.build(project, out)
    assert tree(out) == before


def test_build_failing_while_rendering_keeps_previous_site(project, tmp_path, monkeypatch):
    out = tmp_path / "site"
    publish.build(project, out)
    before = tree(out)
    calls = {"n": 0}

    def failing(original):
        def rendering(self, page):
            calls["n"] += 1
            if calls["n"] > 5:
                raise RuntimeError("disk full, say")
            return original(self, page)
        return rendering

    for way in ("render", "streamed"):  # a page whole, and a list page in pieces
        monkeypatch.setattr(render.Renderer, way, failing(getattr(render.Renderer, way)))
    with pytest.raises(RuntimeError):
        publish.build(project, out)
    assert tree(out) == before
    assert not list((out / ".kpisite").glob("stage-*"))


def big_site_about_to_change(tmp_path, title: str) -> tuple[Path, Path]:
    """A synthetic site of 1,500 indicators built once, then its title edited: a build of it
    takes long enough to be stopped midway. Returns (content, out)."""
    content = tmp_path / "content"
    synthetic.write_corpus(content, 1500)
    out = tmp_path / "site"
    publish.build(gather.Project(content), out)
    (content / "site.yaml").write_text(f"title: {title}\n", encoding="utf-8")
    return content, out


def test_killed_build_keeps_previous_site(tmp_path):
    content, out = big_site_about_to_change(tmp_path, "ชื่อใหม่ที่ยังไม่ควรเห็น")
    before = tree(out)
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "build", "--content",
                             str(content), "--out", str(out)], stderr=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until pages are being written into the staging folder
        staged = list((out / ".kpisite").glob("stage-*/indicators"))
        if staged and sum(1 for _ in staged[0].rglob("*.html")) > 50:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert tree(out) == before
    publish.build(gather.Project(content), out)  # the next build recovers
    assert "ชื่อใหม่ที่ยังไม่ควรเห็น" in (out / "index.html").read_text(encoding="utf-8")
    assert not list((out / ".kpisite").glob("stage-*"))


def test_a_swap_cut_short_is_completed(project, tmp_path, monkeypatch):
    """A commit stopped between moving a live entry aside and the new one in is finished,
    not undone: the journal says what was being published."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")
    out = tmp_path / "site"
    publish.build(project, out)
    real_rename, calls = Path.rename, {"n": 0}

    def dying_rename(self, target):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError("the disk went away")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", dying_rename)
    edit(project, REF_FILE, "result: 2.00", "result: 2.50")
    with pytest.raises(OSError):
        publish.build(project, out)
    monkeypatch.setattr(Path, "rename", real_rename)
    assert tree(out) == tree_of_full_build(project, tmp_path / "full")
    assert not list((out / ".kpisite").glob("*-*")) and not (out / ".kpisite/commit.json").exists()


def test_a_commit_killed_halfway_is_finished_by_the_next_build(project, tmp_path, monkeypatch):
    """What SIGKILL leaves in the middle of a swap (the journal, an entry moved aside, its new
    version still staged) is finished by the next build, whatever that build then does."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")
    out = tmp_path / "site"
    publish.build(project, out)
    edit(project, REF_FILE, "result: 2.00", "result: 2.50")
    staged = tmp_path / "staged"
    publish.build(project, staged)
    state = out / ".kpisite"
    shutil.copytree(staged, state / "stage-1-k", ignore=shutil.ignore_patterns(".kpisite"))
    (state / "old-1-k").mkdir()
    (out / "indicators").rename(state / "old-1-k/indicators")  # moved aside, then killed
    (state / "commit.json").write_text(json.dumps(
        {"stage": "stage-1-k", "old": "old-1-k", "cache": None, "cache_name": "cache.pickle",
         "entries": sorted(p.name for p in (state / "stage-1-k").iterdir())}))
    edit(project, REF_FILE, "result: 2.50", "result: [")  # the next build is refused...
    with pytest.raises(ContentError):
        publish.build(project, out)
    assert tree(out) == tree(staged)  # ...and still finished the commit first
    assert not (state / "commit.json").exists()


def tree_of_full_build(project, out: Path) -> dict[str, str]:
    publish.build(project, out)
    return tree(out)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_a_build_stopped_while_deleting_the_old_site_leaves_the_new_one(tmp_path, how):
    """Stopped after the swap, while the old entries are deleted: the next builds publish what
    the files say (every page shows the new title), not the old site's pages."""
    content, out = big_site_about_to_change(tmp_path, "ชื่อใหม่ของเว็บไซต์")
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "build", "--content",
                             str(content), "--out", str(out)], stderr=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL)
    state, deadline = out / ".kpisite", time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if list(state.glob("old-*")) and not (state / "commit.json").exists():
            proc.send_signal(how)  # the swap is done; the old entries are being deleted
            break
        time.sleep(0.001)
    assert proc.wait() != 0  # it was stopped, not finished
    for _ in range(2):
        assert subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--content",
                               str(content), "--out", str(out)], capture_output=True).returncode == 0
        pages = [p for p in out.rglob("*.html") if ".kpisite" not in p.parts]
        stale = [p for p in pages if "ชื่อใหม่ของเว็บไซต์" not in p.read_text(encoding="utf-8")]
        assert len(pages) > 3000 and not stale, stale[:3]


def test_two_builds_at_once_into_one_folder(tmp_path):
    shutil.copytree(REPO / "content", tmp_path / "content")
    run = lambda: subprocess.Popen([sys.executable, str(REPO / "build.py"), "--content",  # noqa
                                    str(tmp_path / "content"), "--out", str(tmp_path / "site")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first, second = run(), run()
    assert first.wait(60) == 0 and second.wait(60) == 0
    publish.build(gather.Project(tmp_path / "content"), tmp_path / "alone")
    assert tree(tmp_path / "site") == tree(tmp_path / "alone")


def test_a_failing_build_never_removes_a_site_another_build_made(tmp_path, monkeypatch):
    """A build with an error that started before a good one made the folder, and waited for
    the lock while it published: the good site stays (whether a site is there is decided
    under the lock)."""
    good, bad = tmp_path / "good", tmp_path / "bad"
    shutil.copytree(REPO / "content", good)
    shutil.copytree(REPO / "content", bad)
    ref = bad / "indicators/2564/5042-2007.yaml"
    ref.write_text(ref.read_text(encoding="utf-8").replace("achieved: 5", "achieved: [5"),
                   encoding="utf-8")
    out, real_locked = tmp_path / "site", publish.locked

    def the_other_build_first(folder):
        monkeypatch.setattr(publish, "locked", real_locked)
        publish.build(gather.Project(good), out)  # it publishes while this one waits
        return real_locked(folder)

    monkeypatch.setattr(publish, "locked", the_other_build_first)
    assert not out.exists()
    with pytest.raises(ContentError):
        publish.build(gather.Project(bad), out)
    assert (out / "indicators/2564/5042-2007.html").is_file()


def test_output_folder_guard(project, tmp_path, capsys):
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("precious")
    status = cli.main(["build", "--content", str(project.content), "--out", str(foreign)])
    assert status == 2 and "ไม่ได้สร้างโดย kpisite" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["thesis.docx"]
    assert cli.main(["build", "--content", str(project.content), "--out", str(tmp_path)]) == 2
    assert cli.main(["build", "--content", str(tmp_path / "missing")]) == 2


def test_nothing_outside_the_output_folder_is_written(project, tmp_path):
    out = tmp_path / "site"
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    publish.build(project, out)
    publish.build(project, out)  # a second build replaces the first
    after = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if not p.is_relative_to(out)}
    assert after == {p: t for p, t in before.items()}


def test_two_builds_are_byte_identical(project, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")  # 2026-11-23 00:00 UTC, 07:00 in Bangkok
    publish.build(project, tmp_path / "a")
    publish.build(project, tmp_path / "b")
    assert tree(tmp_path / "a") == tree(tmp_path / "b")
    assert "23 พฤศจิกายน 2569" in unmarked((tmp_path / "a/index.html").read_text(encoding="utf-8"))


def test_a_build_reusing_its_cache_equals_a_clean_build(project, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")
    out = tmp_path / "site"
    publish.build(project, out)
    edit(project, REF_FILE, "result: 2.00", "result: 2.25")
    (project.indicators / "2563/0700-0787.yaml").unlink()
    publish.build(project, out)  # most pages reused from the cache
    publish.build(project, tmp_path / "clean")
    assert tree(out) == tree(tmp_path / "clean")


def test_symlink_out_of_content_and_huge_file_are_refused(project, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("code: x\n")
    (project.indicators / "link.yaml").symlink_to(secret)
    (project.indicators / "huge.yaml").write_text("name: " + "ก" * 400_000 + "\n")
    (project.indicators / "2564/loop").symlink_to(project.indicators)
    problems = gather.check(project).problems
    messages = {p.path.rsplit("/", 1)[-1]: p.message for p in problems if p.severity == "error"}
    assert "symlink" in messages["link.yaml"]
    assert "file is larger" in messages["huge.yaml"]
    assert "loops" in messages["loop"]


# -- random and mutated input: a message, never a traceback ---------------------------------

REF_TEXT = (REPO / "content" / REF_FILE).read_text(encoding="utf-8")
THEME = Theme()
SITE = gather.load_site(gather.Project(REPO / "content"), THEME)[0]

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                     st.text(max_size=20), st.sampled_from(["no", "2564-10-01", "0700", "~", "5.2"]))
_scalars = st.one_of(_scalars, st.sampled_from([Decimal("9.0E+999999"), Decimal("-9.0E+999999"),
                                                  Decimal("1E-999999"), 10**40, -(10**40)]))
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
_keys = st.sampled_from(["code", "name", "type", "fiscal_year", "agency", "quarters", "rubric",
                         "strategy", "target", "achieved", "assessment", "pair", "published"])


RENDERER = render.Renderer(SITE, THEME.words("th"))
EXPORTING = opendata.Exporting(SITE, THEME.words("th"))


def _load(tmp_path: Path, data: bytes) -> None:
    """Read, check, and when the file passes, render its pages and its exports too."""
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    source, problems = read_source(path, tmp_path)
    if source is not None:
        ind, problems = check_indicator(source, SITE, THEME.schemas)
        if ind is not None and not [p for p in problems if p.severity == "error"]:
            RENDERER.indicator_pages(ind)
            search.exports(ind), opendata.exports(ind, EXPORTING)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_reference_file_never_crashes(tmp_path, data):
    raw = bytearray(REF_TEXT.encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(raw)))
        op = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        byte = data.draw(st.sampled_from(list(b":-[]{}&*!|>'\"#%@` \n\t0123456789") + [0xE0, 0xB8, 0xFF]))
        if op == "insert":
            raw.insert(pos, byte)
        elif raw and pos < len(raw):
            if op == "delete":
                del raw[pos]
            else:
                raw[pos] = byte
    _load(tmp_path, bytes(raw))


_valid = st.fixed_dictionaries({"code": st.just("5042-9000"), "name": st.just("ทดสอบ"),
                                "type": st.just("strategic"), "unit": st.sampled_from(["ร้อยละ", "นาที", ""])},
                               optional={"target": _scalars, "achieved": _scalars,
                                         "quarters": st.lists(st.fixed_dictionaries(
                                             {"quarter": st.integers(1, 4)},
                                             optional={"result": _scalars, "score": _scalars,
                                                       "pair": st.lists(_scalars, min_size=2, max_size=2)}),
                                             max_size=4),
                                         "fiscal_year": st.sampled_from([2564, "2562-2563", None, "2564\n"])})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.dictionaries(st.one_of(_keys, st.text(max_size=6)), _values, max_size=8), _valid))
def test_random_structures_never_crash(tmp_path, doc):
    import yaml

    class Dumper(yaml.SafeDumper):  # writes Decimals as plain YAML numbers
        pass

    Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", str(v)))
    _load(tmp_path, yaml.dump(doc, Dumper=Dumper, allow_unicode=True).encode("utf-8"))
