"""PDF booklets: one per agency and fiscal year, and one per fiscal year for the whole
organisation (`build --booklets`, or `booklets: true` in site.yaml).

A booklet is its indicators' printable views, as this build wrote them, behind a cover and a
table of contents (templates/booklet.html), printed by Chromium (chromium.py) with the print
design every printed page has. The contents' page numbers come from a draft printing: where
each indicator's section landed (for a year's booklet, of its cover and contents alone: its
agencies' booklets tell how long each section is). A booklet of more than CHUNK indicators
(a year's, at a city's scale) is printed in pieces that pdfjoin.py joins, each with the page
numbers it has in the whole, so that no printing holds thousands of pages. A booklet is made
again only when the HTML it is printed from changed (its hash is kept in the PDF's
information); otherwise the published one stays.
"""
from __future__ import annotations

import hashlib
import io
import itertools
import os
import re
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import chromium, pages, thai

START, END = "<!--booklet-->", "<!--/booklet-->"  # around the part of print.html it takes
CHUNK = 40  # indicators printed at once in a long booklet: its printing's memory stays bounded
GUESS = 3  # pages an indicator is taken to take when its agency's booklet does not tell
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
    browsers at once (each prints one booklet at a time: memory stays bounded). The agencies'
    booklets come first: they tell how many pages each indicator takes in its year's."""
    path = chromium.executable()
    version = _version(path)
    todo, printings, parts = [], [], Parts(stage)
    for booklet in booklets:
        printing = Printing(booklet, renderer, stage.dir, parts)
        printings.append(printing)
        key = hashlib.blake2b((theme_key + version + printing.html()).encode(),
                              digest_size=16).hexdigest()
        old = live / booklet.path
        if source_key(old) == key:
            os.link(old, stage.path(booklet.path))
            printing.published = old
        else:
            todo.append((printing, key))
    if not todo:
        return
    browsers = ThreadLocalBrowsers(path)
    # Every booklet is printed as if it were the print page of an indicator (see Printing).
    base = Path(stage.path(booklets[0].indicators[0].print_path)).as_uri()
    with browsers, ThreadPoolExecutor(min(jobs, len(todo))) as pool:
        for agencies in (True, False):
            batch = [job for job in todo if bool(job[0].booklet.agency) == agencies]
            known = {} if agencies else part_lengths(printings, {j[0].booklet.year for j in batch})
            list(pool.map(lambda job: job[0].write(stage.path(job[0].booklet.path),
                                                   browsers.get(), base, job[1], known), batch))


