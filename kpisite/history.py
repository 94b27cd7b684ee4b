"""What changed, from git: each indicator's changes (date, message, which key facts changed),
the site's recent changes, and `diff` between two revisions in indicator terms.

git is asked twice per build, whatever the number of files: `git log --raw` for which file
versions (blobs) each commit made, and `git cat-file --batch` for the versions' text. The key
facts of a version are read from its YAML once (facts()), the same way for history and diff.
Without git (a tarball) everything still builds; the pages say there is no history.
"""
from __future__ import annotations

import datetime as dt
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from . import fields
from .i18n import N_, Message, standard, _
from .load import parse_yaml
from .model import fmt
from .thai import BANGKOK

RECENT = 30  # changes listed on the home page and in the feed
# Control characters are not text, and XML (the feed) cannot hold them: a commit message's
# own are dropped.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


@dataclass(frozen=True)
class Change:
    """One commit's change to one indicator file."""

    commit: str
    when: dt.datetime
    author: str
    message: str
    path: str  # relative to the project root
    facts: tuple[tuple[str, str, str], ...]  # (what, before, after) for the key facts that changed
    added: bool = False  # or published for the first time: what it was as a draft stays unsaid
    removed: bool = False
    published: bool = True  # the version this change made was published (a draft's is not shown)

    @property
    def date(self) -> dt.date:
        return self.when.astimezone(BANGKOK).date()


@dataclass
class History:
    """Every change to the indicator files, newest first; `available` False without git."""

    available: bool
    changes: list[Change] = field(default_factory=list)
    by_path: dict[str, list[Change]] = field(default_factory=dict)
    note: Message | None = None  # why there is no history

    def of(self, path: str) -> list[Change]:
        """The published changes of one file, newest first."""
        return [c for c in self.by_path.get(path, []) if c.published]

    def key(self, path: str) -> str:
        """What a page's history section depends on: the file's newest change (or its lack)."""
        changes = self.of(path)
        return changes[0].commit if changes else ("git" if self.available else "")

    def recent(self, public: Callable[[str], bool]) -> list[Change]:
        """The latest published changes to files that `public` allows (not today's drafts)."""
        return [c for c in self.changes if c.published and public(c.path)][:RECENT]


def _git(root: Path, *args: str, input: bytes | None = None) -> bytes:
    return subprocess.run(["git", "-C", str(root), *args], input=input, capture_output=True,
                          check=True).stdout


UNREADABLE = "unreadable"  # the value of the fact "file" for a version that is not valid YAML
MISSING = None  # compare(): a fact one version has and the other lacks (shown as "none")
EMPTY = ""  # a fact left empty in the file


def facts(text: str | None, texts: bool = False) -> dict[str, Any]:
    """The key facts (fields.HISTORY) of one version of an indicator file, by field path:
    "target", "quarters.3.result", "rubric.5". Values are language-neutral: numbers as
    recorded (fmt), EMPTY, True/False, or a tuple for facts made of parts. `texts`: every
    other public field as well (`diff` names each changed text with its old and new value)."""
    if text is None:
        return {}
    try:
        data = parse_yaml(text)
    except (yaml.YAMLError, ValueError, RecursionError):
        return {"file": UNREADABLE}
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {}
    for f in fields.FIELDS if texts else fields.HISTORY:
        value = data.get(f.name)
        if f.kind == "bool":
            out[f.name] = value is not False
        elif f.kind == "object":
            if isinstance(value, dict) and f.history:
                out[f.name] = tuple(_show(value.get(p.name)) for p in f.parts)
        elif f.kind == "rows":
            out.update(_row_facts(f, value, texts))
        elif f.history or (texts and f.public):
            out[f.name] = _show(value, as_text=f.kind in ("code", "year"))
    return out


def _row_facts(f: fields.Field, rows: Any, texts: bool = False) -> dict[str, Any]:
    """Facts of each row, named by the row's number (its first part: quarter, level): one
    fact a part (quarters), or one for the row (a rubric level); `texts`: the others too."""
    out = {}
    first, rest = f.parts[0], f.parts[1:]
    whole = [p for p in rest if not p.translation_of] if f.history else []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or not isinstance(row.get(first.name), int):
            continue
        n = row[first.name]
        if whole:
            out[f"{f.name}.{n}"] = tuple(_show(row.get(p.name)) for p in whole)
        for p in rest:
            if p in whole or not (p.history or (texts and p.public)):
                continue
            value = row.get(p.name)
            if p.kind == "pair":
                if isinstance(value, list) and len(value) == 2:
                    out[f"{f.name}.{n}.{p.name}"] = tuple(_show(v) for v in value)
            else:
                out[f"{f.name}.{n}.{p.name}"] = _show(value)
    return out


def _show(value: Any, as_text: bool = False) -> Any:
    """A value as the history shows it: numbers as recorded, codes and years as written."""
    if value in (None, ""):
        return EMPTY
    if isinstance(value, str) or as_text:
        return str(value).strip()
    if isinstance(value, list):  # evidence, projects, tags
        return "; ".join(str(v) for v in value) or EMPTY
    return fmt(value) if not isinstance(value, bool) else value


