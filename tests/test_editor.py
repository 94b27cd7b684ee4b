"""The editor form (admin/, Decap CMS): its configuration follows the field table; what it
saves is put back in kpisite's layout with every fact as it was; and in a real browser, with
the local backend of `serve --edit`, a quarterly update lands in the file, passes `check`,
shows in `diff` and on the rebuilt page."""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import CONTENT, REPO, soup, text_of
from kpisite import editor, fields, model, tidy
from kpisite.i18n import standard
from kpisite.load import parse_source
from kpisite.theme import Theme

REF = "content/indicators/2564/5042-2007.yaml"
SAVED_BY_DECAP = Path(__file__).parent / "editor" / "5042-2007.saved-by-decap.yaml"


def config(built_site) -> dict:
    return json.loads((built_site / "admin/config.yml").read_text(encoding="utf-8"))


def collection(cfg: dict, name: str) -> dict:
    return next(c for c in cfg["collections"] if c["name"] == name)


def test_the_form_has_every_editable_field_with_its_label_and_hint(built_site):
    words = Theme(site=REPO).words("th")
    form = {w["name"]: w for w in collection(config(built_site), "indicators")["fields"]}
    editable = [f for f in fields.FIELDS if f.name not in editor.HIDDEN]
    assert list(form) == [f.name for f in editable]
    for f in editable:
        label = words(f.label) if not f.translation_of else words(
            "%(field)s, in English", field=words(f.label))
        assert form[f.name]["label"] == label
        assert form[f.name]["required"] == f.required
        assert form[f.name].get("hint", "") == (words(f.hint) if f.hint else "")
        for part in f.parts:  # quarters, the rubric's levels, the assessment
            row = {w["name"]: w for w in form[f.name]["fields"]}
            assert row[part.name]["label"].startswith(words(part.label)), part.name
    assert form["name"]["label"] == "ชื่อตัวชี้วัด"


def test_the_form_checks_what_it_can_as_the_editor_types(built_site):
    site_dir = config(built_site)
    form = {w["name"]: w for w in collection(site_dir, "indicators")["fields"]}
    quarters = {w["name"]: w for w in form["quarters"]["fields"]}
    assert form["quarters"]["max"] == 4
    assert [row["quarter"] for row in form["quarters"]["default"]] == [1, 2, 3, 4]
    assert quarters["quarter"]["pattern"][0] == "^(1|2|3|4)$"
    assert quarters["result"]["widget"] == "string"  # typed as text: 95.0000 keeps its digits
    assert quarters["result"]["pattern"][0] == editor.NUMBER_PATTERN
    assert quarters["report"]["widget"] == "markdown" and quarters["report"]["modes"] == ["raw"]
    rubric = {w["name"]: w for w in form["rubric"]["fields"]}
    assert [row["level"] for row in form["rubric"]["default"]] == [5, 4, 3, 2, 1]
    assert rubric["level"]["required"] is True
    assert form["code"]["pattern"][0] == fields.BY_NAME["code"].schema["pattern"]
    # the agency and the strategy node come from lists of the real ones
    agencies = [o["value"] for o in form["agency"]["options"]]
    assert "0700" in agencies and "5042" in agencies
    assert next(o for o in form["agency"]["options"] if o["value"] == "5042")["label"] == \
        "5042 สำนักงานเขตสายไหม"
    nodes = [o["value"] for o in form["strategy"]["options"]]
    assert "5.2.1.1" in nodes and form["strategy"]["multiple"] is True
    assert {o["value"] for o in form["type"]["options"]} == {"strategic", "routine", "goal"}


def test_agencies_and_the_strategy_tree_are_forms_from_their_schemas(built_site):
    files = {f["name"]: f for f in collection(config(built_site), "site")["files"]}
    assert files["agencies"]["file"] == "content/agencies.yaml"
    agency = {w["name"]: w for w in files["agencies"]["fields"][0]["fields"]}
    assert agency["code"]["required"] is True and agency["code"]["label"] == "รหัสหน่วยงาน"
    node = files["strategy"]["fields"][-1]
    depth = 0
    while node.get("fields"):  # nodes > children > children ...: deep enough for the BMA's
        node = next(w for w in node["fields"] if w["name"] == "children")
        depth += 1
    assert depth >= 4