def part_lengths(printings: list[Printing], years: set) -> dict[str, int]:
    """{indicator's print page: its length in pages} from the agencies' booklets of `years`:
    as printed in this build, or as published before."""
    found = {}
    for printing in printings:
        if printing.booklet.agency and printing.booklet.year in years:
            found.update(printing.lengths if printing.lengths is not None else
                         printing.lengths_in(printing.published.read_bytes()))
    return found


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
    """One booklet's HTML and its PDF. Its relative links are written for a page in
    booklets/<year>/, at the depth of the indicators' print pages (indicators/<year>/), so it
    can be printed in place of any of those: the browser loads one and replaces its document."""

    def __init__(self, booklet: Booklet, renderer, root: Path, parts: Parts):
        self.booklet, self.renderer, self.root = booklet, renderer, root
        name = booklet.agency.code if booklet.agency else "all"
        self.where = f"{pages.BOOKLET_FOLDER}/{booklet.year}/{name}.html"  # for its links
        self.parts = [(ind, parts.of(booklet.year, ind)) for ind in booklet.indicators]
        self.lengths = None  # {print page: pages}, once printed
        self.published = None  # the booklet published before, when it is reused

    def html(self, numbers: list[int] | None = None, made: str = MADE, front: bool = True,
             body: tuple[int, int] | None = (0, None), start: int = 1,
             total: int | None = None) -> str:
        """`numbers`: the contents' page numbers (None: the draft's blanks). The whole
        booklet, or a piece of it (templates/booklet.html says what `front`, `body`, `start`
        and `total` choose)."""
        if body and body[1] is None:
            body = (body[0], len(self.parts))
        return self.renderer.render(pages.Page(self.where, "booklet.html", {
            "booklet": self.booklet, "parts": self.parts, "numbers": numbers, "made": made,
            "front": front, "body": body, "start": start, "total": total}))

    def write(self, target: str, browser, base: str, key: str, known: dict[str, int]) -> None:
        """The booklet printed into the file `target`: at once, or, when long, in pieces of
        CHUNK indicators joined into one, so that no printing holds thousands of pages."""
        made = thai.build_date()
        site = self.renderer.site
        info = {  # the title is the page's, set by Chromium
            "/Author": site.organization or site.title, "/Subject": site.title,
            "/Creator": "kpisite", SOURCE_KEY: key,
            "/CreationDate": made.strftime("D:%Y%m%d000000+07'00'"),
            "/ModDate": made.strftime("D:%Y%m%d000000+07'00'")}
        date = self.renderer.words.date(made)
        with open(target + ".part", "wb") as out:
            if len(self.parts) <= CHUNK:
                out.write(self._finished(self._whole(browser, base, date, known), info))
            else:
                self._in_pieces(out, browser, base, date, info, known)
        os.replace(target + ".part", target)

    def _whole(self, browser, base: str, date: str, known: dict[str, int]) -> bytes:
        """Printed with the contents' page numbers, which a draft printing tells: of the whole
        booklet, or of its cover and contents alone when `known` has every part's length."""
        counts = [known.get(ind.print_path) for ind, _ in self.parts]
        guessed = None not in counts
        numbers, total = self._placed(self._front_length(browser, base), counts) if guessed \
            else self._draft(browser, base)
        printed = browser.pdf(self.html(numbers, date), base)
        if guessed and sections(printed, len(self.parts)) != (numbers, total):
            # A section as long as in its agency's booklet is a rule of the print design, so
            # checked: should a stylesheet break it, the booklet is right all the same.
            numbers, total = self._draft(browser, base)
            printed = browser.pdf(self.html(numbers, date), base)
        self.lengths = self._lengths(numbers, total)
        return printed

    def _in_pieces(self, out, browser, base: str, date: str, info: dict,
                   known: dict[str, int]) -> None:
        """The cover and contents, then the parts CHUNK at a time, each printed with the page
        numbers it has in the whole, joined into `out`. A part's length is known from its
        agency's booklet, or guessed (GUESS) and, when the printing says otherwise, printed
        again with the lengths it told."""
        from . import pdfjoin

        counts = [known.get(ind.print_path, GUESS) for ind, _ in self.parts]
        front = self._front_length(browser, base)
        for _ in range(2):
            numbers, total = self._placed(front, counts)
            out.seek(0), out.truncate()
            joined = pdfjoin.Joined(out)
            printed = browser.pdf(self.html(numbers, date, body=None, total=total), base)
            joined.add(self._finished(printed, {}), placeholders=True)
            lengths = [sections(printed, 0)[1]]
            for first in range(0, len(self.parts), CHUNK):
                last = min(first + CHUNK, len(self.parts))
                printed = browser.pdf(self.html(made=date, front=False, body=(first, last),
                                                start=numbers[first], total=total), base)
                lengths += _lengths_of(printed, range(first + 1, last + 1))
                joined.add(self._finished(printed, {}))
            if lengths == [front] + counts:
                joined.close(info)
                self.lengths = self._lengths(numbers, total)
                return
            front, counts = lengths[0], lengths[1:]
        raise chromium.BrowserError(f"{self.booklet.path}: its pages moved between printings")

    def _finished(self, pdf: bytes, info: dict) -> bytes:
        return finish(pdf, info, self.renderer.site.base_url, self.root)

    def _front_length(self, browser, base: str) -> int:
        """How many pages the cover and the contents take (a draft of them alone)."""
        return sections(browser.pdf(self.html(body=None), base, final=False), 0)[1]

    @staticmethod
    def _placed(front: int, counts: list[int]) -> tuple[list[int], int]:
        """Where the sections start, after `front` pages, when each takes `counts` pages."""
        numbers = list(itertools.accumulate([front + 1] + counts[:-1]))
        return numbers, numbers[-1] + counts[-1] - 1

    def _draft(self, browser, base: str) -> tuple[list[int], int]:
        """The whole booklet printed once without page numbers: where its sections start."""
        return sections(browser.pdf(self.html(), base, final=False), len(self.parts))

    def lengths_in(self, pdf: bytes) -> dict[str, int]:
        """Each part's length in pages in this booklet as printed before."""
        return self._lengths(*sections(pdf, len(self.parts)))

    def _lengths(self, numbers: list[int], total: int) -> dict[str, int]:
        ends = numbers[1:] + [total + 1]
        return {ind.print_path: end - start
                for (ind, _), start, end in zip(self.parts, numbers, ends)}


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
            self.read[ind.print_path] = _own_ids(html[start + len(START):end], ind.print_path)
        return self.read[ind.print_path]


ID_REFERENCE = re.compile(r'(?<![\w-])(id|href|aria-labelledby|aria-describedby)="(#?)([^"]*)"')


def _own_ids(part: str, print_path: str) -> str:
    """The part with its ids, and the references to them, made its own in the booklet (every
    printable view has an "h-data-notes"; a link to one must lead to the indicator's own)."""
    prefix = re.sub(r"[^A-Za-z0-9_-]", "_", os.path.basename(print_path).split(".")[0]) + "-"

    def own(match: re.Match) -> str:
        attribute, hash_, value = match.groups()
        if attribute == "href" and not hash_:
            return match.group(0)  # a link elsewhere
        return f'{attribute}="{hash_}{" ".join(prefix + v for v in value.split())}"'
    return ID_REFERENCE.sub(own, part)


