"""PDF booklets: one per agency and fiscal year, and one per fiscal year for the whole
organisation (`build --booklets`, or `booklets: true` in site.yaml).

A booklet is its indicators' printable views, as this build wrote them, behind a cover and a
table of contents (templates/booklet.html), printed by Chromium (chromium.py) with the print
design every printed page has. The contents' page numbers come from a first printing: where
each indicator's section landed. A booklet is made again only when the HTML it is printed
from changed (its hash is kept in the PDF's information); otherwise the published one stays.
"""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import chromium, pages, thai

START, END = "<!--booklet-->", "<!--/booklet-->"  # around the part of print.html it takes
MADE = "KPISITEMADEON"  # stands for the date the booklet is made, in the HTML the hash is of
SOURCE_KEY = "/KpisiteSource"  # the PDF information entry that holds that hash


@dataclass(frozen=True)
class Booklet:
    year: str
    agency: object  # model.Agency; None: every agency's indicators that year
    indicators: tuple  # light copies, in the order the booklet shows them

    @property
    def path(self) -> str:
        if self.agency is None:
            return pages.urls.year_booklet(self.year)
        return pages.urls.agency_booklet(self.year, self.agency.code)


def plan(cat) -> list[Booklet]:
    """The booklets of a site: each fiscal year's, and each agency's of that year."""
    booklets = []
    for year in cat.years:
        booklets += [Booklet(year, agency, tuple(inds))
                     for agency, inds in cat.agencies_in(year) if agency is not None]
        booklets.append(Booklet(year, None, tuple(cat.by_year[year])))
    return booklets


def publish(booklets: list[Booklet], renderer, stage, live: Path, theme_key: str,
            jobs: int = 1) -> None:
    """Each booklet into the staging folder (after every printable view is there): linked from
    the live site when it was printed from the same HTML, else printed now, by `jobs`
    browsers at once (each prints one booklet at a time: memory stays bounded)."""
    path = chromium.executable()
    version = _version(path)
    todo, parts = [], Parts(stage)
    for booklet in booklets:
        printing = Printing(booklet, renderer, stage, parts)
        key = hashlib.blake2b((theme_key + version + printing.html()).encode(),
                              digest_size=16).hexdigest()
        old = live / booklet.path
        if source_key(old) == key:
            os.link(old, stage.path(booklet.path))
        else:
            todo.append((printing, key))
    if not todo:
        return
    browsers = ThreadLocalBrowsers(path)
    with browsers, ThreadPoolExecutor(min(jobs, len(todo))) as pool:
        for printing, pdf in zip(todo, pool.map(
                lambda job: job[0].pdf(browsers.get(), job[1]), todo)):
            stage.write(printing[0].booklet.path, pdf)


class ThreadLocalBrowsers:
    """A browser for each thread that asks, all closed at the end of the `with` block."""

    def __init__(self, path: str):
        self.path, self.local, self.stack = path, threading.local(), ExitStack()
        self.lock = threading.Lock()

    def get(self) -> chromium.Browser:
        if not hasattr(self.local, "browser"):
            with self.lock:
                self.local.browser = self.stack.enter_context(chromium.Browser(self.path))
        return self.local.browser

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stack.close()


class Printing:
    """One booklet's HTML, written beside the pages it takes its parts from, and its PDF."""

    def __init__(self, booklet: Booklet, renderer, stage, parts: Parts):
        self.booklet, self.renderer, self.stage = booklet, renderer, stage
        name = booklet.agency.code if booklet.agency else "all"
        # At the depth of the indicators' pages, so that their relative links still lead home.
        self.temp = f"{pages.BOOKLET_FOLDER}/{booklet.year}/.{name}.html"
        self.parts = [(ind, parts.of(booklet.year, ind)) for ind in booklet.indicators]

    def html(self, numbers: list[int] | None = None, made: str = MADE) -> str:
        """`numbers`: the contents' page numbers (None: the first printing's blanks)."""
        return self.renderer.render(pages.Page(self.temp, "booklet.html", {
            "booklet": self.booklet, "parts": self.parts, "numbers": numbers, "made": made}))

    def pdf(self, browser, key: str) -> bytes:
        """Printed twice: the first printing tells the contents' page numbers."""
        made = thai.build_date()
        path = Path(self.stage.path(self.temp))
        try:
            path.write_text(self.html(), encoding="utf-8")
            numbers = first_pages(browser.pdf(path.as_uri()), len(self.parts))
            path.write_text(self.html(numbers, self.renderer.words.date(made)), "utf-8")
            printed = browser.pdf(path.as_uri())
        finally:
            path.unlink(missing_ok=True)
        site = self.renderer.site
        return finish(printed, {  # the title is the page's, set by Chromium
            "/Author": site.organization or site.title, "/Subject": site.title,
            "/Creator": "kpisite", SOURCE_KEY: key,
            "/CreationDate": made.strftime("D:%Y%m%d000000+07'00'"),
            "/ModDate": made.strftime("D:%Y%m%d000000+07'00'")},
            site.base_url, self.stage.dir)


class Parts:
    """Each indicator's part of its printable view (between START and END), read once for its
    agency's booklet and its year's (plan() gives a year's booklets one after the other; only
    the year's parts are kept)."""

    def __init__(self, stage):
        self.stage, self.year, self.read = stage, None, {}

    def of(self, year: str, ind) -> str:
        if year != self.year:
            self.year, self.read = year, {}
        if ind.print_path not in self.read:
            with open(self.stage.path(ind.print_path), encoding="utf-8") as f:
                html = f.read()
            start, end = html.find(START), html.find(END)
            if start < 0 or end < start:
                raise ValueError(f"{ind.print_path}: print.html lost its {START} ... {END} marks")
            self.read[ind.print_path] = html[start + len(START):end]
        return self.read[ind.print_path]


def first_pages(pdf: bytes, count: int) -> list[int]:
    """The page each indicator's section starts on (its anchor b-1, b-2, ... in the PDF)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    found = {name.lstrip("/"): reader.get_destination_page_number(dest) + 1
             for name, dest in reader.named_destinations.items()}
    return [found.get(f"b-{i}", 0) for i in range(1, count + 1)]


def finish(pdf: bytes, info: dict, base_url: str, local_root: Path) -> bytes:
    """The PDF with its information set, and its links to the site's pages made public (the
    site's address, when it has one) or left out: never a path on the machine that built it."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    root = local_root.resolve()
    for page in writer.pages:
        annots = page.get("/Annots")
        for ref in list(annots.get_object() if annots else ()):
            action = ref.get_object().get("/A")
            uri = str(action.get("/URI", "")) if action else ""
            if not uri.startswith("file:"):
                continue
            parts = urlsplit(uri)
            try:
                rel = Path(unquote(parts.path)).resolve().relative_to(root).as_posix()
            except ValueError:
                rel = ""
            if base_url and rel:
                public = f"{base_url}/{rel}" + (f"#{parts.fragment}" if parts.fragment else "")
                action[NameObject("/URI")] = TextStringObject(public)
            else:
                annots.get_object().remove(ref)
    writer.add_metadata(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def source_key(path: Path) -> str:
    """The hash a published booklet was printed from, or '' (none there, or not ours)."""
    if not path.is_file():
        return ""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        return str((PdfReader(path).metadata or {}).get(SOURCE_KEY, ""))
    except (PyPdfError, OSError, ValueError):
        return ""


def _version(browser: str) -> str:
    """The browser's version: a new one may print differently."""
    try:
        return subprocess.run([browser, "--version"], capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