def test_the_form_saves_through_the_site_s_git_host(project, tmp_path):
    (project.content / "site.yaml").write_text(
        (project.content / "site.yaml").read_text(encoding="utf-8").replace(
            "repository:\n", "repository: https://github.com/example-city/kpi\n"
            "editor:\n  base_url: https://oauth.example.org\n"), encoding="utf-8")
    from kpisite import publish

    publish.build(project, tmp_path / "site")
    cfg = json.loads((tmp_path / "site/admin/config.yml").read_text(encoding="utf-8"))
    assert cfg["backend"] == {"name": "github", "repo": "example-city/kpi", "branch": "main",
                              "base_url": "https://oauth.example.org"}
    assert cfg["publish_mode"] == "editorial_workflow"
    assert cfg["local_backend"] == {"url": "http://127.0.0.1:8081/api/v1"}


def test_the_editor_is_self_hosted_pinned_and_not_in_the_offline_zip(built_site, tmp_path):
    shipped = (built_site / "admin/decap-cms.js").read_bytes()
    assert shipped == (REPO / "editor/decap-cms.js").read_bytes()
    lock = json.loads((REPO / "editor/package-lock.json").read_text(encoding="utf-8"))
    version = lock["packages"]["node_modules/decap-cms"]["version"]
    assert json.loads((REPO / "editor/package.json").read_text())["dependencies"][
        "decap-cms"] == version  # pinned exactly
    assert f"decap-cms {version}".encode() in shipped or version.encode() in shipped
    assert (built_site / "admin/LICENSE").is_file()
    page = soup(built_site / "admin/index.html")
    assert [s["src"] for s in page.find_all("script")] == ["decap-cms.js"]  # no CDN
    from kpisite.bundle import write_zip

    write_zip(built_site, tmp_path / "site.zip")
    names = zipfile.ZipFile(tmp_path / "site.zip").namelist()
    assert not [n for n in names if "/admin/" in n]
    assert "kpi-site/index.html" in names


# -- what the form saves, put back in kpisite's layout ------------------------------------------

def formatted(raw: bytes, previous: str | None) -> str:
    text, problems = tidy.formatted(raw, REPO / REF, REF, previous,
                                    Theme(site=REPO).words("th"))
    assert not problems, problems
    return text


def test_a_file_saved_by_decap_reads_back_as_what_the_editor_meant():
    """The file Decap CMS 3.16.3 wrote after an editor changed quarter 3's result to 4.50 and
    its report (tests/editor/): its numbers lost their digits (2.00 as 2), 4.50 is a quoted
    text, long texts are folded, the layout's comments are gone."""
    bundled = (REPO / REF).read_text(encoding="utf-8")
    saved = SAVED_BY_DECAP.read_bytes()
    assert b"result: 2\n" in saved and b'result: "4.50"' in saved
    text = formatted(saved, bundled)
    expected = bundled.replace("    result: 5.00\n", "    result: 4.50\n").replace(
        "คณะกรรมการเครือข่ายชุมชนระดับเขตสายไหมกำลังดำเนินการจัดทำแผนพัฒนาชุมชนระดับเขต เพื่อวิเคราะห์ปัญหา "
        "ความต้องการ สิ่งที่ต้องการพัฒนาในภาพรวมระดับเขตสายไหม เพื่อบรรจุในเเผนตัวชี้วัดกรุงเทพมหานครในปี"
        "งบประมาณถัดไป", "ทดสอบรายงานไตรมาสที่ 3")
    assert expected != bundled
    assert text == expected  # nothing else changed: digits, codes, comments, Thai, provenance
    # without the previous version, the values are the same but 2.00 reads as 2
    alone = formatted(saved, None)
    assert "result: 2\n" in alone and 'agency: "5042"' in alone and "- 5.2.1.1" in alone


def test_decimals_read_with_fewer_digits_get_back_the_digits_they_had():
    rel = "content/indicators/2563/5001-0735.yaml"
    bundled = (REPO / rel).read_text(encoding="utf-8")
    shortened = bundled.replace("result: 71.20", "result: 71.2")
    assert shortened != bundled
    text, problems = tidy.formatted(shortened.encode(), REPO / rel, rel, bundled,
                                    Theme(site=REPO).words("th"))
    assert not problems and text == bundled


def test_formatting_keeps_empty_empty_codes_text_and_typed_digits():
    raw = SAVED_BY_DECAP.read_bytes().replace(b'result: "4.50"', b'result: "95.0000"').replace(
        b"    score: 95\n    pair:\n      - 0\n", b'    score: ""\n    pair:\n      - 0\n')
    data = parse_source(formatted(raw, None).encode(), REPO / REF, REF)[0].data
    q3, q4 = data["quarters"][2], data["quarters"][3]
    assert str(q3["result"]) == "95.0000"
    assert q4["result"] is None and q4["score"] is None  # empty, not 0
    assert data["agency"] == "5042" and data["strategy"] == ["5.2.1.1"]
    assert data["imported"]["from"] == "bma-indicator-5042-2007.txt"  # not in the form: kept


