"""Thai line breaks: between words, where the dictionary finds them, never inside a word.

Thai is written without spaces, so a browser breaks lines where its own dictionary says, and
it splits compounds that readers keep whole (ตัวชี้|วัด, เครือ|ข่าย). Here each Thai run of a
text is kept on one line (<w->, white-space: nowrap) that may break only where <wbr> marks a
word's end, found in PyThaiNLP's dictionary with the words of thai-words.txt (`segment`). No
character is added: what a reader copies, the search index and the downloads hold the text
as written.

Every {{ ... }} of an HTML template that lands in text (not in a tag, a comment, a script, a
style, a title, an option or an SVG) goes through `breaks` (the Breaks extension does it when
the template compiles, and Jinja folds the translated words then): headings, cells, cards,
labels. HTML that code makes of a text is marked too, since `breaks` passes HTML as it is:
by render's _text_html (a number with its unit, a target, Thai content on another
language's page), or where it lands in text (`Unmarked`: a translated text with its values,
which a <title> may hold too). A chart's labels are cut into lines between words (`lines`:
SVG wraps no text), a printed sheet's running header shortened between words (`shortened`),
with the words its page breaks at (`words`). Before a worker renders a hundred indicators'
pages it finds their texts' words in one go (`prepare`), which costs less than one by one;
so does the process that renders the lists (`prepare_listed`). Narrative paragraphs,
rendered from Markdown, come as HTML and are left to the browser: segmenting every text
would cost more than the build's budget for it.
"""
from __future__ import annotations

import functools
import operator
import re
from pathlib import Path
from typing import Iterable

import ahocorasick
from jinja2.ext import Extension
from jinja2.lexer import Token
from markupsafe import Markup

from .markup import escape_text

WORDS_FILE = Path(__file__).with_name("thai-words.txt")
THAI_RUN = re.compile(r"[\u0e01-\u0e4e]{3,}")  # letters, vowels and marks; not ๐-๙, ๆ alone
THAI_RUNS = re.compile(f"({THAI_RUN.pattern})")  # splits a text into its runs and what is between
# Elements whose text takes no markup, or is not laid out as lines of HTML text.
UNMARKED = frozenset({"script", "style", "title", "textarea", "option", "svg"})
# Blocks a base template puts in a <title>, an attribute or the <head>: never text.
PLAIN_BLOCKS = frozenset({"title", "description", "body_class", "head"})
TAG = re.compile(r"<!--|-->|<(/?)([A-Za-z][\w-]*)|/?>")


def breaks(value):
    """A text of a page as HTML with its Thai words marked out; HTML (Markup) and anything
    that is not a text are left as they are, but for HTML made Unmarked."""
    kind = type(value)
    if kind is str:
        return value if value.isascii() else _marked(value)
    return _marked_html(value) if kind is Unmarked else value


class Unmarked(Markup):
    """HTML made of texts (a translated text with its values filled in) whose Thai words are
    marked where a template puts it in text, and only there: in a <title>, an attribute or
    a CSS string the same HTML must hold no mark."""

    __slots__ = ()


HTML_TAGS = re.compile(r"(<[^>]*>)")


def _marked_html(html: str) -> Markup:
    # The text between tags, marked: not inside a <w-> that a value brought marked already.
    pieces, inside = HTML_TAGS.split(html), 0
    for i, piece in enumerate(pieces):
        if i % 2:
            inside += (piece == "<w->") - (piece == "</w->")
        elif inside == 0 and not piece.isascii():
            pieces[i] = _runs_marked(piece)
    return Markup("".join(pieces))


MARKED_ROOM = 1 << 13  # texts kept marked: ~1,500 a hundred indicators (see prepare), and more


@functools.lru_cache(maxsize=MARKED_ROOM)
def _marked(text: str) -> Markup:
    # Six in seven of the Thai texts a build shows are shown again (an agency's name in
    # every row, an indicator's on its page and its printable view): found once.
    return Markup(_runs_marked(escape_text(text)))


def _runs_marked(escaped: str) -> str:
    """Escaped text with each of its Thai runs marked (run_html)."""
    pieces = THAI_RUNS.split(escaped)  # what is around the runs, and the runs
    pieces[1::2] = [run_html(run) for run in pieces[1::2]]
    return "".join(pieces)


def run_html(run: str) -> str:
    """A Thai run (no spaces in it) on one line, breakable between its words."""
    return "<w->" + "<wbr>".join(run_words(run)) + "</w->"


