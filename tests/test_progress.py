"""A long build's progress line: on a terminal only, counting every page the build writes."""
from __future__ import annotations

import io
import os
import pty
import sys
import threading
from pathlib import Path

import pytest

from kpisite import cli, progress, publish
from kpisite.diagnostics import ContentError
from kpisite.progress import Progress


class Clock:
    """A second passes at each reading: the line shows from a build's first steps."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def outputs(out: Path) -> list[Path]:
    """What a build wrote besides the theme's static files and its own state."""
    return [p for p in out.rglob("*") if p.is_file()
            and p.relative_to(out).parts[0] not in ("static", ".kpisite")]


def test_the_line_counts_every_page_the_build_writes(project, tmp_path):
    stream = io.StringIO()
    line = Progress(stream, clock=Clock(), shown=True)
    out = tmp_path / "site"
    publish.build(project, out, progress=line)
    drawn = stream.getvalue()
    written = len(outputs(out))
    assert line.total == written and line.done == written
    assert f"กำลังเขียนหน้า (writing pages) {written:,} / {written:,}" in drawn
    assert "กำลังอ่านไฟล์ (reading files) " in drawn
    assert "วินาที (" in drawn  # the time left
    assert drawn.endswith("\r\033[K")  # wiped: the terminal keeps only the build's last word


def test_a_short_build_draws_nothing(project, tmp_path):
    stream = io.StringIO()
    publish.build(project, tmp_path / "site", progress=Progress(stream, clock=lambda: 0.0,
                                                               shown=True))
    assert stream.getvalue() == ""  # done within the first seconds


def test_a_build_that_fails_wipes_its_line(project, tmp_path):
    path = project.content / "indicators/2564/5042-2007.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("type: strategic", "type: stratgic"),
                    encoding="utf-8")
    stream = io.StringIO()
    with pytest.raises(ContentError):
        publish.build(project, tmp_path / "site", progress=Progress(stream, clock=Clock(),
                                                                    shown=True))
    assert "กำลังอ่านไฟล์ (reading files) " in stream.getvalue()
    assert stream.getvalue().endswith("\r\033[K")  # the errors that follow start a line


def test_a_rebuild_counts_the_pages_it_links_from_the_last_build(project, tmp_path):
    out = tmp_path / "site"
    publish.build(project, out)
    line = Progress(io.StringIO(), clock=Clock(), shown=True)
    publish.build(project, out, progress=line)
    assert line.done == line.total == len(outputs(out))


def drawn_on(project, monkeypatch, terminal: bool = True) -> str:
    """What `build` writes on standard error when that is a terminal (a pseudo-terminal), or
    a pipe."""
    monkeypatch.setattr(progress, "DELAY", 0)  # the bundled content builds in a second
    monkeypatch.setattr(progress, "EVERY", 0)
    monkeypatch.setenv("TERM", "xterm")
    leader, follower = pty.openpty() if terminal else os.pipe()
    drawn = []
    reader = threading.Thread(target=lambda: drawn.extend(iter(lambda: _read(leader), b"")))
    reader.start()  # read as it is written: a terminal's buffer is small
    with open(follower, "w", encoding="utf-8", closefd=True) as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        assert cli.main(["build", "--content", str(project.content)]) == 0
    reader.join()
    os.close(leader)
    drawn = b"".join(drawn)
    return drawn.decode("utf-8")


def _read(leader: int) -> bytes:
    try:
        return os.read(leader, 65536)
    except OSError:  # the terminal's other end is closed: all is read
        return b""


def test_a_terminal_sees_the_line(project, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    drawn = drawn_on(project, monkeypatch)
    assert "\r\033[Kกำลังเขียนหน้า (writing pages) " in drawn


def test_a_ci_log_does_not_even_on_a_terminal(project, monkeypatch):
    monkeypatch.setenv("CI", "true")
    drawn = drawn_on(project, monkeypatch)
    assert "(warning)" in drawn  # what the build says, but no line drawn over
    assert "\033[K" not in drawn and "(writing pages)" not in drawn


def test_a_pipe_gets_no_line(project, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    drawn = drawn_on(project, monkeypatch, terminal=False)
    assert "(warning)" in drawn
    assert "\r" not in drawn and "(writing pages)" not in drawn