def test_format_command(project, capsys):
    from kpisite import cli

    shutil.copytree(REPO / "locale", project.root / "locale")  # the site's headings
    content = str(project.content)
    assert cli.main(["format", "--check", "--content", content]) == 0  # bundled: in the layout
    ref = project.content / "indicators/2564/5042-2007.yaml"
    ref.write_bytes(SAVED_BY_DECAP.read_bytes())
    assert cli.main(["format", "--check", "--content", content]) == 1
    assert "5042-2007.yaml" in capsys.readouterr().out
    assert ref.read_bytes() == SAVED_BY_DECAP.read_bytes()  # --check changes nothing
    assert cli.main(["format", "--content", content]) == 0
    assert cli.main(["check", "--content", content]) == 0
    once = ref.read_text(encoding="utf-8")
    assert cli.main(["format", "--content", content]) == 0
    assert ref.read_text(encoding="utf-8") == once  # formatting twice changes nothing
    bad = project.content / "indicators/2564/bad.yaml"
    bad.write_text("code: X\nunknown_field: 1\n", encoding="utf-8")
    assert cli.main(["format", "--content", content, str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "unknown_field" in err
    assert bad.read_text(encoding="utf-8") == "code: X\nunknown_field: 1\n"


def test_format_since_a_revision_restores_the_digits(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(CONTENT, root / "content")
    shutil.copytree(REPO / "locale", root / "locale")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "bundled")
    shutil.copy(SAVED_BY_DECAP, root / REF)
    run_kpisite(root, "format", "--since", "HEAD")
    changed = git(root, "diff", "--numstat").split()
    assert changed[:2] == ["2", "2"]  # two lines: quarter 3's result and report


# -- in the browser, with the local backend ----------------------------------------------------

def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
                          cwd=root, check=True, capture_output=True, text=True).stdout


def run_kpisite(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "kpisite", *args], cwd=root,
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert not check or done.returncode == 0, done.stderr
    return done


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> list[str]:
    """The local addresses listening on `port` (from the kernel's table)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if int(hex_port, 16) == port and state == "0A":  # LISTEN
                found.append(address)
    return found


@pytest.fixture(scope="module")
def editing(tmp_path_factory):
    """A site in a git repository, served by `serve --edit`: the preview and the form's local
    backend, until the module's tests are done."""
    root = tmp_path_factory.mktemp("editing") / "site"
    shutil.copytree(CONTENT, root / "content")
    shutil.copytree(REPO / "locale", root / "locale")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "bundled")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "kpisite", "serve", "--edit", "--port",
                               str(port)], cwd=root, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.time() + 300  # the first run installs decap-server with npm
        lines = []
        while time.time() < deadline:
            line = server.stdout.readline()
            lines.append(line)
            if "admin/" in line or server.poll() is not None:
                break
        assert server.poll() is None, "".join(lines)
        os.set_blocking(server.stdout.fileno(), False)
        yield root, f"http://127.0.0.1:{port}"
    finally:
        stopped = stop(server)
        backend_left = listening(editor.LOCAL_PORT)
        with contextlib.suppress(ProcessLookupError):  # whatever is left of its group: so
            os.killpg(server.pid, signal.SIGKILL)  # no server holds port 8081 for the next tests
        server.wait()
    assert stopped, "serve --edit did not stop on Ctrl+C within 20 s"
    assert not backend_left  # the local backend lives only while serve does


def stop(server: subprocess.Popen) -> bool:
    """Ctrl+C, as a user stops the preview: whether it stopped within 20 s."""
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=20)
        return True
    except subprocess.TimeoutExpired:
        return False


@pytest.fixture
def form(browser, editing):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.requests = []
    tab.on("request", lambda r: tab.requests.append(r.url))
    root, url = editing
    tab.goto(f"{url}/admin/")
    tab.get_by_role("button", name="เข้าสู่ระบบ").click()  # the local backend: no account
    tab.get_by_text("ตัวชี้วัด").first.wait_for()
    yield tab
    assert all(u.startswith(("http://127.0.0.1", "data:", "blob:")) for u in tab.requests), \
        [u for u in tab.requests if not u.startswith("http://127.0.0.1")]
    context.close()