# Few runs come again that _marked has not kept whole (a fifth of the lookups at 65,536): a
# larger cache held 70 MB in each worker at 10,000 indicators, for 2 % fewer calls.
@functools.lru_cache(maxsize=1 << 12)
def run_words(run: str) -> tuple[str, ...]:
    """The words of a Thai run (no spaces in it)."""
    return tuple(segment(run))


def prepare(texts: Iterable[str]) -> None:
    """Mark the Thai words of texts that pages will show, in one go before they are
    rendered. One call after another, the segmenter's dictionary stays in the processor's
    cache; between two steps of rendering a page it does not (measured alone: 0.2 µs a
    character in a loop, four to six times that with 8 MB of other memory read between
    calls)."""
    for text in texts:
        if not text.isascii():
            _marked(text)  # and its runs' words into run_words' cache


LISTED_ROOM = 1 << 15  # texts kept marked at most while a build renders its lists (~15 MB)


def prepare_listed(texts: list[str]) -> None:
    """Mark, in one go, the texts of indicators that the site's lists will show (names,
    targets), and keep them while those lists are rendered, if they fit: an indicator is in
    its agency's list, its year's, and that of each strategy level above it, rendered far
    apart (at 10,000 indicators the cache above, which they outgrow, found each name's words
    twice)."""
    global _marked
    room = MARKED_ROOM + len(texts)
    if room > LISTED_ROOM:
        return
    if room > _marked.cache_info().maxsize:
        _marked = functools.lru_cache(maxsize=room)(_marked.__wrapped__)
    prepare(texts)


SPACED = re.compile(r"\s*\S+\s*|\s+")  # a text cut after its spaces


def words(text: str) -> list[str]:
    """The words of `text`, as pages break it (and from the same cache: a printed sheet's
    running header is the name its page shows): after spaces, and between the words of a
    Thai run; what touches a run without a space ("(", ")", digits) stays with its word."""
    found = []
    for chunk in SPACED.findall(text):
        pieces, end = [""], 0
        for match in THAI_RUN.finditer(chunk):
            first, *rest = run_words(match.group())
            pieces[-1] += chunk[end:match.start()] + first
            pieces += rest
            end = match.end()
        pieces[-1] += chunk[end:]
        found += pieces
    return found


# Characters that take room on a line: not Thai vowels and marks written above or below.
SPACING = re.compile(r"[^\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")


@functools.lru_cache(maxsize=4096)
def lines(text: str, room: int) -> tuple[str, ...]:
    """`text` in lines of at most `room` characters that take room, broken between words:
    for SVG, which wraps no text. A word longer than a line has a line of its own."""
    if len(SPACING.findall(text)) <= room:
        return (text,)
    found, line = [], ""
    for word in words(text):
        if line.strip() and len(SPACING.findall(line + word)) > room:
            found.append(line.strip())
            line = word
        else:
            line += word
    return tuple(found + [line.strip()])


SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=64)  # an indicator's page and its printable view: the same header
def shortened(text: str, limit: int) -> str:
    """`text`, or as many of its first words as fit in `limit` characters, and "…" (where a
    line cannot hold markup: a printed sheet's running header)."""
    if len(text) <= limit:
        return text
    # No word from the spaces after the limit on can fit: those are not looked for.
    after = SPACES.search(text, limit - 1)
    kept, length = [], 0
    for word in words(text[:after.end()] if after else text):
        if length + len(word) > limit - 1:
            break
        kept.append(word)
        length += len(word)
    return "".join(kept).rstrip() + "…"


# A dictionary word cannot begin with a vowel or mark written after its consonant (or ๆ),
# nor end with one written before it (เ แ โ ใ ไ): no cut may fall inside such a cluster.
# PyThaiNLP's words pass today; the rule guards thai-words.txt and later dictionaries.
NOT_A_START = re.compile(r"^[\u0e30-\u0e3a\u0e45-\u0e4e]")
NOT_AN_END = re.compile(r"[\u0e40-\u0e44]$")


def dictionary_words() -> set[str]:
    """PyThaiNLP's Thai words, with thai-words.txt's (the indicators' own compounds) and
    without those it marks "-" (rare words that make it misread ours)."""
    from pythainlp.corpus import thai_words

    entries = {line.split("#")[0].strip() for line in WORDS_FILE.read_text("utf-8").splitlines()}
    own = {entry for entry in entries if entry and not entry.startswith("-")}
    dropped = {entry[1:] for entry in entries if entry.startswith("-")}
    return {word for word in (set(thai_words()) | own) - dropped
            if not (NOT_A_START.search(word) or NOT_AN_END.search(word))}


