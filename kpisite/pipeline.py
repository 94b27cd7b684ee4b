"""The build: load -> validate -> model -> render -> write. `check` is the same, stopped before
rendering. Every problem is gathered first; if any is an error, nothing is written.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from . import THEME, model, validate
from .catalog import Catalog
from .diagnostics import ContentError, Problem, errors, promote
from .load import find_yaml_files, read_source, relative
from .render import Renderer, index_pages
from .write import Staging, check_output_dir

SITE_FILES = {"site": "site.yaml", "agencies": "agencies.yaml", "strategy": "strategy.yaml"}
BANGKOK = dt.timezone(dt.timedelta(hours=7))


@dataclass(frozen=True)
class Project:
    """Where the content is; messages name files relative to `root` (the content's parent)."""

    content: Path

    @property
    def root(self) -> Path:
        return self.content.resolve().parent

    @property
    def indicators(self) -> Path:
        return self.content / "indicators"


def build_date() -> dt.date:
    """Today in Bangkok, or the date of SOURCE_DATE_EPOCH (for reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = dt.datetime.fromtimestamp(int(epoch), BANGKOK) if epoch else dt.datetime.now(BANGKOK)
    return now.date()


def load_site(project: Project) -> tuple[model.Site | None, list[Problem]]:
    """site.yaml, agencies.yaml and strategy.yaml, checked and built into a Site."""
    sources, problems = {}, []
    for kind, name in SITE_FILES.items():
        path = project.content / name
        if not path.is_file():
            problems.append(Problem(relative(path, project.root), None, "",
                                    f"ไม่พบไฟล์ {name} ในโฟลเดอร์เนื้อหา (missing file)"))
            continue
        source, found = read_source(path, project.root)
        problems += found
        if source:
            sources[kind] = source
    if problems:
        return None, problems
    problems = validate.check_site_files(sources)
    if errors(problems):
        return None, problems
    site = model.site_from(sources["site"].data, sources["agencies"].data,
                           sources["strategy"].data)
    return site, problems


def load_indicators(project: Project, site: model.Site) -> tuple[list[model.Indicator], list[Problem]]:
    """Every indicator file, read and checked on its own, then checked across files."""
    files, problems = find_yaml_files(project.indicators, project.root)
    indicators = []
    for path in files:
        source, found = read_source(path, project.root)
        problems += found
        if source:
            ind, found = validate.check_indicator(source, site)
            problems += found
            if ind:
                indicators.append(ind)
    problems += validate.check_duplicates(indicators, project.root)
    return indicators, problems


def collect(project: Project, strict: bool = False):
    """The site, its indicators, and all problems (warnings made errors when `strict`)."""
    site, problems = load_site(project)
    indicators: list[model.Indicator] = []
    if site is not None:
        indicators, found = load_indicators(project, site)
        problems += found
    return site, indicators, promote(problems) if strict else problems


def check(project: Project, strict: bool = False) -> list[Problem]:
    """All problems in the content; writes nothing."""
    return collect(project, strict)[2]


def build(project: Project, out: Path, strict: bool = False) -> list[Problem]:
    """Build the site into `out`; raise ContentError (and write nothing) if the content has errors."""
    check_output_dir(out, [project.content, THEME])
    site, indicators, problems = collect(project, strict)
    if site is None or errors(problems):
        raise ContentError(problems)
    published = [ind for ind in indicators if ind.published]
    renderer = Renderer(site, build_date())
    stage = Staging(out)
    try:
        for ind in published:
            for path, html in renderer.indicator_pages(ind):
                stage.write(path, html)
        cat = Catalog(site, [ind.without_texts() for ind in published])
        for page in index_pages(cat):
            stage.write(page.path, renderer.render(page))
        stage.copy_tree(THEME / "static", "static")
    except BaseException:
        stage.abort()
        raise
    stage.commit()
    return problems
