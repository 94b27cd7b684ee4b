"""The preview server: `python build.py serve`. Builds, serves the output folder with
livereload, and after every saved edit updates only what the edit touches and reloads the page.

While the content has errors the browser shows a page that lists them (file, line, field,
message); fixing the files brings the site back. Only the output folder is served (not its
.kpisite state); nothing is written outside it. Changes to the code itself need a restart.
"""
from __future__ import annotations

import logging
import mimetypes
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from livereload import Server
from livereload.server import LiveScriptInjector
from livereload.handlers import LiveReloadHandler, StaticFileHandler
from livereload.watcher import Watcher
from tornado.web import HTTPError

from . import editor
from .diagnostics import ContentError, UsageError, report
from .load import find_yaml_files, relative
from .pages import EDITOR_FOLDER
from .scaffold import LANGUAGE
from .tidy import formatted, write
from .i18n import _, bilingual, standard
from .incremental import Preview
from .render import error_page
from .write import STATE


class Scanner:
    """Which watched files were added, changed or removed since the last look."""

    def __init__(self, folders: list[Path]):
        self.folders = folders
        self.seen = self._snapshot()

    def _snapshot(self) -> dict[Path, tuple[int, int]]:
        state = {}
        for folder in self.folders:
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = [d for d in dirnames if not d.startswith((".", "__"))]
                for name in filenames:
                    if name.startswith(".") or name.endswith(("~", ".swp", ".tmp")):
                        continue
                    path = Path(dirpath, name)
                    try:
                        st = path.stat()
                    except OSError:  # removed while we looked
                        continue
                    state[path] = (st.st_mtime_ns, st.st_size)
        return state

    def changes(self) -> set[Path]:
        now = self._snapshot()
        changed = {p for p in now.keys() | self.seen.keys() if now.get(p) != self.seen.get(p)}
        self.seen = now
        return changed


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

    def __init__(self, preview: Preview, tidier: Tidier | None = None):
        self.preview, self.tidier = preview, tidier
        self.error_html: str | None = None

    def rebuild(self, changed: set[Path] | None = None) -> None:
        start = time.perf_counter()
        try:
            written = self.preview.update(changed) if changed else self.preview.build()
        except ContentError as exc:
            self.error_html = error_page(exc.problems, standard("th"))
            print(report(exc.problems), file=sys.stderr, flush=True)
            print(bilingual(_("the content has errors: the browser shows them until they are "
                              "fixed")), file=sys.stderr, flush=True)
            return
        except UsageError as exc:  # the theme's files, or the output folder
            self.error_html = error_page([], standard("th"), str(exc))
            print(f"kpisite: {exc}", file=sys.stderr, flush=True)
            return
        self.error_html = None
        took = (time.perf_counter() - start) * 1000
        if written is None:
            print(bilingual(_("built everything in %(ms)s ms", ms=f"{took:.0f}")), flush=True)
            return
        shown = ", ".join(written[:8]) + (bilingual(_(" and %(count)s more",
                                                      count=len(written) - 8))
                                          if len(written) > 8 else "")
        print(bilingual(_("rebuilt %(count)s files in %(ms)s ms", count=len(written),
                          ms=f"{took:.0f}")) + f": {shown or '-'}", flush=True)


class PreviewWatcher(Watcher):
    """livereload's watcher, told exactly which files changed (its own stops at the first)."""

    def __init__(self, session: Session, scanner: Scanner):
        super().__init__()
        self.session, self.scanner = session, scanner
        for folder in scanner.folders:  # for livereload's bookkeeping; examine() does the work
            self.watch(str(folder))

    def examine(self):
        if self._changes:  # livereload's own start-up message
            return self._changes.pop()
        changed = self.scanner.changes()
        if not changed:
            return None, None
        if self.session.tidier and self.session.tidier.tidy(changed):
            self.scanner.changes()  # its own rewrites are part of this change
        self.session.rebuild(changed)
        return str(sorted(changed)[0]), None


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
        return _serve(Session(preview), host, port, open_browser)
    project, theme = preview.project, preview.new_theme()
    backend = editor.start_local_backend(editor.repository_top(project, theme))
    try:
        _serve(Session(preview, Tidier(project, theme.words(LANGUAGE))), host, port, open_browser,
               f"http://{host}:{port}/admin/")
    finally:
        backend.terminate()
        try:
            backend.wait(timeout=5)
        except subprocess.TimeoutExpired:
            backend.kill()


def _serve(session: Session, host: str, port: int, open_browser: bool, form: str = ""):
    preview = session.preview
    scanner = Scanner([preview.project.content] + preview.new_theme().folders)
    session.rebuild()
    mimetypes.add_type("text/yaml", ".yml")  # the editor form's config.yml
    LiveReloadHandler.DEFAULT_RELOAD_TIME = 0  # reload after every save, however quick
    logging.getLogger("livereload").setLevel(logging.WARNING)
    server = Server(watcher=PreviewWatcher(session, scanner))
    server.SFH = handler_for(session, {f"{name}:{port}" for name in (
        host, "127.0.0.1", "localhost", "[::1]")} | ({host, "127.0.0.1", "localhost"} if port == 80
                                                    else set()))
    url = f"http://{host}:{port}/"
    print(bilingual(_("serving %(url)s  (Ctrl+C to stop)", url=url)), flush=True)
    if form:
        print(bilingual(_("the editor form: %(url)s (saves into the files here)", url=form)),
              flush=True)
    server.serve(host=host, port=port, root=str(preview.out),
                 open_url_delay=0.5 if open_browser else None, restart_delay=0)
