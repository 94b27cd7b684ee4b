"""The benchmark's Hugo site: the synthetic corpus as a Hugo project, for benchmark.py's
comparison (issue 25). bench/hugo/ holds its config and layouts: one page and one print page
per indicator, agency pages and their index, a home page with the strategy tree, a JSON
search index. Each indicator's YAML file becomes its page's front matter as it is (the same
input, byte for byte, but for two keys that Hugo reads itself), so both builds read the same
facts and render the same sections."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

LAYOUT = Path(__file__).with_name("hugo")
# Front matter keys Hugo gives a meaning of its own: `type` picks a layout, `published` is a
# date to Hugo.
OWN_KEYS = re.compile(r"^(type|published):", re.M)
AGENCY = re.compile(r'^agency: "?([^"\n]+)"?$', re.M)


def write_site(content: Path, site: Path) -> Path:
    """The Hugo project for the corpus in `content` (kpisite's content folder), in `site`."""
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(LAYOUT, site)
    (site / "data").mkdir()
    for name in ("strategy.yaml", "agencies.yaml"):
        shutil.copy(content / name, site / "data" / name)
    indicators = content / "indicators"
    for source in indicators.rglob("*.yaml"):
        text = OWN_KEYS.sub(r"kpi_\1:", source.read_text("utf-8"))
        page = site / "content" / "indicators" / source.relative_to(indicators).with_suffix(".md")
        page.parent.mkdir(parents=True, exist_ok=True)
        agency = AGENCY.search(text).group(1)
        page.write_text(f'---\n{text.rstrip()}\nagencies: ["{agency}"]\n---\n', "utf-8")
    return site


def build_command(site: Path, out: Path) -> list[str]:
    """Hugo's build of `site` into `out` (Debian's hugo package)."""
    return ["hugo", "--quiet", "--source", str(site), "--destination", str(out)]


def version() -> str:
    """Hugo's version, as `hugo version` says it (e.g. v0.111.3)."""
    words = subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.split()
    return words[1].split("+")[0] if len(words) > 1 else "hugo"
