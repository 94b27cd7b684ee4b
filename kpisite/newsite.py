"""`init`: a new site repository, made from kpisite/starter/ (README, content with one example
of each kind, editor settings, CI workflow, CODEOWNERS) with this kpisite's CONTRIBUTING.md and
schemas; and `init --upgrade`, which writes a newer kpisite's schemas into an existing site.

A site records the kpisite version it was made with (site.yaml `kpisite`); `check` says when
that is newer than the kpisite reading it, or when the site's schema/ for editors is another
version's, and what to run.
"""
from __future__ import annotations

from pathlib import Path

from . import PACKAGE, THEME, __version__, load, scaffold
from .diagnostics import Problem, UsageError
from .i18n import _, bilingual

STARTER = PACKAGE / "starter"
# Each starter file, and where it goes in the new site.
FILES = {
    "README.md": "README.md",
    "gitignore": ".gitignore",
    "CODEOWNERS": ".github/CODEOWNERS",
    "site.yml": ".github/workflows/site.yml",
    "vscode-settings.json": ".vscode/settings.json",
    "content/site.yaml": "content/site.yaml",
    "content/agencies.yaml": "content/agencies.yaml",
    "content/strategy.yaml": "content/strategy.yaml",
    **{f"content/pages/{name}.md": f"content/pages/{name}.md"
       for name in ("about", "licence", "contact", "accessibility")},
}


def init(folder: Path, force: bool = False) -> list[Path]:
    """Write a new site into `folder` (empty, or any folder with `force`: files already there
    are kept); returns the files written."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(bilingual(_("%(path)s is not a folder", path=str(folder))))
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise UsageError(bilingual(_("%(path)s is not empty: init makes a new site in an empty "
                                     "folder (--force writes into this one, keeping its files)",
                                     path=str(folder))))
    year = _fiscal_year()
    fields = load.parse_with_libyaml((STARTER / "example-indicator.yaml").read_text(
        encoding="utf-8"))
    example = f"content/indicators/{year}/{fields['code']}.yaml"
    fill = {"{version}": __version__, "{title}": folder.resolve().name, "{example}": example}
    texts = {target: _filled((STARTER / source).read_text(encoding="utf-8"), fill)
             for source, target in FILES.items()}
    texts["CONTRIBUTING.md"] = (THEME / "CONTRIBUTING.md").read_text(encoding="utf-8").replace(
        "python build.py", "kpisite")
    texts[example] = scaffold.indicator_text({**fields, "fiscal_year": year,
                                              "quarters": scaffold.EMPTY_QUARTERS})
    texts.update(_schemas())
    written = []
    for rel, text in texts.items():
        path = folder / rel
        if not path.exists():
            _write(path, text)
            written.append(path)
    return written


def upgrade(folder: Path) -> list[Path]:
    """Write this kpisite's schemas into the site in `folder` (what editors check against)."""
    if not (folder / "content" / "site.yaml").is_file():
        raise UsageError(bilingual(_("%(path)s holds no content/site.yaml: not a site",
                                     path=str(folder))))
    written = []
    for rel, text in _schemas().items():
        path = folder / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            _write(path, text)
            written.append(path)
    return written


def version_problems(root: Path, site_version: str | None) -> list[Problem]:
    """Warnings for a site made with a newer kpisite, or whose schema/ is another version's."""
    problems = []
    where = load.relative(root / "content" / "site.yaml", root)
    if site_version and _numbers(site_version) > _numbers(__version__):
        problems.append(Problem(where, None, "kpisite", bilingual(_(
            "the site was made with kpisite %(site)s, newer than this one (%(this)s): upgrade "
            "it (python -m pip install -U kpisite)", site=site_version, this=__version__)),
            "warning"))
    if root.resolve() != THEME.resolve() and (root / "schema").is_dir():
        stale = [rel for rel, text in _schemas().items() if not (root / rel).is_file()
                 or (root / rel).read_text(encoding="utf-8") != text]
        if stale:
            problems.append(Problem(load.relative(root / stale[0], root), None, "", bilingual(_(
                "the schemas for editors in schema/ are not this kpisite's (%(this)s): run "
                "kpisite init --upgrade . to write them", this=__version__)), "warning"))
    return problems


def _schemas() -> dict[str, str]:
    return {f"schema/{p.name}": p.read_text(encoding="utf-8")
            for p in sorted((THEME / "schema").glob("*.schema.json"))}


def _filled(text: str, fill: dict[str, str]) -> str:
    for key, value in fill.items():
        text = text.replace(key, value)
    return text


def _numbers(version: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split(".")[:3])


def _fiscal_year() -> int:
    from .thai import build_date
    from .thai import fiscal_year

    return fiscal_year(build_date())


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
