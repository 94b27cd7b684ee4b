"""The preview server: `python build.py serve`. Builds, serves the output folder with
livereload, and after every saved edit updates only what the edit touches and reloads the page.

The operating system says which files changed (watchdog: inotify, FSEvents, ...; a scan of
every file every 0.8 s where it cannot); the events of one save (an editor's temporary file
and rename, a burst of writes) are taken together once they have been quiet for QUIET. The
edited indicator's own pages are written first and the tabs showing them reload; the site's
pages that show the edit too (lists, indexes, downloads) follow from a child process, and each
tab reloads when its page is written.

While the content has errors the browser shows a page that lists them (file, line, field,
message); fixing the files brings the site back. Only the output folder is served (not its
.kpisite state); nothing is written outside it. Changes to the code itself need a restart.
"""
from __future__ import annotations

import gc
import json
import logging
import mimetypes
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from urllib.parse import unquote, urlsplit

import livereload.server
from livereload import Server
from livereload.server import LiveScriptInjector
from livereload.handlers import LiveReloadHandler, StaticFileHandler
from livereload.watcher import Watcher
from tornado.ioloop import IOLoop
from tornado.web import HTTPError
from watchdog.events import (EVENT_TYPE_CLOSED, EVENT_TYPE_CLOSED_NO_WRITE, EVENT_TYPE_CREATED,
                             EVENT_TYPE_DELETED, EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED,
                             EVENT_TYPE_OPENED, FileSystemEventHandler)
from watchdog.observers import Observer

from . import editor
from .diagnostics import ContentError, UsageError, report
from .load import find_yaml_files, relative
from .pages import EDITOR_FOLDER
from .scaffold import LANGUAGE
from .tidy import formatted, write
from .i18n import _, bilingual, standard
from .incremental import Preview
from .render import error_page
from .workers import forked
from .write import STATE, Direct, locked, safe_join

QUIET = 0.008  # seconds without a file event before a save is read: one save is a burst
PATIENCE = 2.0  # seconds at most to wait for a file still open for writing to be closed
LATER = 0.5  # seconds after a save before the site's pages: the tabs reload first (one core each)
EVERY_TAB = None  # what Session.rebuild says when every open tab should reload


def _ignored_folder(name: str) -> bool:
    return name.startswith((".", "__"))


def _ignored_file(name: str) -> bool:  # editors' swap, backup and temporary files
    return name.startswith(".") or name.endswith(("~", ".swp", ".tmp"))


def _stat(path: Path) -> tuple[int, int] | None:
    """A file's time and size; None when there is no such file (or it is a folder)."""
    try:
        st = path.stat()
    except OSError:  # removed while we looked
        return None
    return None if stat.S_ISDIR(st.st_mode) else (st.st_mtime_ns, st.st_size)


def watched(path: Path, folders: list[Path]) -> bool:
    """Whether `path` is a file the preview watches: in one of `folders`, not an editor's."""
    folder = next((f for f in folders if path.is_relative_to(f)), None)
    return folder is not None and not _ignored_file(path.name) and not any(
        _ignored_folder(part) for part in path.relative_to(folder).parts[:-1])


class Scanner:
    """Which watched files were added, changed or removed since the last look: all of them
    (`changes`, a walk of every folder), or of the paths that file events named (`recheck`)."""

    def __init__(self, folders: list[Path]):
        self.folders = folders
        self.seen = self._snapshot()

    def _snapshot(self) -> dict[Path, tuple[int, int]]:
        state = {}
        for folder in self.folders:
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = [d for d in dirnames if not _ignored_folder(d)]
                for name in filenames:
                    path = Path(dirpath, name)
                    if not _ignored_file(name) and (found := _stat(path)) is not None:
                        state[path] = found
        return state

    def changes(self) -> set[Path]:
        now = self._snapshot()
        changed = {p for p in now.keys() | self.seen.keys() if now.get(p) != self.seen.get(p)}
        self.seen = now
        return changed

    def recheck(self, paths: set[Path]) -> set[Path]:
        """Those of `paths` that were added, changed or removed (in the watched folders)."""
        changed = set()
        for path in paths:
            if not watched(path, self.folders):
                continue
            now = _stat(path)
            if now != self.seen.get(path):
                changed.add(path)
                if now is None:
                    self.seen.pop(path, None)
                else:
                    self.seen[path] = now
        return changed