@functools.cache
def dictionary() -> tuple[ahocorasick.Automaton, ahocorasick.Automaton]:
    """The segmenter's words, loaded once a process (before the build's workers fork, so they
    share it: 21 MB), in two automatons, each word's value the word: one of the words, one of
    the words spelt backwards."""
    forward, backward = ahocorasick.Automaton(), ahocorasick.Automaton()
    for word in dictionary_words():
        forward.add_word(word, word)
        backward.add_word(word[::-1], word)
    forward.make_automaton()
    backward.make_automaton()
    return forward, backward


_word = operator.itemgetter(1)  # of a match: its word


def segment(text: str) -> list[str]:
    """The words of a Thai run, cut only where it reads the same both ways: matching the
    longest dictionary words from its start and, apart, from its end, both find one word
    ending and the next beginning there. Where the two readings differ (the run is
    ambiguous) or a word is not in the dictionary, that stretch stays whole: a longer piece
    rather than a wrong cut. (pyahocorasick's longest matching can miss a short word at the
    very end that lies inside an unfinished longer one: that too only loses a cut.)
    Measured against PyThaiNLP's newmm (maximal matching, in nlpo3's Rust build) on the
    bundled and reference texts: every cut is one of newmm's, and 96 % of newmm's found."""
    forward, backward = dictionary()
    ahead = list(forward.iter_long(text))
    behind = list(backward.iter_long(text[::-1]))
    words = list(map(_word, ahead))
    if "".join(words) == text and words == list(map(_word, reversed(behind))):
        return words  # three runs in four of the synthetic corpus: both readings alike
    length = len(text)
    cuts = sorted(_joins(ahead) & {length - join for join in _joins(behind)})
    return [text[start:end] for start, end in zip([0, *cuts], [*cuts, length])]


def _joins(matches: list[tuple[int, str]]) -> set[int]:
    """Where one of `matches` (each its last character's place and its word) ends and the
    next begins, counted in the text they were found in."""
    joins, last_end = set(), -1
    for end, word in matches:
        start = end + 1 - len(word)
        if start == last_end:
            joins.add(start)
        last_end = end + 1
    return joins


class Breaks(Extension):
    """Puts `| breaks` after every {{ ... }} of an HTML template that lands in text."""

    def filter_stream(self, stream):
        if not (stream.name or "").endswith(".html"):
            yield from stream
            return
        place, blocks, last = Place(), [], None
        for token in stream:
            if token.type == "data":
                place.read(token.value)
            elif token.type == "name" and last is not None and last.type == "name":
                if last.value == "block":  # {% block title %}: a block's name comes next
                    blocks.append(token.value)
            elif token.type == "name" and token.value == "endblock" and blocks:
                blocks.pop()
            last = token if token.type == "name" else None
            if token.type != "variable_begin" or not place.in_text or PLAIN_BLOCKS & set(blocks):
                yield token
                continue
            yield token
            yield Token(token.lineno, "lparen", "(")
            for inner in stream:
                if inner.type == "variable_end":
                    break
                yield inner
            yield Token(inner.lineno, "rparen", ")")
            yield Token(inner.lineno, "pipe", "|")
            yield Token(inner.lineno, "name", "breaks")
            yield inner


class Place:
    """Where the template's HTML is, read piece by piece: in a tag, a comment, an element
    whose text takes no markup, or in text."""

    def __init__(self):
        self.in_tag = self.in_comment = False
        self.tag, self.closing, self.unmarked = "", False, ""

    @property
    def in_text(self) -> bool:
        return not (self.in_tag or self.in_comment or self.unmarked)

    def read(self, html: str) -> None:
        for match in TAG.finditer(html):
            token = match.group()
            if self.in_comment:
                self.in_comment = token != "-->"
            elif token == "<!--":
                self.in_comment = True
            elif token in (">", "/>"):
                if self.in_tag and token == ">" and not self.closing and not self.unmarked \
                        and self.tag in UNMARKED:
                    self.unmarked = self.tag
                self.in_tag = False
            elif match.group(2) and not self.in_tag:
                name, closing = match.group(2).lower(), bool(match.group(1))
                if self.unmarked and not (closing and name == self.unmarked):
                    continue  # a tag inside a script or an SVG: still unmarked
                if closing and name == self.unmarked:
                    self.unmarked = ""
                self.in_tag, self.tag, self.closing = True, name, closing
