"""A headless Chromium that prints pages to PDF: the booklets' renderer.

Chromium prints the site's pages when a reader prints them, so its PDFs follow the same print
design (print.css: margin boxes, named pages), keep Thai text searchable (clusters such as
sara am extract as written) and carry bookmarks and a tagged structure. It is driven over the
DevTools protocol on a pipe (--remote-debugging-pipe: no port, no library); a Browser has one
tab, which prints one document after another, each put in place of the last (no navigation).
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile

from .diagnostics import UsageError
from .i18n import _

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def executable() -> str:
    """The browser: $KPISITE_CHROMIUM, else the first of CANDIDATES on the PATH."""
    found = os.environ.get("KPISITE_CHROMIUM") or next(
        (path for name in CANDIDATES if (path := shutil.which(name))), "")
    if not found or not os.access(found, os.X_OK):
        raise UsageError(_("PDF booklets need Chromium: install it (apt-get install chromium) or "
                           "set KPISITE_CHROMIUM to the browser's path"))
    return found


class Browser:
    """One headless Chromium for the life of a `with` block; `pdf(html, base)` prints a document."""

    def __init__(self, path: str | None = None):
        self.path = path or executable()

    def __enter__(self) -> "Browser":
        self.profile = tempfile.TemporaryDirectory(prefix="kpisite-chromium-")
        ours, to_browser = os.pipe()  # the browser reads commands on its fd 3
        from_browser, theirs = os.pipe()  # and writes answers on its fd 4
        flags = ["--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-extensions", "--mute-audio", "--disable-quic",
                 "--remote-debugging-pipe", f"--user-data-dir={self.profile.name}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.process = subprocess.Popen(
            [self.path, *flags, "about:blank"], pass_fds=(3, 4),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=lambda: (os.dup2(ours, 3), os.dup2(theirs, 4)))
        os.close(ours), os.close(theirs)
        self.writer, self.reader = os.fdopen(to_browser, "wb"), os.fdopen(from_browser, "rb")
        self.next_id, self.buffer, self.events = 0, bytearray(), []
        # One tab for every page it prints: a new tab costs more than the print of a small page.
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        self.call("Page.enable", self.session)
        self.base = None  # the document the tab has loaded
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.call("Browser.close")
        except (OSError, BrowserError):
            pass
        for f in (self.writer, self.reader):
            f.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.profile.cleanup()

    def call(self, method: str, session: str | None = None, **params) -> dict:
        """Send a command and wait for its answer (events that come first are kept)."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.writer.write(json.dumps(message).encode() + b"\0")
        self.writer.flush()
        while True:
            answer = self._receive()
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error'].get('message')}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, event: str, session: str) -> None:
        """Until the browser sends `event` for `session` (or has sent it already)."""
        while not any(e.get("method") == event and e.get("sessionId") == session
                      for e in self.events):
            self.events.append(self._receive())

    def _receive(self) -> dict:
        """The next message: each ends with a NUL byte; a read may hold several."""
        while b"\0" not in self.buffer:
            chunk = self.reader.read1(1 << 20)
            if not chunk:
                raise BrowserError("Chromium closed the connection")
            self.buffer += chunk
        end = self.buffer.index(b"\0")
        message = json.loads(self.buffer[:end])
        del self.buffer[:end + 1]
        return message

    def pdf(self, html: str, base: str, final: bool = True) -> bytes:
        """`html` printed as its CSS asks (@page size), once it and its fonts and images have
        loaded, as if it were the document at `base` (a file:// URL: its relative links are
        read from there). `final`: with its headings as bookmarks and a tagged structure
        (a draft printed only to learn where pages break needs neither)."""
        session = self.session
        try:
            if base != self.base:  # a navigation costs ~100 ms; replacing the document ~20
                self.call("Page.navigate", session, url=base)
                self.wait_for("Page.loadEventFired", session)
                self.base = base
            frame = self.call("Page.getFrameTree", session)["frameTree"]["frame"]["id"]
            self.call("Page.setDocumentContent", session, frameId=frame, html=html)
            self.call("Runtime.evaluate", session, awaitPromise=True, expression=LOADED)
            printed = self.call("Page.printToPDF", session, preferCSSPageSize=True,
                                printBackground=True, displayHeaderFooter=False,
                                generateDocumentOutline=final, generateTaggedPDF=final)
            return base64.b64decode(printed["data"])
        finally:
            self.events.clear()


# Resolves when the document's fonts and images are ready to print.
LOADED = ("Promise.all([document.fonts.ready, ...Array.from(document.images, "
          "image => image.decode().catch(() => null))]).then(() => 1)")


class BrowserError(Exception):
    """Chromium did not do what was asked."""