class FileEvents(FileSystemEventHandler):
    """The operating system's word on which files under `folders` changed (watchdog, in its
    own thread): the paths named, and whether a folder came, moved or went (then all is
    scanned). Where the system says when a file written is closed (inotify), a file still
    open for writing is not read yet. A folder that does not exist yet (a site's own
    templates/) is watched for from its parent."""

    def __init__(self, folders: list[Path], heard):
        self.paths: set[Path] = set()
        self.writing: dict[Path, float] = {}  # open for writing since (time.monotonic)
        self.rescan, self.lock, self.heard = False, threading.Lock(), heard
        self.observer, self.folders, self.watched = Observer(), folders, {}
        # Linux's inotify says when a file open for writing is closed; FSEvents and the
        # others do not (their module does not import on Linux, so the name is compared).
        self.closes_said = type(self.observer).__name__ == "InotifyObserver"

    def start(self) -> bool:
        """False where the system gives no events (or no more watches): then poll."""
        try:
            self.watch()
            self.observer.start()
        except OSError:
            return False
        return True

    def watch(self) -> None:
        """Watch each folder, or the parent of one not made yet."""
        for folder in self.folders:
            where, recursive = (folder, True) if folder.is_dir() else (folder.parent, False)
            if self.watched.get(folder) != where and where.is_dir():
                self.observer.schedule(self, str(where), recursive=recursive)
                self.watched[folder] = where

    def on_any_event(self, event) -> None:
        kind = event.event_type
        if kind in (EVENT_TYPE_OPENED, EVENT_TYPE_CLOSED_NO_WRITE):
            return  # read, not written
        named = [Path(os.fsdecode(p)) for p in (event.src_path, event.dest_path) if p]
        if event.is_directory:  # its files are not named one by one
            if kind != EVENT_TYPE_MODIFIED and any(
                    path.is_relative_to(folder) for path in named for folder in self.folders):
                with self.lock:
                    self.rescan = True
                self.heard()
            return
        named = [path for path in named if watched(path, self.folders)]  # not a swap file
        if named:
            with self.lock:
                self.paths.update(named)
                self._note_writing(kind, named)
            self.heard()

    def _note_writing(self, kind: str, named: list[Path]) -> None:
        if not self.closes_said:
            return
        if kind in (EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED):  # open until its close is said
            self.writing.setdefault(named[0], time.monotonic())
        elif kind in (EVENT_TYPE_CLOSED, EVENT_TYPE_MOVED, EVENT_TYPE_DELETED):
            self.writing.pop(named[0], None)

    def take(self) -> tuple[set[Path], bool] | None:
        """The paths named since the last time, and whether to scan everything (a folder
        that came is watched from now on); None while a file is still being written."""
        with self.lock:
            if any(time.monotonic() - since < PATIENCE for since in self.writing.values()):
                return None
            taken = self.paths, self.rescan
            self.paths, self.rescan = set(), False
            self.writing.clear()
        if taken[1]:
            self.watch()
        return taken

    def stop(self) -> None:
        self.observer.stop()


