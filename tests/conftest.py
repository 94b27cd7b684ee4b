"""Shared fixtures: the bundled content built once per session, and scratch projects."""
from __future__ import annotations

import re
import shutil
import signal
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from kpisite import gather, publish

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"

# Started in the background by a shell without job control (`nohup tests/run &`), the tests
# inherit Ctrl+C ignored, and so would every build they start: the tests of what Ctrl+C does
# would see nothing happen. As a terminal gives it, Ctrl+C stops a process.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The bundled content, built once into a temporary folder."""
    out = tmp_path_factory.mktemp("built") / "site"
    publish.build(gather.Project(CONTENT), out)
    return out


@pytest.fixture
def project(tmp_path) -> gather.Project:
    """A scratch copy of the bundled content that a test may change."""
    shutil.copytree(CONTENT, tmp_path / "content")
    return gather.Project(tmp_path / "content")


def soup(path: Path) -> BeautifulSoup:
    """A page parsed, its Thai word marks taken out: its text as a reader reads it."""
    return as_read(BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser"))


def as_read(node):
    """`node` without the marks that only tell where Thai lines break (<w->, <wbr>: they hold
    no text), its texts joined again, so that get_text(" ") puts no space inside a run."""
    for mark in node.find_all(["w-", "wbr"]):
        mark.unwrap()
    node.smooth()
    return node


def unmarked(html: str) -> str:
    """A page's HTML without its Thai word marks, for tests that look for a piece of it."""
    return re.sub(r"</?w->|<wbr>", "", html)


def text_of(node) -> str:
    """Visible text with whitespace collapsed."""
    return " ".join(as_read(node).get_text(" ").split())


CHROMIUM = "/usr/bin/chromium"  # Debian's; the driver must never download a browser of its own
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh tab that records console errors and every request it makes."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    tab = context.new_page()
    tab.errors, tab.requests = [], []
    tab.on("console", lambda m: m.type == "error" and tab.errors.append(m.text))
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.on("request", lambda r: tab.requests.append(r.url))
    yield tab
    context.close()


# Compounds of the bundled content that Thai readers keep whole and that browsers' dictionaries
# split (ตัวชี้|วัด, เครือ|ข่าย): no line may break inside them (linebreaks.py).
THAI_COMPOUNDS = ["ตัวชี้วัด", "เครือข่าย", "ประชาสังคม", "ฝุ่นละออง", "ผลสำเร็จ", "ความสำเร็จ",
                  "ปีงบประมาณ", "ยุทธศาสตร์", "กรุงเทพมหานคร", "ผู้สูงอายุ", "สำนักงานเขต",
                  "หน่วยงาน", "เป้าหมาย", "ไตรมาส", "เบี้ยยังชีพ", "ประเมิน"]


def compounds_across_lines(lines: list[str], narrative: list[str] = ()) -> list[str]:
    """The compounds that a line ends in the middle of and the next one finishes, except in
    `narrative` texts (paragraphs from Markdown, which the browser breaks)."""
    flat = [" ".join(text.split()) for text in narrative]
    broken = []
    for line, after in zip(lines, lines[1:]):
        end, start = line.rstrip()[-12:], after.lstrip()[:12]
        for word in THAI_COMPOUNDS:
            for cut in range(1, len(word)):
                if end.endswith(word[:cut]) and start.startswith(word[cut:]) and \
                        not any(end.strip() + start.strip() in text for text in flat):
                    broken.append(f"{word}: …{end} | {start}…")
    return broken


def narrative_texts(html: Path) -> list[str]:
    """The texts of a page's narrative paragraphs (its .prose parts)."""
    return [text_of(node) for node in soup(html).select(".prose")]
