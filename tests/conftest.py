"""Shared fixtures: the bundled content built once per session, and scratch projects."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from kpisite import pipeline

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The bundled content, built once into a temporary folder."""
    out = tmp_path_factory.mktemp("built") / "site"
    pipeline.build(pipeline.Project(CONTENT), out)
    return out


@pytest.fixture
def project(tmp_path) -> pipeline.Project:
    """A scratch copy of the bundled content that a test may change."""
    shutil.copytree(CONTENT, tmp_path / "content")
    return pipeline.Project(tmp_path / "content")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def text_of(node) -> str:
    """Visible text with whitespace collapsed."""
    return " ".join(node.get_text(" ").split())