class Tidier:
    """Under `serve --edit`: each indicator file the editor form saves, put back in kpisite's
    layout with the digits its numbers had (tidy.formatted), before the preview reads it."""

    def __init__(self, project, words):
        self.project, self.words = project, words
        self.texts = {path.resolve(): path.read_text("utf-8", "replace")
                      for path in find_yaml_files(project.indicators, project.root)[0]}

    def tidy(self, changed: set[Path]) -> set[Path]:
        """The files it rewrote."""
        rewritten = set()
        for path in sorted(changed):
            path = path.resolve()
            if path.suffix not in (".yaml", ".yml") or not path.is_file() or \
                    not path.is_relative_to(self.project.indicators.resolve()):
                continue
            raw = path.read_bytes()
            text, _problems = formatted(raw, path, relative(path, self.project.root),
                                        self.texts.get(path), self.words)
            if text is not None and text.encode("utf-8") != raw:  # else the build says why
                write(path, text)
                rewritten.add(path)
            self.texts[path] = text if text is not None else raw.decode("utf-8", "replace")
        return rewritten


class Session:
    """The preview, the latest problems, and what the browser is shown meanwhile."""

    def __init__(self, preview: Preview, tidier: Tidier | None = None, lives_on: bool = False):
        self.preview, self.tidier, self.lives_on = preview, tidier, lives_on
        self.error_html: str | None = None

    def rebuild(self, changed: set[Path] | None = None) -> list[str] | None:
        """Build everything, or update what `changed` files touch but the site's pages (they
        wait in preview.pending); the files written, or EVERY_TAB (all was built, or errors
        came or went: every page shows something else)."""
        start, had_errors = time.perf_counter(), self.error_html is not None
        try:
            written = self.preview.update(changed, site_pages=False) if changed \
                else self.preview.build()
        except ContentError as exc:
            self.error_html = error_page(exc.problems, standard("th"))
            print(report(exc.problems), file=sys.stderr, flush=True)
            print(bilingual(_("the content has errors: the browser shows them until they are "
                              "fixed")), file=sys.stderr, flush=True)
            return EVERY_TAB
        except UsageError as exc:  # the theme's files, or the output folder
            self.error_html = error_page([], standard("th"), str(exc))
            print(f"kpisite: {exc}", file=sys.stderr, flush=True)
            return EVERY_TAB
        self.error_html = None
        took = (time.perf_counter() - start) * 1000
        if written is None:
            print(bilingual(_("built everything in %(ms)s ms", ms=f"{took:.0f}")), flush=True)
            if self.lives_on:  # the state lives till the next full build: out of later
                gc.unfreeze()  # collections (each walk of it took 100 ms of an edit at 10,000
                gc.collect()  # indicators); the last state's garbage goes
                gc.freeze()
            return EVERY_TAB
        shown = ", ".join(written[:8]) + (bilingual(_(" and %(count)s more",
                                                      count=len(written) - 8))
                                          if len(written) > 8 else "")
        print(bilingual(_("rebuilt %(count)s files in %(ms)s ms", count=len(written),
                          ms=f"{took:.0f}")) + f": {shown or '-'}", flush=True)
        return EVERY_TAB if had_errors else written


class PageWaiter(LiveReloadHandler):
    """livereload's socket to a tab, knowing the page the tab shows (its `info` message)."""

    page = ""

    def on_message(self, message):
        super().on_message(message)
        info = json.loads(message)
        if info.get("command") == "info":
            path = unquote(urlsplit(info.get("url", "")).path).lstrip("/")
            self.page = path + "index.html" if path.endswith("/") or not path else path


livereload.server.LiveReloadHandler = PageWaiter  # the class its server answers sockets with
# Files a page loads that are not in static/: the tab reloads when they change.
LOADED_BY = {"search-index.js": "search.html", "search-texts.js": "search.html"}


def reload_tabs(written: list[str] | None) -> None:
    """Reload the tabs that show a file written (EVERY_TAB: every tab)."""
    for tab in list(LiveReloadHandler.waiters):
        page = getattr(tab, "page", "")
        cause = "*" if written is EVERY_TAB else next(
            (path for path in written if _shows(page, path)), None)
        if cause is None:
            continue
        try:
            tab.write_message({"command": "reload", "path": cause, "liveCSS": True,
                               "liveImg": True})
        except Exception:  # a tab closed meanwhile
            LiveReloadHandler.waiters.discard(tab)


