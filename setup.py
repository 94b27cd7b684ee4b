"""The wheel carries the default theme: this repository's templates/, static/ and schema/, the
editor form's pinned bundle (editor/, without node_modules), and CONTRIBUTING.md (which `kpisite init` gives a new site), copied into kpisite/_theme/ (see
kpisite.THEME). Everything else is in pyproject.toml."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

THEME = ("templates", "static", "schema", "editor", "CONTRIBUTING.md")


class BuildWithTheme(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib, "kpisite", "_theme")
        shutil.rmtree(target, ignore_errors=True)  # build/ outlives a build: nothing stale
        for name in THEME:
            source = Path(name)
            if source.is_dir():
                shutil.copytree(source, target / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("node_modules"))
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithTheme})
