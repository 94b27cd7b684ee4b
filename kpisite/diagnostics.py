"""Problems found in content, and how they are printed (plain, or GitHub annotations)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from .i18n import _, bilingual

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file: where it is, which field, and what to do about it."""

    path: str  # relative to the project root, with forward slashes
    line: int | None
    field: str  # e.g. "quarters[2].score" (items counted from 1); "" for the whole file
    message: str
    severity: str = ERROR

    def plain(self) -> str:
        """`path:line: field: message` (the form editors and their tools understand), on one
        line: a line break or control character from the content is shown escaped, so that no
        content can start a line of its own (a CI runner reads "::error ..." as a command)."""
        where = f"{self.path}:{self.line}" if self.line else self.path
        tag = "" if self.severity == ERROR else bilingual(_("warning")) + ": "
        field = f"{self.field}: " if self.field else ""
        return _one_line(f"{where}: {tag}{field}{self.message}")

    def github(self) -> str:
        """A GitHub Actions workflow command that annotates the line in a pull request."""
        props = f"file={_escape_property(self.path)}"
        if self.line:
            props += f",line={self.line}"
        if self.field:
            props += f",title={_escape_property(self.field)}"
        return f"::{self.severity} {props}::{_escape_data(self.message)}"


class UsageError(Exception):
    """The command cannot do what was asked (exit status 2); the message says why."""


class ContentError(Exception):
    """The content has errors; nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in content")
        self.problems = problems


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """The problems that stop a build."""
    return [p for p in problems if p.severity == ERROR]


def promote(problems: Iterable[Problem]) -> list[Problem]:
    """`--strict`: every warning becomes an error."""
    return [Problem(p.path, p.line, p.field, p.message, ERROR) for p in problems]


def field_name(path: Iterable[object]) -> str:
    """A field path as editors read it: `quarters[2].score`, items counted from 1."""
    out = ""
    for part in path:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def report(problems: Iterable[Problem], fmt: str = "plain") -> str:
    """All problems, sorted by file and line, one per line, with a count at the end."""
    problems = sorted(set(problems), key=lambda p: (p.path, p.line or 0, p.field, p.message))
    lines = [p.github() if fmt == "github" else p.plain() for p in problems]
    n_err = len(errors(problems))
    n_warn = len(problems) - n_err
    if problems and fmt == "plain":
        lines.append(bilingual(_("%(errors)s error(s), %(warnings)s warning(s)", errors=n_err,
                                 warnings=n_warn)))
    return "\n".join(lines)


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    return _CONTROL.sub(lambda m: repr(m[0])[1:-1], text)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