def open_entry(tab, url: str, rel: str):
    """The form of one indicator file (rel: under content/indicators/, without .yaml)."""
    tab.goto("about:blank")  # the form keeps the entry before on screen when the address
    tab.goto(f"{url}/admin/#/collections/indicators/entries/{rel}")  # changes only after #
    code = tab.locator('[id^="code-field-"]')
    code.wait_for()
    assert code.input_value() == rel.rsplit("/", 1)[1]


def publish_now(tab):
    tab.get_by_role("button", name="เผยแพร่").first.click()
    tab.get_by_role("menuitem", name="เผยแพร่ตอนนี้").click()


def settled(path: Path, needle: str, timeout: float = 30) -> str:
    """The file once the form saved it and the preview put it in kpisite's layout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = path.read_text(encoding="utf-8")
        if needle in text and text.startswith("# yaml-language-server"):
            time.sleep(0.3)
            return path.read_text(encoding="utf-8")
        time.sleep(0.2)
    raise AssertionError(f"{path} was not saved and formatted: {text[:300]}")


def indicator(text: str, rel: str) -> model.Indicator:
    source, problems = parse_source(text.encode(), REPO / rel, rel)
    assert not problems
    return model.indicator_from(source.data, rel)


@pytest.mark.browser
@pytest.mark.slow
def test_a_quarterly_update_in_the_form(form, editing):
    root, url = editing
    assert listening(editor.LOCAL_PORT) and set(listening(editor.LOCAL_PORT)) <= {"0100007F"}
    path = root / REF
    before = path.read_text(encoding="utf-8")
    open_entry(form, url, "2564/5042-2007")
    form.screenshot(path=str(screenshots() / "editor-top-1280.png"))
    result = form.locator('[id^="result-field-"]').nth(2)  # the third quarter's row
    report = form.locator('[aria-label="markdown field"]:has(label[for^="report-field-"]) '
                          '[data-slate-editor]').nth(2)
    assert result.input_value() == "5"  # Decap reads 5.00 as a number
    result.fill("4.50")
    select_all(form, report)
    form.keyboard.type("จัดทำแผนพัฒนาชุมชนระดับเขตเสร็จแล้ว")
    result.scroll_into_view_if_needed()
    form.screenshot(path=str(screenshots() / "editor-quarter-1280.png"))
    publish_now(form)
    after = settled(path, "จัดทำแผนพัฒนาชุมชนระดับเขตเสร็จแล้ว")
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == ["    result: 4.50", "      จัดทำแผนพัฒนาชุมชนระดับเขตเสร็จแล้ว"]
    assert run_kpisite(root, "check").returncode == 0
    git(root, "commit", "-qam", "Q3")
    diff = run_kpisite(root, "diff", "HEAD~1", "HEAD").stdout
    rows = [line for line in diff.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 2, diff
    assert rows[0] == "| ผลงานไตรมาสที่ 3 | 5.00 | 4.50 |"
    assert rows[1].startswith("| รายงานผลการดำเนินงานไตรมาส (ไตรมาสที่ 3) | คณะกรรมการเครือข่าย")
    assert rows[1].endswith("| จัดทำแผนพัฒนาชุมชนระดับเขตเสร็จแล้ว |")
    page = wait_for_page(root / "site/indicators/2564/5042-2007.html",
                         "จัดทำแผนพัฒนาชุมชนระดับเขตเสร็จแล้ว")
    assert "4.50" in page


def select_all(form, editor_field, tries: int = 20) -> None:
    """Click into a rich-text field and select all of its text. Right after the click the
    editor may not have taken the focus yet, and Ctrl+A then selects less than all (seen
    under load: the typed text was added after the old one instead of replacing it)."""
    whole = "".join(editor_field.inner_text().split())
    editor_field.click()
    for _ in range(tries):
        form.keyboard.press("Control+A")
        selected = form.evaluate("() => window.getSelection().toString()")
        if "".join(selected.split()) == whole:
            return
        form.wait_for_timeout(250)
    raise AssertionError(f"could not select the field's text: {selected[:80]!r}")


def wait_for_page(path: Path, needle: str, timeout: float = 20) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = text_of(soup(path)) if path.is_file() else ""
        if needle in text:
            return text
        time.sleep(0.2)
    raise AssertionError(f"{path} does not show {needle!r}")


def screenshots() -> Path:
    folder = REPO / "tests/screenshots"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.mark.browser
@pytest.mark.slow
def test_every_bundled_indicator_round_trips_through_the_form(form, editing):
    """Each entry opened, one field changed (its English name), saved: every other fact is
    as it was, the file differs by that line alone, and `diff` names that field alone."""
    root, url = editing
    paths = sorted((root / "content/indicators").rglob("*.yaml"))
    assert len(paths) == 11
    for path in paths:
        rel = path.relative_to(root).as_posix()
        before = path.read_text(encoding="utf-8")
        if "5042-2007" in rel:  # edited by the test above: start from what was committed
            before = git(root, "show", f"HEAD:{rel}")
        entry = path.relative_to(root / "content/indicators").with_suffix("").as_posix()
        open_entry(form, url, entry)
        english = f"Round trip {path.stem}"
        form.locator('[id^="name_en-field-"]').fill(english)
        publish_now(form)
        try:
            after = settled(path, f"name_en: {english}")
        except AssertionError:
            form.screenshot(path=str(screenshots() / "editor-round-trip-failed.png"))
            raise
        old, new = indicator(before, rel), indicator(after, rel)
        assert dataclasses.replace(new, name_en="") == old, rel
        added = [line for line in after.splitlines() if line not in before.splitlines()]
        removed = [line for line in before.splitlines() if line not in after.splitlines()]
        assert (added, removed) == ([f"name_en: {english}"], []), rel
    git(root, "add", ".")
    git(root, "commit", "-qm", "English names")
    diff = run_kpisite(root, "diff", "HEAD~1", "HEAD").stdout
    rows = [line for line in diff.splitlines() if line.startswith("| ") and "---" not in line
            and "ข้อมูล" not in line]
    assert len(rows) == 11 and all(r.startswith("| ชื่อตัวชี้วัด ภาษาอังกฤษ | (ว่าง) | Round trip")
                                   for r in rows), diff


def test_serve_edit_without_node_says_so(tmp_path):
    done = subprocess.run([sys.executable, "-m", "kpisite", "serve", "--edit", "--port",
                           str(free_port()), "--content", str(CONTENT)], capture_output=True,
                          text=True, env={"PATH": str(tmp_path), "PYTHONPATH": str(REPO),
                                          "HOME": str(tmp_path)}, timeout=60)
    assert done.returncode == 2
    assert "Node.js" in done.stderr and "Traceback" not in done.stderr
    assert standard("th").gettext("Edit the indicators") == "แก้ไขตัวชี้วัด"


def test_codeowners_sends_each_agency_s_files_to_its_reviewers(project):
    from kpisite import cli

    agencies = project.content / "agencies.yaml"
    agencies.write_text(agencies.read_text(encoding="utf-8").replace(
        '  - code: "5042"\n    name: สำนักงานเขตสายไหม\n',
        '  - code: "5042"\n    name: สำนักงานเขตสายไหม\n    reviewers: ["@saimai-kpi", "@bma/sypo"]\n'),
        encoding="utf-8")
    owners = project.root / ".github/CODEOWNERS"
    owners.parent.mkdir()
    owners.write_text("/templates/ @city/maintainers\n", encoding="utf-8")
    content = str(project.content)
    assert cli.main(["codeowners", "--check", "--content", content]) == 1
    assert cli.main(["codeowners", "--content", content]) == 0
    lines = owners.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "/templates/ @city/maintainers"  # the maintainers' own lines stay
    assert "/content/indicators/2564/5042-2007.yaml @saimai-kpi @bma/sypo" in lines
    assert "/content/indicators/2564/5042-2008.yaml @saimai-kpi @bma/sypo" in lines
    assert not [ln for ln in lines if "0700" in ln]  # no reviewers named: no line
    assert cli.main(["codeowners", "--check", "--content", content]) == 0
    new = project.content / "indicators/2565/5042-0001.yaml"
    new.parent.mkdir()
    new.write_text((project.content / "indicators/2564/5042-2008.yaml").read_text(
        encoding="utf-8").replace("fiscal_year: 2564", "fiscal_year: 2565").replace(
        "code: 5042-2008", "code: 5042-0001"), encoding="utf-8")
    assert cli.main(["codeowners", "--check", "--content", content]) == 1
    cli.main(["codeowners", "--content", content])
    assert "/content/indicators/2565/5042-0001.yaml @saimai-kpi @bma/sypo" in \
        owners.read_text(encoding="utf-8")


def test_the_form_edits_the_agencies_reviewers(built_site):
    files = {f["name"]: f for f in collection(config(built_site), "site")["files"]}
    agency = {w["name"]: w for w in files["agencies"]["fields"][0]["fields"]}
    assert agency["reviewers"]["widget"] == "list" and agency["reviewers"]["label"] == "ผู้ตรวจทาน"
