"""`kpisite codeowners`: who reviews each indicator file, from agencies.yaml's `reviewers`.

The git host asks the owners of a changed file to review a pull request (GitHub and GitLab
read CODEOWNERS), so a quarterly update saved in the editor form reaches the agency's own
reviewers. The lines are generated between two marker lines; the maintainers' own lines
(the theme, the schemas and the workflow are code) stay as they are.
"""
from __future__ import annotations

from pathlib import Path

BEGIN = "# kpisite: the agencies' reviewers (made by `kpisite codeowners` from agencies.yaml)"
END = "# kpisite: end of the agencies' reviewers"


def lines(site, indicators, folder: str = "") -> list[str]:
    """A line for each indicator file of an agency that names reviewers."""
    prefix = f"/{folder}/" if folder else "/"
    out = []
    for ind in sorted(indicators, key=lambda i: i.source):
        agency = site.agency(ind.agency)
        if agency and agency.reviewers:
            out.append(f"{prefix}{ind.source} {' '.join(agency.reviewers)}")
    return out


def updated(text: str, generated: list[str]) -> str:
    """`text` (a CODEOWNERS file) with its generated block replaced, or added at the end:
    later lines win in CODEOWNERS, so the agencies' reviewers come after the general ones."""
    block = [BEGIN, *generated, END]
    old = text.splitlines()
    if BEGIN in old and END in old[old.index(BEGIN):]:
        start = old.index(BEGIN)
        end = old.index(END, start)
        kept = old[:start] + block + old[end + 1:]
    else:
        kept = old + ([""] if old and old[-1] else []) + block
    return "\n".join(kept) + "\n"


def path_of(top: Path) -> Path:
    return top / ".github" / "CODEOWNERS"
