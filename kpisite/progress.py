"""A build's progress, where a person watches it: what is done of what there is, and the
time left, on one line of standard error written over again (standard output keeps its one
line, what was built). Nothing when standard error is not a terminal (a pipe, a file, a CI
log), when TERM is "dumb" or CI is set, and nothing in a build's first seconds: a short
build looks as it did.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Callable, Iterable, Iterator, TextIO

from .i18n import _, bilingual

DELAY = 2.0  # seconds before the line first shows
EVERY = 0.2  # seconds between two drawings: often enough to look alive, cheap


def watched(stream: TextIO) -> bool:
    """Whether a person sees `stream` as it is written, on a terminal that can redraw."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False
    return tty and os.environ.get("TERM") != "dumb" and not os.environ.get("CI")


class Progress:
    """Phases of counted work (reading the files, writing the pages), each drawn as
    "done / total" with the time left at the phase's pace so far."""

    def __init__(self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic,
                 shown: bool | None = None):
        self.stream = stream or sys.stderr
        self.shown = watched(self.stream) if shown is None else shown
        self.clock = clock
        self.started = self.phase_started = self.drawn_at = clock()
        self.words, self.done, self.total, self.drawn = "", 0, 0, False

    def phase(self, words: str, total: Callable[[], int]) -> None:
        """A new phase of `total()` steps (`total` is called only when the line is shown: it
        may cost a little)."""
        self.words, self.done = words, 0
        self.total = total() if self.shown else 0
        self.phase_started = self.clock()

    def counted(self, items: Iterable) -> Iterator:
        """`items`, one step each as they come."""
        for item in items:
            self.advance()
            yield item

    def advance(self, steps: int = 1) -> None:
        self.done += steps
        if not self.shown:
            return
        now = self.clock()  # drawn when the phase is done too: the checks after it take a while
        if now - self.started >= DELAY and (now - self.drawn_at >= EVERY
                                             or self.done >= self.total):
            self.drawn_at = now
            self._draw(now)

    def end(self) -> None:
        """Wipe the line: what stays on the terminal is what the build says at its end."""
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.drawn = False

    def _draw(self, now: float) -> None:
        done, total = min(self.done, self.total), self.total
        pace = done / max(now - self.phase_started, 1e-9)
        left = round((total - done) / pace) if pace else None
        line = self.words + f" {done:,} / {total:,}"
        if left is not None and done:
            line += " · " + bilingual(_("%(seconds)s s left", seconds=left))
        self.stream.write("\r\033[K" + line)
        self.stream.flush()
        self.drawn = True


def reading() -> str:
    return bilingual(_("reading files"))


def writing() -> str:
    return bilingual(_("writing pages"))
