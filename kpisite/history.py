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
from typing import Callable

import yaml

from .load import parse_yaml
from .model import fmt
from .thai import BANGKOK
RECENT = 30  # changes listed on the home page and in the feed


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
    note: str = ""

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


def facts(text: str | None) -> dict[str, str]:
    """The key facts of one version of an indicator file, labelled in Thai."""
    if text is None:
        return {}
    try:
        data = parse_yaml(text)
    except (yaml.YAMLError, ValueError, RecursionError):
        return {"ไฟล์": "อ่านไม่ได้ (YAML ไม่ถูกต้อง)"}
    if not isinstance(data, dict):
        return {}
    show = lambda v: "(ว่าง)" if v in (None, "") else (fmt(v) if not isinstance(v, str) else v)  # noqa
    text = lambda v: "(ว่าง)" if v in (None, "") else str(v)  # noqa: E731 (codes, years: no 1,000s)
    out = {"รหัส": text(data.get("code")), "ปีงบประมาณ": text(data.get("fiscal_year")),
           "ชื่อ": show(data.get("name")), "ค่าเป้าหมาย": show(data.get("target")),
           "ผลงานที่ทำได้": show(data.get("achieved")), "หน่วย": show(data.get("unit")),
           "ทิศทาง": show(data.get("direction")),
           "เผยแพร่": "ไม่" if data.get("published") is False else "ใช่"}
    assessment = data.get("assessment")
    if isinstance(assessment, dict):
        out["ผลการตรวจประเมินของ สยป."] = (f"ไตรมาสที่ {show(assessment.get('quarter'))}: "
                                         f"{show(assessment.get('score'))}")
    for q in data.get("quarters") or []:
        if isinstance(q, dict) and isinstance(q.get("quarter"), int):
            n = q["quarter"]
            out[f"ผลงานไตรมาสที่ {n}"] = show(q.get("result"))
            out[f"ผลประเมินไตรมาสที่ {n}"] = show(q.get("score"))
            pair = q.get("pair")
            if isinstance(pair, list) and len(pair) == 2:
                out[f"คะแนน 2.1 / 2.2 ไตรมาสที่ {n}"] = f"{show(pair[0])} / {show(pair[1])}"
    for r in data.get("rubric") or []:
        if isinstance(r, dict) and "level" in r:
            out[f"เกณฑ์ระดับ {r['level']}"] = f"{show(r.get('description'))} (ร้อยละ {show(r.get('weight'))})"
    return out


def compare(before: dict[str, str], after: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    """(what, before, after) for each key fact that differs."""
    keys = list(dict.fromkeys([*before, *after]))
    return tuple((k, before.get(k, "(ไม่มี)"), after.get(k, "(ไม่มี)"))
                 for k in keys if before.get(k) != after.get(k))


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
        log = _git(project_root, "log", "--no-renames", "--raw", "--no-abbrev", "-z",
                   "--format=%x1e%H%x1f%at%x1f%an%x1f%s", "--", str(folder.resolve()))
    except (OSError, subprocess.CalledProcessError):
        return History(False, note="ไม่มีประวัติจาก git: เว็บไซต์นี้สร้างจากไฟล์ที่ไม่มีประวัติการแก้ไข "
                                   "(no git history: built from files without it)")
    prefix = project_root.resolve().relative_to(top.resolve()).as_posix()
    commits = []
    for chunk in log.decode("utf-8", "replace").split("\x1e")[1:]:
        tokens = chunk.split("\0")
        sha, stamp, author, message = tokens[0].strip("\n").split("\x1f", 3)
        commits.append((sha, int(stamp), author, message, _raw(tokens[1:])))
    wanted = {b for *_, files in commits for old, new, _ in files for b in (old, new)
              if b != NULL_BLOB and b not in cache}
    for blob, text in read_blobs(project_root, sorted(wanted)).items():
        cache[blob] = facts(text)
    history = History(True)
    draft = lambda blob: cache.get(blob, {}).get("เผยแพร่") == "ไม่"  # noqa: E731
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
    raw = _git(project_root, "diff", "--raw", "--no-abbrev", "-z", "--no-renames", base, head,
               "--", str(folder.resolve())).decode("utf-8", "replace")
    entries = _raw(raw.split("\0"))
    texts = read_blobs(project_root, sorted({b for o, n, _ in entries for b in (o, n)
                                            if b != NULL_BLOB}))
    versions = {path: (facts(texts.get(old)), facts(texts.get(new))) for old, new, path in entries}
    identity = lambda f: (f.get("รหัส"), f.get("ปีงบประมาณ"))  # noqa: E731
    gone = {identity(before): path for path, (before, after) in versions.items() if not after}
    added, removed, changed = [], [], []
    for path, (before, after) in sorted(versions.items()):
        moved = not before and identity(after) in gone  # the same indicator in a new file
        if moved:
            moved_from = gone.pop(identity(after))
            before = versions[moved_from][0]
            path = f"{moved_from} → {path}"
        elif not before:
            added.append(f"- {_title(after, path)}: ค่าเป้าหมาย {after.get('ค่าเป้าหมาย', '-')}")
            continue
        elif not after:
            continue  # listed below, unless it was moved
        rows = compare(before, after)
        lines = [f"#### {_title(after, path)}", ""]
        if rows:
            lines += ["| ข้อมูล | เดิม | ใหม่ |", "| --- | --- | --- |"]
            lines += [f"| {_cell(w)} | {_cell(b)} | {_cell(a)} |" for w, b, a in rows]
        else:
            lines.append("ย้ายไฟล์ ตัวเลขหลักไม่เปลี่ยน" if moved else "แก้ไขข้อความ (ตัวเลขหลักไม่เปลี่ยน)")
        changed.append("\n".join(lines))
    removed = [f"- {_title(versions[path][0], path)}" for path in sorted(gone.values())]
    out = [f"## การเปลี่ยนแปลงตัวชี้วัด ({base}...{head})", "",
           f"เพิ่ม {len(added)} · ลบ {len(removed)} · แก้ไข {len(changed)}", ""]
    if not entries:
        out.append("ไม่มีการเปลี่ยนแปลงไฟล์ตัวชี้วัด")
    if added:
        out += ["### เพิ่ม", *added, ""]
    if removed:
        out += ["### ลบ", *removed, ""]
    if changed:
        out += ["### แก้ไข", "", "\n\n".join(changed)]
    return "\n".join(out).rstrip() + "\n"


def _title(f: dict[str, str], path: str) -> str:
    year = f.get("ปีงบประมาณ", "")
    year = f", ปีงบประมาณ {year}" if year and year != "(ว่าง)" else ""
    return f"**{_cell(f.get('รหัส', '?'))}** {_cell(f.get('ชื่อ', ''))} (`{path}`{year})"


def _cell(text: str) -> str:
    """Text as itself in Markdown: its markup characters escaped, on one line."""
    return re.sub(r"([\\`*_\[\]<>|#!])", r"\\\1", text).replace("\n", " ")