def compare(before: dict[str, Any], after: dict[str, Any]) -> tuple[tuple[str, Any, Any], ...]:
    """(fact, before, after) for each key fact that differs (MISSING where a version lacks it)."""
    keys = list(dict.fromkeys([*before, *after]))
    return tuple((k, before.get(k, MISSING), after.get(k, MISSING))
                 for k in keys if before.get(k, MISSING) != after.get(k, MISSING))


# -- the facts in words -------------------------------------------------------------------------

def fact_label(key: str, words) -> str:
    """A fact's name for readers: 'ค่าเป้าหมาย', 'ผลงานไตรมาสที่ 3'."""
    if key == "file":
        return words(N_("File"))
    name, _, rest = key.partition(".")
    f = row = fields.BY_NAME[name]
    n, _, part = rest.partition(".")
    if part:
        f = next(p for p in f.parts if p.name == part)
    if f.history:
        return words(f.history, n=n) if n else words(f.history)
    label = words(N_("%(field)s, in English"), field=words(f.label)) if f.translation_of \
        else words(f.label)  # a text (diff): its label, and which row it is in
    return f"{label} ({words(row.parts[0].label)} {n})" if n else label


def fact_value(key: str, value: Any, words) -> str:
    """A fact's value for readers."""
    if value is MISSING:
        return words(N_("(none)"))
    if value == UNREADABLE and key == "file":
        return words(N_("unreadable (invalid YAML)"))
    if isinstance(value, bool):
        return words(N_("yes")) if value else words(N_("no"))
    shown = lambda v: v if v != EMPTY else words(N_("(empty)"))  # noqa: E731
    if not isinstance(value, tuple):
        return shown(value)
    name = key.partition(".")[0]
    if name == "assessment":
        return words(N_("Q%(quarter)s: %(score)s"), quarter=shown(value[0]), score=shown(value[1]))
    if name == "rubric":
        return words(N_("%(description)s (%(weight)s percent)"), description=shown(value[0]),
                     weight=shown(value[1]))
    return " / ".join(shown(v) for v in value)  # a 2.1 / 2.2 pair


def change_line(fact: tuple[str, Any, Any], words) -> str:
    """'ผลงานไตรมาสที่ 3: 4.00 → 5.00'."""
    key, before, after = fact
    return f"{fact_label(key, words)}: {fact_value(key, before, words)} → " \
           f"{fact_value(key, after, words)}"


def _commits(root: Path, folder: str) -> list[tuple[str, int, str, str, list]]:
    """(commit, time, author, subject, its files' changes) of each commit that changed `folder`.

    Two logs, as neither can be mistaken for the other: the commits' facts, NUL after each of
    four fields (a subject may hold any character but NUL), and the changed files.
    """
    facts = _git(root, "log", "--no-renames", "-z", "--format=%H%x00%at%x00%an%x00%s", "--",
                 folder).decode("utf-8", "replace").split("\0")
    files: dict[str, list] = {}
    sha, meta = None, None
    for token in _git(root, "log", "--no-renames", "--raw", "--no-abbrev", "-z", "--format=%H",
                      "--", folder).decode("utf-8", "replace").split("\0"):
        if meta is not None:  # the path that follows an entry
            files[sha].append((meta.split(" ")[2], meta.split(" ")[3], token))
            meta = None
        elif _SHA.fullmatch(token.strip()):
            sha = token.strip()
            files[sha] = []
        elif token.strip().startswith(":"):
            meta = token.strip()[1:]
    commits = []
    for i in range(0, len(facts) - 3, 4):
        sha, stamp, author, subject = (part.lstrip("\n") for part in facts[i:i + 4])
        commits.append((sha, int(stamp), _CONTROL.sub("", author), _CONTROL.sub("", subject),
                        files.get(sha, [])))
    return commits


_SHA = re.compile("[0-9a-f]{40}")


def _raw(tokens: list[str]) -> list[tuple[str, str, str]]:
    """(old blob, new blob, path) of each entry of `git --raw -z --no-renames` output."""
    tokens = [t.strip("\n") for t in tokens if t.strip("\n")]
    return [(meta[1:].split(" ")[2], meta[1:].split(" ")[3], path)
            for meta, path in zip(tokens[0::2], tokens[1::2])]


def read_blobs(root: Path, ids: list[str]) -> dict[str, str]:
    """The text of many blobs, through one `git cat-file --batch`."""
    if not ids:
        return {}
    out = _git(root, "cat-file", "--batch", input="".join(f"{i}\n" for i in ids).encode())
    texts, pos = {}, 0
    for blob in ids:
        header_end = out.index(b"\n", pos)
        name, kind, size = out[pos:header_end].split(b" ")
        start = header_end + 1
        texts[blob] = out[start:start + int(size)].decode("utf-8", "replace")
        pos = start + int(size) + 1
    return texts


NULL_BLOB = "0" * 40


