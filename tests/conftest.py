"""Shared fixtures: the bundled content built once per session, and scratch projects."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from kpisite import gather, publish

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"


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
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def text_of(node) -> str:
    """Visible text with whitespace collapsed."""
    return " ".join(node.get_text(" ").split())


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