def _shows(page: str, path: str) -> bool:
    """Whether a tab on `page` shows the file `path`: the page itself, a file of static/ or
    the print stylesheet (any page's), or a script the page loads (LOADED_BY)."""
    name = path.rpartition("/")[2]
    return path == page or path.startswith("static/") or name == "print.css" or (
        name in LOADED_BY and page.rpartition("/")[2] == LOADED_BY[name])  # any language's


class SitePages:
    """The site's pages an edit touched (lists, indexes, downloads), rendered in a child
    process once the edited indicator's own pages are served: at 10,000 indicators a year's
    list or the workbook takes seconds, and the preview must answer a save at once. A new
    save stops the child first; what it finished is done, the rest stays in preview.pending."""

    def __init__(self, preview: Preview, written):
        self.preview, self.written = preview, written  # written: called with the paths
        self.child: tuple[int, int] | None = None  # its pid, and the pipe it reports on
        self.writing, self.buffer, self.started = "", b"", 0.0
        self.ended: dict[int, str] = {}  # children ended, not yet reaped: the page being written
        self.unsaid: set[str] = set()  # pages a stopped child may have written

    def start(self) -> None:
        self._reap()
        if self.child is not None or not self.preview.pending:
            return
        work, reader, writer = self.preview.site_work(), *os.pipe()
        parent, out = os.getpid(), self.preview.out

        def child() -> int:
            os.close(reader)
            return _render_site_pages(work, out, writer, parent)

        with forked(child) as pid:
            os.close(writer)
            self.child, self.buffer, self.started = (pid, reader), b"", time.perf_counter()
        IOLoop.current().add_handler(reader, self._heard, IOLoop.READ)

    def _heard(self, reader: int, _events) -> None:
        data = os.read(reader, 1 << 16)
        self._read(data)
        if not data:
            self._ended(report=True)

    def _read(self, data: bytes) -> None:
        *lines, self.buffer = (self.buffer + data).split(b"\n")
        done = []
        for line in lines:
            mark, path = line[:1], line[1:].decode("utf-8")
            self.writing = path if mark == b"+" else ""
            if mark in (b"=", b"."):
                self.preview.pending.pop(path, None)
                # A page a stopped child may have written: its tab has not reloaded yet.
                if path in self.unsaid or mark == b"=":
                    self.unsaid.discard(path)
                    done.append(path)
        if done:
            self.written(done)

    def _ended(self, report: bool = False) -> None:
        pid, reader = self.child
        IOLoop.current().remove_handler(reader)
        os.close(reader)
        self.child, self.ended[pid] = None, self.writing
        if self.writing:  # stopped while writing it: perhaps written, not said
            self.unsaid.add(self.writing)
            self.writing = ""
        if report:
            status = self._reap(wait=True).get(pid)
            took = (time.perf_counter() - self.started) * 1000
            print(bilingual(_("and the site's pages that show it in %(ms)s ms more",
                              ms=f"{took:.0f}")) if status == 0 else
                  bilingual(_("the site's pages could not be updated (see above): they are "
                              "tried again after the next save")), flush=True)

    def _reap(self, wait: bool = False) -> dict[int, int]:
        """The exit status of children that ended (a killed one takes a while to go); the
        temporary file (write.Direct) of one stopped while writing goes once it is gone."""
        statuses = {}
        for pid, writing in list(self.ended.items()):
            found, status = os.waitpid(pid, 0 if wait else os.WNOHANG)
            if found:
                statuses[pid] = os.waitstatus_to_exitcode(status)
                del self.ended[pid]
                if writing:
                    target = Path(safe_join(self.preview.out, writing))
                    target.with_name(f".{target.name}.{pid}.tmp").unlink(missing_ok=True)
        return statuses

    def stop(self) -> None:
        """Stop the child now (SIGKILL: it runs not one more step); what it finished is
        kept. Its end is not waited for: a big process takes a while to go."""
        if self.child is None:
            return
        pid, reader = self.child
        os.kill(pid, signal.SIGKILL)
        os.set_blocking(reader, False)
        try:
            while data := os.read(reader, 1 << 16):
                self._read(data)
        except BlockingIOError:
            pass
        self._ended()

    def close(self) -> None:
        self.stop()
        self._reap(wait=True)


