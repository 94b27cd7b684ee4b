"""kpisite installed as a wheel: `kpisite init` makes a site any city can build, a site's own
templates, static files and words replace kpisite's, and this repository builds the same site
with the wheel as with `python build.py`."""
from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, soup, text_of
from kpisite import __version__, cli, gather, publish
from kpisite.incremental import Preview

FOOTER = """<footer class="site-footer"><div class="wrap"><p>ท้ายหน้าของเมืองทดสอบ (synthetic)</p>
</div></footer>
"""


def run(*args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=600, env=env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with kpisite's wheel installed (not editable): its bin/."""
    where = tmp_path_factory.mktemp("install")
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", where / "dist",
                REPO, cwd=where)
    assert built.returncode == 0, built.stderr
    (wheel,) = (where / "dist").glob("kpisite-*.whl")
    assert run(sys.executable, "-m", "venv", where / "venv", cwd=where).returncode == 0
    bin_dir = where / "venv/bin"
    done = run(bin_dir / "python", "-m", "pip", "install", "-q", wheel, cwd=where)
    assert done.returncode == 0, done.stderr
    return bin_dir


def clean_env() -> dict:
    """The environment without anything that would put this repository on sys.path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


@pytest.mark.slow
def test_the_wheel_makes_a_new_site_and_builds_it(installed, tmp_path):
    env = clean_env()
    where_from = run(installed / "python", "-c", "import kpisite; print(kpisite.THEME)",
                     cwd=tmp_path, env=env)
    assert "site-packages/kpisite/_theme" in where_from.stdout  # not this repository
    for command in ([installed / "kpisite", "--version"],
                    [installed / "python", "-m", "kpisite", "--version"]):
        done = run(*command, cwd=tmp_path, env=env)
        assert done.returncode == 0 and done.stdout.strip() == f"kpisite {__version__}"

    site = tmp_path / "city"
    done = run(installed / "kpisite", "init", site, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    for rel in ("README.md", "CONTRIBUTING.md", ".gitignore", ".github/workflows/site.yml",
                ".github/CODEOWNERS", ".vscode/settings.json", "content/site.yaml",
                "content/agencies.yaml", "content/strategy.yaml", "schema/indicator.schema.json"):
        assert (site / rel).is_file(), rel
    assert "kpisite build" in (site / "README.md").read_text(encoding="utf-8")
    (example,) = (site / "content/indicators").rglob("*.yaml")
    assert "ตัวอย่าง" in example.read_text(encoding="utf-8")
    again = run(installed / "kpisite", "init", site, cwd=tmp_path, env=env)
    assert again.returncode == 2 and "not empty" in again.stderr

    done = run(installed / "kpisite", "build", "--strict", cwd=site, env=env)
    assert done.returncode == 0, done.stderr
    page = soup(site / "site/indicators" / example.parent.name / f"{example.stem}.html")
    assert "ตัวชี้วัดตัวอย่าง" in text_of(page.h1)
    assert (site / "site/static/site.css").is_file()
    assert (site / "site/static/fonts/OFL.txt").is_file()  # the fonts travel with their licence
    assert (site / "site/admin/decap-cms.js").stat().st_size > 1_000_000  # the editor form
    assert (site / "site/admin/LICENSE").is_file()
    assert run(installed / "kpisite", "format", "--check", cwd=site, env=env).returncode == 0

    (site / "templates").mkdir()
    (site / "templates/_footer.html").write_text(FOOTER, encoding="utf-8")
    (site / "static").mkdir()
    (site / "static/custom.css").write_text(":root { --brand: #7a1f2b; }\n", encoding="utf-8")
    done = run(installed / "kpisite", "build", cwd=site, env=env)
    assert done.returncode == 0, done.stderr
    for rel in ("index.html", f"indicators/{example.parent.name}/{example.stem}.html"):
        assert "ท้ายหน้าของเมืองทดสอบ" in text_of(soup(site / "site" / rel).footer), rel
    assert "#7a1f2b" in (site / "site/static/custom.css").read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_wheel_builds_this_repository_as_build_py_does(installed, tmp_path):
    env = {**clean_env(), "SOURCE_DATE_EPOCH": "1795392000"}
    by_wheel, by_script = tmp_path / "wheel", tmp_path / "script"
    done = run(installed / "kpisite", "build", "--out", by_wheel, cwd=REPO, env=env)
    assert done.returncode == 0, done.stderr
    done = run(sys.executable, REPO / "build.py", "build", "--out", by_script, cwd=REPO, env=env)
    assert done.returncode == 0, done.stderr
    assert differences(by_wheel, by_script) == []


def differences(a: Path, b: Path) -> list[str]:
    """Files that differ or exist on one side only (the build's own cache aside)."""
    found = []

    def walk(cmp: filecmp.dircmp, rel: str) -> None:
        found.extend(f"{rel}{n}" for n in cmp.left_only + cmp.right_only + cmp.diff_files
                     + cmp.funny_files if n != ".kpisite")
        for name, sub in cmp.subdirs.items():
            if name != ".kpisite":
                walk(sub, f"{rel}{name}/")
    walk(filecmp.dircmp(a, b, ignore=[]), "")
    # dircmp compares by size and time first: compare the contents of every file too
    for path in a.rglob("*"):
        rel = path.relative_to(a)
        if path.is_file() and ".kpisite" not in rel.parts and (b / rel).is_file() and \
                path.read_bytes() != (b / rel).read_bytes():
            found.append(str(rel))
    return sorted(set(found))


def test_a_sites_templates_static_files_and_words_replace_kpisites(project, tmp_path):
    root = project.content.parent
    (root / "templates").mkdir()
    (root / "templates/_footer.html").write_text(FOOTER, encoding="utf-8")
    (root / "static").mkdir()
    (root / "static/custom.css").write_text(":root { --brand: #7a1f2b; }\n", encoding="utf-8")
    (root / "locale").mkdir()
    (root / "locale/th.po").write_text('msgid "Search"\nmsgstr "ค้นหาตัวชี้วัดของเมือง"\n',
                                       encoding="utf-8")
    out = tmp_path / "site"
    publish.build(project, out)
    page = soup(out / "indicators/2564/5042-2007.html")
    assert "ท้ายหน้าของเมืองทดสอบ" in text_of(page.footer)
    assert "ค้นหาตัวชี้วัดของเมือง" in text_of(page.header)
    assert "#7a1f2b" in (out / "static/custom.css").read_text(encoding="utf-8")
    assert (out / "static/site.css").is_file()  # the rest of kpisite's static files stay
    default = publish.build(gather.Project(REPO / "content"), tmp_path / "default")
    assert default and "ท้ายหน้าของเมืองทดสอบ" not in (
        tmp_path / "default/index.html").read_text(encoding="utf-8")


def test_the_preview_follows_edits_of_a_sites_own_templates(project, tmp_path):
    root = project.content.parent
    preview = Preview(project, tmp_path / "site")
    preview.build()
    page = tmp_path / "site/indicators/2564/5042-2007.html"
    assert "ท้ายหน้าของเมืองทดสอบ" not in page.read_text(encoding="utf-8")
    (root / "templates").mkdir()
    footer = root / "templates/_footer.html"
    footer.write_text(FOOTER, encoding="utf-8")
    preview.update({footer})
    assert "ท้ายหน้าของเมืองทดสอบ" in text_of(soup(page).footer)
    footer.unlink()  # back to kpisite's own
    preview.update({footer})
    assert "ท้ายหน้าของเมืองทดสอบ" not in page.read_text(encoding="utf-8")


def test_init_refuses_a_folder_in_use_and_upgrade_writes_the_schemas(tmp_path, capsys):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    assert cli.main(["init", str(busy)]) == 2
    assert "not empty" in capsys.readouterr().err and not (busy / "content").exists()
    assert cli.main(["init", str(busy), "--force"]) == 0
    assert (busy / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (busy / "content/site.yaml").is_file()

    schema = busy / "schema/indicator.schema.json"
    schema.write_text("{}", encoding="utf-8")  # as an older kpisite's would differ
    assert cli.main(["check", "--content", str(busy / "content")]) == 0
    assert "kpisite init --upgrade" in capsys.readouterr().err
    assert cli.main(["init", "--upgrade", str(busy)]) == 0
    assert schema.read_text(encoding="utf-8") == (REPO / "schema/indicator.schema.json") \
        .read_text(encoding="utf-8")
    site_yaml = busy / "content/site.yaml"
    site_yaml.write_text(site_yaml.read_text(encoding="utf-8").replace(
        f'kpisite: "{__version__}"', 'kpisite: "99.0"'), encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["check", "--content", str(busy / "content")]) == 0
    err = capsys.readouterr().err
    assert "99.0" in err and "upgrade" in err and "--upgrade" not in err


def test_the_starter_editor_settings_are_this_repositorys():
    assert (REPO / "kpisite/starter/vscode-settings.json").read_text(encoding="utf-8") == (
        REPO / ".vscode/settings.json").read_text(encoding="utf-8")