def sections(pdf: bytes, count: int | range) -> tuple[list[int], int]:
    """The page each of the indicators' sections starts on (its anchor b-1, b-2, ... in the
    PDF; `count`: the first so many, or the range of their numbers), and the number of pages."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    found = {name.lstrip("/"): reader.get_destination_page_number(dest) + 1
             for name, dest in reader.named_destinations.items()}
    numbers = range(1, count + 1) if isinstance(count, int) else count
    return [found.get(f"b-{i}", 0) for i in numbers], len(reader.pages)


def _lengths_of(pdf: bytes, numbers: range) -> list[int]:
    """How many pages each of the sections `numbers` takes in a PDF that holds only them."""
    starts, pages = sections(pdf, numbers)
    return [end - start for start, end in zip(starts, starts[1:] + [pages + 1])]


def finish(pdf: bytes, info: dict, base_url: str, local_root: Path) -> bytes:
    """The PDF with its information set, and its links to the site's pages made public (the
    site's address, when it has one) or left out: never a path on the machine that built it.
    Only the objects that change are parsed and written again; the rest is copied as it is."""
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject, NameObject, TextStringObject

    reader, spans = PdfReader(io.BytesIO(pdf)), object_spans(pdf)
    changed, dropped, root = {}, set(), local_root.resolve()
    for number, (start, end) in spans.items():
        if b"file:" not in pdf[start:end]:
            continue
        annot = reader.get_object(IndirectObject(number, 0, reader))
        action = annot.get("/A") if hasattr(annot, "get") else None
        uri = str(action.get("/URI", "")) if action else ""
        if not uri.startswith("file:"):
            continue
        public = _public(uri, base_url, root)
        if public:
            action[NameObject("/URI")] = TextStringObject(public)
        else:  # off its page; kept, with no action, for the tagged structure that names it
            del annot["/A"]
            dropped.add(number)
        changed[number] = annot
    for page in reader.pages if dropped else ():
        annots = page.raw_get("/Annots") if "/Annots" in page else None
        if annots is not None and {a.idnum for a in annots.get_object()} & dropped:
            holder = annots if isinstance(annots, IndirectObject) else page.indirect_reference
            kept = [a for a in annots.get_object() if a.idnum not in dropped]
            annots.get_object()[:] = kept
            changed[holder.idnum] = holder.get_object()
    information = reader.trailer.raw_get("/Info")
    information.get_object().update(
        {NameObject(k): TextStringObject(v) for k, v in info.items()})
    changed[information.idnum] = information.get_object()
    return _rewritten(pdf, spans, changed, reader.trailer)


def _public(uri: str, base_url: str, root: Path) -> str:
    """The public address of a file:// link into the site, or '' (no base_url, or not ours)."""
    parts = urlsplit(uri)
    try:
        rel = Path(unquote(parts.path)).resolve().relative_to(root).as_posix()
    except ValueError:
        return ""
    return f"{base_url}/{rel}" + (f"#{parts.fragment}" if parts.fragment else "") \
        if base_url else ""


def object_spans(pdf: bytes) -> dict[int, tuple[int, int]]:
    """Where each object of a PDF with one classic cross-reference table (as Chromium writes
    them) starts and ends in the file."""
    xref = int(pdf[pdf.rindex(b"startxref") + 9:].split()[0])
    if not pdf.startswith(b"xref", xref) or pdf.count(b"startxref") != 1:
        raise ValueError("not a PDF as Chromium writes them (one classic cross-reference table)")
    starts, lines = {}, iter(pdf[xref:pdf.index(b"trailer", xref)].split(b"\n")[1:])
    for line in lines:
        if not line.strip():
            continue
        first, count = map(int, line.split())
        for number in range(first, first + count):
            offset, _gen, kind = next(lines).split()
            if kind == b"n":
                starts[number] = int(offset)
    ends = sorted(starts.values())[1:] + [xref]
    return {number: (start, end) for (number, start), end
            in zip(sorted(starts.items(), key=lambda item: item[1]), ends)}


def _rewritten(pdf: bytes, spans: dict, changed: dict, trailer) -> bytes:
    """The PDF again: `changed` objects written anew, the rest copied as they were."""
    out = io.BytesIO()
    out.write(pdf[:min(start for start, _ in spans.values())])
    offsets = {}
    for number, (start, end) in sorted(spans.items(), key=lambda item: item[1][0]):
        offsets[number] = out.tell()
        if number in changed:
            write_object(out, number, changed[number])
        else:
            out.write(pdf[start:end])
    write_end(out, offsets, trailer)
    return out.getvalue()


def write_object(out, number: int, obj) -> None:
    """A pypdf object written as the PDF's object `number`."""
    out.write(b"%d 0 obj\n" % number)
    obj.write_to_stream(out)
    out.write(b"\nendobj\n")


def write_end(out, offsets: dict[int, int], trailer) -> None:
    """The cross-reference table of the objects at `offsets`, and the trailer."""
    xref, size = out.tell(), int(trailer["/Size"])
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets[number] if number in offsets
                  else b"0000000000 00000 f \n")
    out.write(b"trailer\n")
    trailer.write_to_stream(out)
    out.write(b"\nstartxref\n%d\n%%%%EOF\n" % xref)


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