def _render_site_pages(work: list, out: Path, report: int, parent: int) -> int:
    """In the child: each page rendered and written, said on `report` before ("+") and after
    ("=" written, "." unchanged); the exit status."""
    try:
        direct = Direct(out)
        for renderer, page in work:
            if os.getppid() != parent:  # the server is gone (where prctl is not)
                return 1
            content = renderer.render(page)
            os.write(report, f"+{page.path}\n".encode())
            with locked(out):  # only while writing: a child stopped holds it till it is gone
                changed = direct.write(page.path, content)
            os.write(report, f"{'=' if changed else '.'}{page.path}\n".encode())
        return 0
    except BaseException:
        traceback.print_exc()
        return 1


class PreviewWatcher(Watcher):
    """livereload's watcher: told by the operating system which files changed (FileEvents),
    or scanning for them every 0.8 s where it cannot; it rebuilds and reloads the tabs."""

    def __init__(self, session: Session, scanner: Scanner):
        super().__init__()
        self.session, self.scanner, self.timer, self.later = session, scanner, None, None
        self.site_pages = SitePages(session.preview, reload_tabs)
        self.events: FileEvents | None = None
        for folder in scanner.folders:  # for livereload's bookkeeping; update() does the work
            self.watch(str(folder))

    def start(self, callback) -> bool:
        """livereload's hook; True: it need not poll examine(), the events call back."""
        self.loop = IOLoop.current()
        self.events = FileEvents(self.scanner.folders,
                                 lambda: self.loop.add_callback(self._heard))
        started = self.events.start()
        callback()  # livereload's start-up message: tabs left open by an earlier run reload
        return started

    def _heard(self) -> None:
        if self.timer is not None:
            self.loop.remove_timeout(self.timer)
        self.timer = self.loop.call_later(QUIET, self._settled)

    def _settled(self) -> None:
        self.timer = None
        taken = self.events.take()
        if taken is None:  # a file is still being written: its close comes as an event
            self.timer = self.loop.call_later(QUIET, self._settled)
            return
        paths, rescan = taken
        changed = self.scanner.changes() if rescan else self.scanner.recheck(paths)
        if changed:
            self.update(changed)

    def examine(self):
        if self._changes:  # livereload's own start-up message
            return self._changes.pop()
        changed = self.scanner.changes()
        if changed:
            self.update(changed)
        return None, None  # the tabs were reloaded already

    def update(self, changed: set[Path]) -> None:
        changed = {path for path in changed if self.session.preview.concerns(path)}
        if not changed:
            return
        self.site_pages.stop()  # the pages it had not finished wait for the next child
        if self.session.tidier and self.session.tidier.tidy(changed):
            self.scanner.recheck(changed)  # its own rewrites are part of this change
        reload_tabs(self.session.rebuild(changed))
        if self.later is not None:
            self.loop.remove_timeout(self.later)
        self.later = self.loop.call_later(LATER, self.site_pages.start)

    def close(self) -> None:
        self.site_pages.close()
        if self.events is not None:
            self.events.stop()


