"""Writing the output: into a staging folder inside the output folder, then swapped into place.

A failed or killed build leaves the previous site whole: nothing visible changes until every page
is written, and a swap cut short is completed by the next build. One build writes at a time
(a lock in the state folder). Nothing outside the output folder is written or deleted, and a
folder that is not empty and was not written by kpisite is refused.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, Union

from .diagnostics import UsageError
from .i18n import _, bilingual

STATE = ".kpisite"  # inside the output folder: marks it as ours, holds staging and the cache
MARKER = "output.json"  # written when a build has published a site here
LOCK = "lock"
JOURNAL = "commit.json"  # written while a build's staged site is being swapped into place

# What a page or file holds: its text, its bytes, or (a large download) its bytes in pieces, so
# that a build never holds the whole of it at once.
Content = Union[str, bytes, Iterable[bytes]]
PIECE = 1 << 20  # the size of the pieces a download is written in


def as_bytes(content: Content) -> bytes:
    if isinstance(content, str):
        return content.encode("utf-8")
    return content if isinstance(content, bytes) else b"".join(content)


def in_pieces(parts: Iterable[bytes], size: int = PIECE) -> Iterator[bytes]:
    """`parts` joined into pieces of about `size` bytes: a few writes, none of them huge."""
    return _grouped(parts, size, b"".join)


def encoded(texts: Iterable[str], size: int = PIECE) -> Iterator[bytes]:
    """`texts` in UTF-8, joined into pieces of about `size` characters."""
    return (piece.encode("utf-8") for piece in _grouped(texts, size, "".join))


def _grouped(parts: Iterable, size: int, join: Callable) -> Iterator:
    pending, length = [], 0
    for part in parts:
        pending.append(part)
        length += len(part)
        if length >= size:
            yield join(pending)
            pending, length = [], 0
    if pending:
        yield join(pending)


def separated(parts: Iterable[bytes], separator: bytes) -> Iterator[bytes]:
    """`parts` with `separator` between them, as separator.join(parts) would put it."""
    for i, part in enumerate(parts):
        yield separator + part if i else part


class OutputError(UsageError):
    """The output folder cannot be used (a usage error, not a content error)."""

    def __init__(self, message):
        super().__init__(bilingual(message))


def check_output_dir(out: Path, around: list[Path], inside: list[Path]) -> None:
    """Refuse an output folder that holds other people's files, contains any of `around`, or
    lies inside any of `inside` (content/ and the theme, which the preview server watches)."""
    out = out.resolve()
    for p in around:
        p = p.resolve()
        if out == p or p.is_relative_to(out):
            raise OutputError(_("%(out)s cannot be the output folder: it would contain %(path)s",
                                out=str(out), path=str(p)))
    for p in inside:
        if out.is_relative_to(p.resolve()):
            raise OutputError(_("%(out)s cannot be the output folder: it is inside %(path)s",
                                out=str(out), path=str(p)))
    if out.exists() and not out.is_dir():
        raise OutputError(_("%(out)s is not a folder", out=str(out)))
    blocked = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocked is not None:
        raise OutputError(_("%(out)s cannot be the output folder: %(file)s is a file, not a "
                            "folder", out=str(out), file=str(blocked)))
    if out.is_dir() and any(p.name != STATE for p in out.iterdir()) and not has_site(out):
        raise OutputError(_("the folder %(out)s holds files and was not made by kpisite: it is not "
                            "overwritten", out=str(out)))


def safe_join(base: Path | str, rel: str) -> str:
    """`base/rel`, refusing any path that would land outside `base` (string work: hot path)."""
    parts = rel.split("/")
    if not rel or rel.startswith("/") or "\\" in rel or "\0" in rel or ".." in parts or "" in parts:
        raise OutputError(_("unsafe output path: %(path)s", path=repr(rel)))
    return os.path.join(base, rel)


@contextmanager
def locked(out: Path):
    """One writer at a time in an output folder (a build, or the preview server's update)."""
    while True:
        (out / STATE).mkdir(parents=True, exist_ok=True)
        lock = open(out / STATE / LOCK, "w")
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits for the other build to finish
        try:  # that build may have removed the folder (it found no site): lock the new one
            if os.fstat(lock.fileno()).st_ino == os.stat(out / STATE / LOCK).st_ino:
                break
        except FileNotFoundError:
            pass
        lock.close()
    try:
        yield
    finally:
        lock.close()


def has_site(out: Path) -> bool:
    """Whether a build has published a site in `out` (then a failed build leaves it be)."""
    return (out / STATE / MARKER).is_file()


def recover(out: Path) -> None:
    """Finish what a stopped build left: a commit under way (its journal says what it was
    publishing) is completed; staging folders, old entries and temporary files go."""
    state = out / STATE
    journal = state / JOURNAL
    if journal.is_file():
        try:
            entry = json.loads(journal.read_text(encoding="utf-8"))
            _swap(out, state / entry["stage"], state / entry["old"], entry["entries"])
            _finish(out, entry)
        except (OSError, ValueError, KeyError, TypeError):
            journal.unlink(missing_ok=True)  # a journal cut short: its commit never began
    for stale in [*state.glob("old-*"), *state.glob("stage-*")]:
        shutil.rmtree(stale, ignore_errors=True)
    for stale in state.glob("*.tmp"):
        stale.unlink(missing_ok=True)


def _swap(out: Path, stage: Path, old: Path, entries: list[str]) -> None:
    """Move the staged `entries` into `out` and what they replace into `old`; run again after a
    stop, it carries on where it was."""
    old.mkdir(exist_ok=True)
    for current in out.iterdir():
        if current.name != STATE and current.name not in entries:
            current.rename(old / current.name)  # a page of an indicator that is gone
    for name in entries:
        if not (stage / name).exists():
            continue  # moved in already
        current = out / name
        if (current.exists() or current.is_symlink()) and not (old / name).exists():
            current.rename(old / name)
        elif current.exists():
            shutil.rmtree(current) if current.is_dir() else current.unlink()
        (stage / name).rename(current)


def _finish(out: Path, entry: dict) -> None:
    """The commit's last steps: its cache and the marker of a published site, then no journal."""
    state = out / STATE
    cache = entry.get("cache")
    if cache and (state / cache).is_file():
        os.replace(state / cache, state / entry["cache_name"])
    (state / MARKER).write_text(json.dumps({"generator": "kpisite"}) + "\n")
    (state / JOURNAL).unlink(missing_ok=True)


class Writer:
    """Writes pages into a folder (a build's staging folder; workers make their own Writer)."""

    def __init__(self, folder: Path | str):
        self.dir = Path(folder)
        self._made: set[str] = set()  # folders already made

    def path(self, rel: str) -> str:
        target = safe_join(self.dir, rel)
        parent = os.path.dirname(target)
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        return target

    def write(self, rel: str, content: Content) -> None:
        pieces = [as_bytes(content)] if isinstance(content, (str, bytes)) else content
        path = self.path(rel)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        try:
            fd = os.open(path, flags, 0o644)
        except FileExistsError:
            # A page reused from the live site is a hard link to it: writing through it would
            # change the live page. Replace the link instead.
            os.unlink(path)
            fd = os.open(path, flags, 0o644)
        try:  # unbuffered: three system calls a page, where Path.write_bytes makes eight
            for piece in pieces:
                os.write(fd, piece)
        finally:
            os.close(fd)


class Staging(Writer):
    """A build's output, written aside and published by `commit()` in one swap per entry.

    Hold the output folder's lock (`locked`), and `recover()` under it, before creating it.
    """

    def __init__(self, out: Path):
        self.out, self.state = out, out / STATE
        self.state.mkdir(parents=True, exist_ok=True)
        super().__init__(self.state / f"stage-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        self.dir.mkdir()
        self.committing = False

    def copy_tree(self, source: Path, rel: str) -> None:
        shutil.copytree(source, safe_join(self.dir, rel), dirs_exist_ok=True)

    def abort(self) -> None:
        if self.committing:  # the journal is written: the commit is finished, not undone
            recover(self.out)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def commit(self, cache: Path | None = None, cache_name: str = "") -> None:
        """Swap the staged entries into the output folder and put `cache` in place as
        `cache_name`; then drop the old entries. A journal written first lets the next build
        finish a commit stopped halfway (recover); Ctrl+C waits for the swap."""
        old = self.state / f"old-{self.dir.name[6:]}"
        entry = {"stage": self.dir.name, "old": old.name, "entries": sorted(
            p.name for p in self.dir.iterdir()), "cache": cache.name if cache else None,
            "cache_name": cache_name}
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            journal = self.state / f"{JOURNAL}.{os.getpid()}.tmp"
            journal.write_text(json.dumps(entry), encoding="utf-8")
            os.replace(journal, self.state / JOURNAL)
            self.committing = True
            _swap(self.out, self.dir, old, entry["entries"])
            _finish(self.out, entry)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)


class Direct:
    """Writes straight into a built output folder (the preview server's small updates).

    Each file is replaced by a rename, never rewritten in place: pages reused by a build are
    hard links shared with the previous build, and a half-written page is never served.
    """

    def __init__(self, out: Path):
        self.out = out

    def write(self, rel: str, content: Content) -> bool:
        """Write `rel` unless it already holds exactly `content`; True if written."""
        data = as_bytes(content)
        target = Path(safe_join(self.out, rel))
        try:
            if target.read_bytes() == data:
                return False
        except OSError:
            target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        return True

    def remove(self, rel: str) -> None:
        Path(safe_join(self.out, rel)).unlink(missing_ok=True)


class Deferred:
    """Collects writes and removals for Direct, to apply only once the content has no errors."""

    def __init__(self, changes: dict[str, str | bytes | None]):
        self.changes = changes  # path -> content, or None to remove

    def write(self, rel: str, content: Content) -> None:
        self.changes[rel] = content if isinstance(content, str) else as_bytes(content)

    def copy_trees(self, sources: list[Path], rel: str, out: Path) -> None:
        """Copy `sources` to `out/rel` (a later one's file over an earlier one's), removing
        there the files none of them has any more."""
        wanted = {f"{rel}/{p.relative_to(source).as_posix()}": p for source in sources
                  for p in (source.rglob("*") if source.is_dir() else ()) if p.is_file()}
        for path, origin in wanted.items():
            self.write(path, origin.read_bytes())
        here = Path(safe_join(out, rel))
        for path in here.rglob("*") if here.is_dir() else ():
            name = f"{rel}/{path.relative_to(here).as_posix()}"
            if path.is_file() and name not in wanted:
                self.changes.setdefault(name, None)

    def apply(self, out: Direct, keep: Callable[[], set[str]]) -> list[str]:
        """Write everything to `out`; remove what no file still produces (not in `keep()`)."""
        written, kept = [], None
        for rel, content in sorted(self.changes.items()):
            if content is None:
                kept = keep() if kept is None else kept  # only asked for when needed
                if rel not in kept:
                    out.remove(rel)
            elif out.write(rel, content):
                written.append(rel)
        self.changes.clear()
        return written