def load(project_root: Path, folder: Path, cache: dict[str, dict] | None = None) -> History:
    """The history of the files under `folder`; `cache` maps blob ids to their facts."""
    cache = {} if cache is None else cache
    try:
        top = Path(_git(project_root, "rev-parse", "--show-toplevel").decode().strip())
        commits = _commits(project_root, str(folder.resolve()))
    except (OSError, subprocess.CalledProcessError):
        return History(False, note=_("no git history: this site was built from files without "
                                     "a history of their changes"))
    prefix = project_root.resolve().relative_to(top.resolve()).as_posix()
    wanted = {b for *_, files in commits for old, new, _ in files for b in (old, new)
              if b != NULL_BLOB and b not in cache}
    for blob, text in read_blobs(project_root, sorted(wanted)).items():
        cache[blob] = facts(text)
    history = History(True)
    draft = lambda blob: cache.get(blob, {}).get("published") is False  # noqa: E731
    for sha, stamp, author, message, files in commits:
        when = dt.datetime.fromtimestamp(stamp, dt.timezone.utc)
        for old, new, path in files:
            rel = path[len(prefix) + 1:] if prefix not in ("", ".") else path
            removed, added = new == NULL_BLOB, old == NULL_BLOB or draft(old)
            change = Change(sha, when, author, message, rel,
                            () if added else compare(cache.get(old, {}), cache.get(new, {})),
                            added=added and not removed, removed=removed,
                            published=not draft(old if removed else new))
            history.changes.append(change)
            history.by_path.setdefault(rel, []).append(change)
    return history


def diff_markdown(project_root: Path, folder: Path, base: str, head: str = "HEAD") -> str:
    """What changed between two revisions, in indicator terms, as Markdown for a pull request."""
    words = standard("th")
    # The revisions are data, never options: `diff --output=FILE` would make git write a file.
    raw = _git(project_root, "diff", "--raw", "--no-abbrev", "-z", "--no-renames",
               "--end-of-options", base, head, "--", str(folder.resolve())).decode("utf-8",
                                                                                   "replace")
    entries = _raw(raw.split("\0"))
    texts = read_blobs(project_root, sorted({b for o, n, _ in entries for b in (o, n)
                                            if b != NULL_BLOB}))
    versions = {path: (facts(texts.get(old), texts=True), facts(texts.get(new), texts=True))
                for old, new, path in entries}
    identity = lambda f: (f.get("code"), f.get("fiscal_year"))  # noqa: E731
    gone = {identity(before): path for path, (before, after) in versions.items() if not after}
    added, changed = [], []
    for path, (before, after) in sorted(versions.items()):
        moved = not before and identity(after) in gone  # the same indicator in a new file
        if moved:
            moved_from = gone.pop(identity(after))
            before = versions[moved_from][0]
            path = f"{moved_from} → {path}"
        elif not before:
            target = fact_value("target", after.get("target", MISSING), words)
            added.append(words(N_("- %(title)s: target %(target)s"),
                               title=_title(after, path, words), target=target))
            continue
        elif not after:
            continue  # listed below, unless it was moved
        changed.append(_changes_table(_title(after, path, words), compare(before, after), moved,
                                      words))
    removed = [f"- {_title(versions[path][0], path, words)}" for path in sorted(gone.values())]
    out = [words(N_("## Changes to indicators (%(base)s...%(head)s)"), base=base, head=head), "",
           words(N_("added %(added)s · removed %(removed)s · changed %(changed)s"),
                 added=len(added), removed=len(removed), changed=len(changed)), ""]
    if not entries:
        out.append(words(N_("No indicator file changed")))
    if added:
        out += [words(N_("### Added")), *added, ""]
    if removed:
        out += [words(N_("### Removed")), *removed, ""]
    if changed:
        out += [words(N_("### Changed")), "", "\n\n".join(changed)]
    return "\n".join(out).rstrip() + "\n"


def _changes_table(title: str, rows: tuple, moved: bool, words) -> str:
    lines = [f"#### {title}", ""]
    if rows:
        lines += [words(N_("| Fact | Before | After |")), "| --- | --- | --- |"]
        lines += [f"| {_cell(fact_label(k, words))} | {_cell(fact_value(k, b, words))} | "
                  f"{_cell(fact_value(k, a, words))} |" for k, b, a in rows]
    else:
        lines.append(words(N_("File moved; the key numbers did not change")) if moved
                     else words(N_("No published fact changed (only the file's layout, its "
                                   "comments or the unpublished remarks)")))
    return "\n".join(lines)


def _title(f: dict[str, Any], path: str, words) -> str:
    year = f.get("fiscal_year", EMPTY)
    year = words(N_(", fiscal year %(year)s"), year=year) if year != EMPTY else ""
    return f"**{_cell(f.get('code') or '?')}** {_cell(f.get('name') or '')} (`{path}`{year})"


def _cell(text: str) -> str:
    """Text as itself in Markdown: its markup characters escaped, on one line."""
    return re.sub(r"([\\`*_\[\]<>|#!])", r"\\\1", text).replace("\n", " ")