def handler_for(session: Session, allowed_hosts: set[str]):
    class PreviewHandler(StaticFileHandler):
        """Serves the built site, or the error page while the content has errors."""

        def prepare(self):
            # Only the address it serves: a web page elsewhere could otherwise read the
            # preview (drafts included) through a name that it points at 127.0.0.1.
            if self.request.host.lower() not in allowed_hosts:
                raise HTTPError(403)
            if any("\0" in str(arg) for arg in (*self.path_args, *self.path_kwargs.values())):
                raise HTTPError(400)  # %00 in the address: no file has such a name
            if self.request.path.startswith("/" + EDITOR_FOLDER):
                # The editor form reloads only when its editor says so: a reload after each
                # save (the preview rebuilt) would throw away what they typed since.
                self._transforms = [t for t in self._transforms
                                    if not isinstance(t, LiveScriptInjector)]

        def validate_absolute_path(self, root, absolute_path):
            resolved = super().validate_absolute_path(root, absolute_path)
            if resolved and STATE in Path(resolved).relative_to(Path(root).resolve()).parts:
                raise HTTPError(404)  # kpisite's own bookkeeping is not part of the site
            return resolved

        async def get(self, path, include_body=True):
            if session.error_html is not None and (path == "" or path.endswith(".html")):
                self.set_status(500)
                self.set_header("Content-Type", "text/html; charset=UTF-8")
                self.finish(session.error_html)
                return
            await super().get(path, include_body)

    return PreviewHandler


def _check_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(bilingual(_("cannot listen on %(host)s port %(port)s: %(reason)s",
                                         host=host, port=port, reason=exc.strerror))) from None


def serve(preview: Preview, host: str = "127.0.0.1", port: int = 8000,
          open_browser: bool = False, edit: bool = False):
    """Build, then serve `preview.out` until interrupted; `edit`: with the editor form's local
    backend, which lives as long as the preview."""
    _check_port(host, port)  # before building: a port in use is said at once
    if not edit:
        return _serve(Session(preview, lives_on=True), host, port, open_browser)
    project, theme = preview.project, preview.new_theme()
    backend = editor.start_local_backend(editor.repository_top(project, theme))
    try:
        session = Session(preview, Tidier(project, theme.words(LANGUAGE)), lives_on=True)
        _serve(session, host, port, open_browser, f"http://{host}:{port}/admin/")
    finally:
        backend.terminate()
        try:
            backend.wait(timeout=5)
        except subprocess.TimeoutExpired:
            backend.kill()


def _serve(session: Session, host: str, port: int, open_browser: bool, form: str = ""):
    preview = session.preview
    # Resolved: the events name files by the path watched, and the scan must name them alike.
    scanner = Scanner([folder.resolve() for folder in
                       [preview.project.content] + preview.new_theme().folders])
    session.rebuild()
    mimetypes.add_type("text/yaml", ".yml")  # the editor form's config.yml
    LiveReloadHandler.DEFAULT_RELOAD_TIME = 0  # reload after every save, however quick
    logging.getLogger("livereload").setLevel(logging.WARNING)
    watcher = PreviewWatcher(session, scanner)
    server = Server(watcher=watcher)
    server.SFH = handler_for(session, {f"{name}:{port}" for name in (
        host, "127.0.0.1", "localhost", "[::1]")} | ({host, "127.0.0.1", "localhost"} if port == 80
                                                    else set()))
    url = f"http://{host}:{port}/"
    print(bilingual(_("serving %(url)s  (Ctrl+C to stop)", url=url)), flush=True)
    if form:
        print(bilingual(_("the editor form: %(url)s (saves into the files here)", url=form)),
              flush=True)
    # A service stopped, a terminal closed: as Ctrl+C, till the preview ends.
    before = {told: signal.signal(told, _stopped) for told in (signal.SIGTERM, signal.SIGHUP)}
    try:
        server.serve(host=host, port=port, root=str(preview.out),
                     open_url_delay=0.5 if open_browser else None, restart_delay=0)
    finally:
        watcher.close()
        for told, handler in before.items():
            signal.signal(told, handler)


def _stopped(signum, frame):
    """Stop as after Ctrl+C: the clean-up runs (the child writing the site's pages is
    stopped, and the file it was writing removed), where the signal's default would leave
    it half-written in the site."""
    raise KeyboardInterrupt
