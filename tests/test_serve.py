"""The preview server: incremental updates equal a full build; the server reloads, shows
errors, recovers, serves only the site, on localhost, and never writes into content/."""
from __future__ import annotations

import gc
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import fastjsonschema
import jinja2
import pytest

from conftest import REPO, unmarked
from kpisite.incremental import Preview
from kpisite import gather, publish, workers
from kpisite.diagnostics import ContentError
from test_safety import edit, tree

REF = "indicators/2564/5042-2007.yaml"


@pytest.fixture
def fixed_date(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795392000")


def full_build(project, out):
    shutil.rmtree(out, ignore_errors=True)
    publish.build(project, out)
    return tree(out)


def test_incremental_updates_equal_a_full_build(project, tmp_path, fixed_date):
    live = tmp_path / "live"
    builder = Preview(project, live)
    builder.build()
    ind = project.indicators
    steps = [
        # a quarter's result; a name, a unit and a definition
        lambda: edit(project, REF, "result: 2.00", "result: 3.00"),
        lambda: edit(project, REF, "name: ระดับความสำเร็จ", "name: ระดับความก้าวหน้า"),
        lambda: edit(project, "indicators/2564/5035-893.yaml", "unit: ร้อยละ", "unit: แห่ง"),
        lambda: edit(project, REF, "definition: |\n", "definition: |\n  คำนิยามเพิ่มเติม\n"),
        # a draft disappears from every list
        lambda: edit(project, "indicators/2564/5042-2008.yaml", "published: true", "published: false"),
        # a new indicator, and one moved to another agency and year
        lambda: (ind / "2564/copy.yaml").write_text((ind / "2564/5010-0957.yaml").read_text(
            encoding="utf-8").replace("code: 5010-0957", "code: 5010-9999"), encoding="utf-8"),
        lambda: edit(project, "indicators/2563/2400-1014.yaml", 'agency: "2400"', 'agency: "5042"'),
        # a file removed
        lambda: (ind / "2563/0700-0787.yaml").unlink(),
    ]
    for step in steps:
        before = {p: p.stat().st_mtime_ns for p in ind.rglob("*.yaml")}
        step()
        after = {p: p.stat().st_mtime_ns for p in ind.rglob("*.yaml")}
        changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
        builder.update(changed)
        assert tree(live) == full_build(project, tmp_path / "full"), step


def test_a_removed_static_file_is_removed_from_the_site(project, tmp_path, monkeypatch):
    theme = tmp_path / "theme"
    for folder in ("templates", "static", "schema", "kpisite"):
        shutil.copytree(REPO / folder, theme / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (theme / "static/extra.css").write_text("p {}")
    builder = Preview(project, tmp_path / "site", theme_root=theme)
    builder.build()
    assert (tmp_path / "site/static/extra.css").is_file()
    (theme / "static/extra.css").unlink()
    builder.update({theme / "static/extra.css"})
    assert not (tmp_path / "site/static/extra.css").exists()
    assert (tmp_path / "site/static/site.css").is_file()


def test_errors_in_between_change_nothing_and_leave_no_trace(project, tmp_path, fixed_date):
    live = tmp_path / "live"
    builder = Preview(project, live)
    builder.build()
    before = tree(live)
    other = project.content / "indicators/2564/5042-2008.yaml"
    steps = [  # (edit, the files it touches)
        (lambda: edit(project, "indicators/2564/5042-2008.yaml", "code: 5042-2008", "code: 5042-2007"), {other}),
        (lambda: edit(project, REF, "result: 2.00", "result: [2.00"), {project.content / REF}),
    ]
    for step, touched in steps:  # a clash of codes, then a syntax error on top: both refused
        step()
        with pytest.raises(ContentError):
            builder.update(touched)
        assert tree(live) == before
    edit(project, "indicators/2564/5042-2008.yaml", "code: 5042-2007", "code: 5042-2008")
    with pytest.raises(ContentError):
        builder.update({other})  # the syntax error is still there
    edit(project, REF, "result: [2.00", "result: 2.50")
    builder.update({project.content / REF})
    assert tree(live) == full_build(project, tmp_path / "full")


def test_one_edit_rerenders_only_what_depends_on_it(project, tmp_path, fixed_date):
    builder = Preview(project, tmp_path / "site")
    builder.build()
    edit(project, REF, "result: 2.00", "result: 3.00")
    written = set(builder.update({project.content / REF}))
    assert {"indicators/2564/5042-2007.html", "indicators/2564/5042-2007.print.html"} <= written
    # the result is not shown in any list, so no index page changed
    assert not {"agencies/5042.html", "agencies/0700.html", "years/2563.html"} & written
    edit(project, REF, "achieved: 5", "achieved: 4")  # the status changes: the lists change
    written = set(builder.update({project.content / REF}))
    assert {"agencies/5042.html", "index.html", "strategy/5-2-1-1.html"} <= written
    assert not {"agencies/0700.html", "years/2563.html", "strategy/1-1.html"} & written


def test_an_edit_after_a_forked_build_compiles_nothing(project, tmp_path, monkeypatch):
    """Templates and the schema check are compiled before the workers fork, so the preview
    server's first edit does not compile them (a third of its time at 10,000 indicators)."""
    monkeypatch.setattr(workers, "PARALLEL_MIN", 1)  # the bundled files, on a forked worker
    builder = Preview(project, tmp_path / "site", jobs=2)
    builder.build()

    def compiled(*args, **kwargs):
        raise AssertionError("compiled during an edit")
    monkeypatch.setattr(jinja2.Environment, "compile", compiled)
    monkeypatch.setattr(fastjsonschema, "compile", compiled)
    edit(project, REF, "result: 2.00", "result: 3.00")
    assert "indicators/2564/5042-2007.html" in builder.update({project.content / REF})


def test_invalid_edit_keeps_state_and_recovers(project, tmp_path, fixed_date):
    builder = Preview(project, tmp_path / "site")
    builder.build()
    edit(project, REF, "achieved: 5", "achieved: [5")
    with pytest.raises(ContentError) as exc:
        builder.update({project.content / REF})
    assert [p.path for p in exc.value.problems if p.severity == "error"] == ["content/" + REF]
    edit(project, REF, "achieved: [5", "achieved: 4")
    builder.update({project.content / REF})
    assert tree(tmp_path / "site") == full_build(project, tmp_path / "full")


def test_builds_and_checks_leave_the_garbage_collector_as_they_found_it(project, tmp_path):
    """A build freezes its results while it runs; the server lives on and must collect."""
    Preview(project, tmp_path / "site").build()
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    gather.check(project).problems
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    gc.disable()
    try:
        gather.check(project).problems
        assert not gc.isenabled()  # a caller's choice stands
    finally:
        gc.enable()
    edit(project, REF, "achieved: 5", "achieved: [5")
    with pytest.raises(ContentError):
        Preview(project, tmp_path / "site").build()
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_no_collection_until_the_results_are_in():
    with gather.collection_paused() as settled:
        assert not gc.isenabled()
        kept = [[] for _ in range(100)]
        settled()
        assert gc.isenabled() and gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0 and gc.isenabled()


# -- the server itself, as a user runs it ----------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


def wait_for(predicate, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.fixture
def server(project, tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--content",
                             str(project.content), "--out", str(tmp_path / "site"), "--port",
                             str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/"

    def up():
        try:
            return fetch(base)[0] == 200
        except OSError:
            return False

    wait_for(up)
    yield base, port, proc
    proc.terminate()
    proc.wait(10)


def test_server_reloads_shows_errors_and_recovers(server, project):
    base, port, proc = server
    content_before = tree(project.content)
    page = base + "indicators/2564/5042-2007.html"
    status, html = fetch(page)
    assert status == 200 and "livereload.js" in html  # the reload script is injected
    assert "2.00" in html and "7.00" not in html

    edit(project, REF, "result: 2.00", "result: 7.00")
    wait_for(lambda: "7.00" in fetch(page)[1])

    edit(project, REF, "achieved: 5", "achieved: [5")
    status, html = wait_for(lambda: (r := fetch(page))[0] == 500 and r)
    at = (project.content / REF).read_text(encoding="utf-8").splitlines().index(
        "achieved: [5") + 1
    assert "content/indicators/2564/5042-2007.yaml:" in html and f"บรรทัด {at}" in unmarked(html)
    assert "livereload.js" in html

    edit(project, REF, "achieved: [5", "achieved: 4")
    wait_for(lambda: fetch(page)[0] == 200)
    assert ">4<" in fetch(page)[1].replace(" ", "")

    # it never wrote into content/: only our own edits differ
    after = tree(project.content)
    assert {k for k in after if after[k] != content_before.get(k)} == {REF}
    assert set(after) == set(content_before)


def test_the_open_page_reloads_by_itself(server, project, page):
    base, port, proc = server
    page.goto(base + "indicators/2564/5042-2007.html")
    page.wait_for_function("window.LiveReload !== undefined")  # the reload script connected
    page.evaluate("window.notReloaded = true")
    edit(project, REF, "result: 4.00", "result: 4.75")
    page.wait_for_function("document.body.innerText.includes('4.75')", timeout=20000)
    assert page.evaluate("window.notReloaded === undefined")  # a fresh page, not a patched one


def test_server_listens_on_localhost_only_and_serves_only_the_site(server):
    base, port, proc = server
    listening = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            listening.append(local.split(":")[0])
    assert listening == ["0100007F"]  # 127.0.0.1
    import http.client

    for url in ("../content/site.yaml", "..%2Fcontent%2Fsite.yaml", "%2e%2e/content/site.yaml",
                ".kpisite/output.json", "./.kpisite/output.json", "static/../.kpisite/cache.pickle",
                "%2ekpisite/output.json", "static/..%2f.kpisite/output.json"):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/" + url)  # sent as written, not tidied by a URL library
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        assert response.status in (400, 403, 404) and "generator" not in body, url


# -- the theme's files are read again when they change ----------------------------------------

def theme_copy(tmp_path) -> Path:
    theme = tmp_path / "theme"
    for folder in ("templates", "static", "schema"):
        shutil.copytree(REPO / folder, theme / folder)
    return theme


def test_the_preview_honours_an_edit_of_the_schema(project, tmp_path):
    theme = theme_copy(tmp_path)
    preview = Preview(project, tmp_path / "site", theme_root=theme)
    preview.build()
    schema_file = theme / "schema/indicator.schema.json"
    original = schema_file.read_text(encoding="utf-8")
    pattern = '"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$"'
    assert pattern in original
    schema_file.write_text(original.replace(pattern, '"^NO-CODE-IS-LIKE-THIS$"'),
                           encoding="utf-8")
    with pytest.raises(ContentError) as refused:
        preview.update({schema_file})
    failing = {p.path for p in refused.value.problems if p.field == "code"}
    assert len(failing) == 11  # every bundled indicator, as a fresh `check` finds
    schema_file.write_text(original, encoding="utf-8")
    assert preview.update({schema_file}) is None  # built again, with the schema as it was


def test_a_schema_that_does_not_compile_is_reported_as_such(project, tmp_path, capsys):
    from kpisite.serve import Session
    from kpisite.theme import Theme
    from kpisite.validate import SchemaError

    theme = theme_copy(tmp_path)
    schema_file = theme / "schema/indicator.schema.json"
    schema_file.write_text(schema_file.read_text(encoding="utf-8").replace(
        '"type": "object"', '"type": "no-such-type"', 1), encoding="utf-8")
    with pytest.raises(SchemaError, match="indicator.schema.json"):
        gather.check(project, theme=Theme(theme))
    session = Session(Preview(project, tmp_path / "site", theme_root=theme))
    session.rebuild()
    assert "indicator.schema.json" in session.error_html
    assert "cannot be compiled" in session.error_html
    assert "Traceback" not in capsys.readouterr().err


def test_nothing_is_written_before_the_rules_across_files_pass(project, tmp_path, monkeypatch):
    out = tmp_path / "site"
    publish.build(project, out)
    before = tree(out)
    edit(project, "indicators/2564/5042-2008.yaml", "code: 5042-2008", "code: 5042-2007")

    def no_writing(*args, **kwargs):
        raise AssertionError("a page was staged before every check had passed")
    monkeypatch.setattr("kpisite.publish.Staging.__init__", no_writing)
    with pytest.raises(ContentError):
        publish.build(project, out)
    assert tree(out) == before


def raw_get(port: int, path: str, host: str | None = None) -> int:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.putrequest("GET", path, skip_host=host is not None)
    if host is not None:
        connection.putheader("Host", host)
    connection.endheaders()
    return connection.getresponse().status


def test_the_preview_answers_only_the_address_it_serves(server):
    base, port, proc = server
    assert raw_get(port, "/index.html") == 200
    assert raw_get(port, "/index.html", f"localhost:{port}") == 200
    assert raw_get(port, "/index.html", f"attacker.example:{port}") == 403  # DNS rebinding
    assert raw_get(port, "/index.html", "attacker.example") == 403
    assert raw_get(port, "/%00.html") == 400  # not a traceback and a 500


def test_a_busy_or_impossible_port_is_said_at_once(project, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        start = time.time()
        done = subprocess.run([sys.executable, str(REPO / "build.py"), "serve", "--content",
                               str(project.content), "--out", str(tmp_path / "site"), "--port",
                               str(port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and str(port) in done.stderr and "Traceback" not in done.stderr
    assert time.time() - start < 10 and not (tmp_path / "site/index.html").exists()  # no build
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "serve", "--port", "99999"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "99999" in done.stderr and "Traceback" not in done.stderr


def test_what_the_preview_wrote_is_never_published_after_the_file_is_restored(server, project,
                                                                               tmp_path):
    """serve, rename an indicator, stop the preview, put the file back, build: the page shows
    the file's name, not the preview's (the preview's pages are not trusted by the next build)."""
    base, port, proc = server
    page = base + "indicators/2564/5042-2007.html"
    original = (project.content / REF).read_text(encoding="utf-8")
    edit(project, REF, "name: ระดับความสำเร็จ", "name: ชื่อที่ทิ้งไปแล้ว")
    wait_for(lambda: "ชื่อที่ทิ้งไปแล้ว" in fetch(page)[1])
    proc.send_signal(signal.SIGINT)
    assert proc.wait(20) == 0
    (project.content / REF).write_text(original, encoding="utf-8")
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--content",
                           str(project.content), "--out", str(tmp_path / "site")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "site/indicators/2564/5042-2007.html").read_text(encoding="utf-8")
    assert "ชื่อที่ทิ้งไปแล้ว" not in html and "ระดับความสำเร็จ" in html


# -- editors' ways of saving, and the tabs that reload ---------------------------------------

def output_lines(proc) -> list[str]:
    """The server's output from now on (the first build's is left out), read in a thread (a
    full pipe would stop the server)."""
    import threading

    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")),
                     daemon=True).start()
    wait_for(lambda: any("(serving " in line for line in lines))
    del lines[:]
    return lines


def rebuilds(lines: list[str]) -> int:
    return sum(1 for line in lines if "(rebuilt " in line or "(built everything" in line)


def test_editors_saves_are_each_one_rebuild_and_end_as_a_full_build(fixed_date, server,
                                                                    project, tmp_path):
    """While `serve` runs: a save through a temporary file and a rename, a burst of files
    written in halves, a folder renamed. Each is one rebuild; no file is read half written
    (no error is ever reported); and then the site equals a full build of the files."""
    base, port, proc = server
    lines = output_lines(proc)
    indicators = project.content / "indicators"

    target = indicators / "2564/5042-2007.yaml"  # as JetBrains' editors save
    temporary = target.with_name(target.name + "___jb_tmp___")
    temporary.write_text(target.read_text(encoding="utf-8").replace("result: 2.00",
                                                                    "result: 3.25", 1), "utf-8")
    temporary.replace(target)
    wait_for(lambda: rebuilds(lines) == 1)
    assert "3.25" in fetch(base + "indicators/2564/5042-2007.html")[1]

    halves = []  # three files, each written in two halves 50 ms apart, then closed together
    for rel in ("2564/5010-0957.yaml", "2564/5035-893.yaml", "2564/1100-0833.yaml"):
        text = (indicators / rel).read_text(encoding="utf-8")
        name = next(line for line in text.splitlines() if line.startswith("name: "))
        text = text.replace(name, name + " (แก้ไข)", 1)
        file = open(indicators / rel, "w", encoding="utf-8")
        file.write(text[:len(text) // 2])
        file.flush()
        halves.append((file, text[len(text) // 2:]))
    time.sleep(0.05)
    for file, rest in halves:
        file.write(rest)
    for file, _rest in halves:
        file.close()
    wait_for(lambda: rebuilds(lines) == 2)

    (indicators / "2563").rename(indicators / "2563-b")  # a folder renamed
    wait_for(lambda: rebuilds(lines) == 3)

    expected = full_build(project, tmp_path / "full")
    site = tmp_path / "site"
    wait_for(lambda: tree(site) == expected, timeout=60)  # the site's pages follow
    time.sleep(1)
    assert rebuilds(lines) == 3 and tree(site) == expected
    assert not any("the content has errors" in line for line in lines), "".join(lines)


def test_a_tab_reloads_when_its_own_page_is_written(server, project, browser):
    """A name edited: the tab on its page reloads, then the tab on its agency's page (a page
    the site's part of the update writes); a tab on another agency's page does not."""
    base, port, proc = server
    tabs = {}
    for page in ("indicators/2564/5042-2007.html", "agencies/5042.html", "agencies/5010.html"):
        tab = tabs[page] = browser.new_page()
        tab.goto(base + page)
        tab.wait_for_function("window.LiveReload !== undefined")
    time.sleep(1)  # the sockets said which page each tab shows
    for tab in tabs.values():
        tab.evaluate("window.notReloaded = true")
    edit(project, REF, "name: ระดับความสำเร็จ", "name: ระดับความก้าวหน้าของงาน")
    for page in ("indicators/2564/5042-2007.html", "agencies/5042.html"):
        tabs[page].wait_for_function("window.notReloaded === undefined && document.body && "
                                     "document.body.textContent.includes('ความก้าวหน้าของงาน')",
                                     timeout=20000)
    time.sleep(1)
    assert tabs["agencies/5010.html"].evaluate("window.notReloaded === true")
    for tab in tabs.values():
        tab.close()


def test_where_the_system_gives_no_file_events_the_preview_scans(project, tmp_path):
    """FileEvents unavailable (no inotify, or no watches left): the files are scanned every
    0.8 s instead, and an edit still reaches the page."""
    port = free_port()
    code = ("import sys; import kpisite.serve as serve; serve.FileEvents.start = lambda self: "
            "False; from kpisite.cli import main; sys.argv[0] = 'kpisite'; main()")
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--content",
                             str(project.content), "--out", str(tmp_path / "site"), "--port",
                             str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, cwd=REPO)
    try:
        lines = output_lines(proc)
        page = f"http://127.0.0.1:{port}/indicators/2564/5042-2007.html"
        edit(project, REF, "result: 2.00", "result: 6.50")
        wait_for(lambda: "6.50" in fetch(page)[1])
        wait_for(lambda: rebuilds(lines) == 1)
    finally:
        proc.terminate()
        proc.wait(10)


def test_only_a_watched_file_open_for_writing_holds_a_save_back(tmp_path):
    """An editor's swap file kept open (.x.yaml.swp) and a change of a file's times (attrib)
    never hold a save back; a watched file written and not yet closed does, till it closes."""
    from watchdog.events import (FileClosedEvent, FileModifiedEvent, FileMovedEvent,
                                 FileSystemEvent)

    from kpisite.serve import FileEvents

    events = FileEvents([tmp_path], lambda: None)
    assert events.closes_said  # Linux's inotify: the tests run on Debian
    events.on_any_event(FileModifiedEvent(str(tmp_path / ".x.yaml.swp")))
    attrib = FileSystemEvent(str(tmp_path / "x.yaml"))
    attrib.event_type = "attrib"
    events.on_any_event(attrib)
    assert events.take() == ({tmp_path / "x.yaml"}, False)
    events.on_any_event(FileModifiedEvent(str(tmp_path / "y.yaml")))
    assert events.take() is None  # still being written
    events.on_any_event(FileClosedEvent(str(tmp_path / "y.yaml")))
    assert events.take() == ({tmp_path / "y.yaml"}, False)
    events.on_any_event(FileMovedEvent(str(tmp_path / "y.yaml.tmp"), str(tmp_path / "z.yaml")))
    assert events.take() == ({tmp_path / "z.yaml"}, False)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_a_preview_told_to_stop_leaves_no_half_written_file(project, tmp_path, stop):
    """Told to stop as a service manager or a closed terminal tells it (SIGTERM, SIGHUP),
    the preview stops as after Ctrl+C: the child that writes the site's pages is stopped
    and the file it was writing is not left half-written in the site. (The child here
    writes data/indicators.json slowly: the file half-written, then a wait.)"""
    port, out = free_port(), tmp_path / "site"
    code = ("import os, sys, time; from pathlib import Path; import kpisite.write as write\n"
            "original = write.Direct.write\n"
            "def slow(self, rel, content):\n"
            "    if rel == 'data/indicators.json':\n"
            "        half = Path(self.out, 'data', f'.indicators.json.{os.getpid()}.tmp')\n"
            "        half.write_bytes(b'[')\n"
            "        time.sleep(60)\n"
            "    return original(self, rel, content)\n"
            "write.Direct.write = slow\n"
            "from kpisite.cli import main; sys.argv[0] = 'kpisite'; main()")
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--content",
                             str(project.content), "--out", str(out), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=REPO)
    try:
        lines = output_lines(proc)
        page = f"http://127.0.0.1:{port}/indicators/2564/5042-2007.html"
        wait_for(lambda: "2.00" in fetch(page)[1])  # served: the files are watched by now
        edit(project, REF, "result: 2.00", "result: 6.50")
        wait_for(lambda: "6.50" in fetch(page)[1])
        try:
            wait_for(lambda: list(out.glob("data/.indicators.json.*.tmp")), timeout=40)
        except AssertionError:
            raise AssertionError("".join(lines)) from None
        proc.send_signal(stop)
        proc.wait(20)
    finally:
        proc.kill()
        proc.wait(10)
    assert [p for p in out.rglob("*.tmp") if ".kpisite" not in p.parts] == []
