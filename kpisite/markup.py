"""Narrative fields: Markdown to safe HTML.

Editors from many offices write these fields; whatever they write, the output holds no script,
event handler or foreign markup (sanitised by nh3, a binding of the Rust crate ammonia).
Most fields are plain Thai paragraphs: those skip the Markdown parser (same output, much faster).
"""
from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as etree

import markdown
import markupsafe
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

# A str's HTML escape, as a str: markupsafe 3's, in C (escape() is Python code and makes a
# Markup); with another markupsafe, its escape made a str.
escape_text = getattr(markupsafe, "_escape_inner", lambda text: str(markupsafe.escape(text)))

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "hr", "sup", "sub", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, **{f"h{n}": {"id"} for n in range(2, 7)}}
PAGE_TAGS = ALLOWED_TAGS | {"h2"}  # a page of its own (content/pages/) has its h2s
URL_SCHEMES = {"http", "https", "mailto"}

# A text is "plain" when Markdown would only wrap it in paragraphs and line breaks.
_SPECIAL = re.compile(r"[\\`*_\[\]<>&#|\u00a0\x00-\x09\x0b-\x1f\x7f]")
_BLOCK_START = re.compile(r"^(?:\s|[-+*>=]|\d+[.)])")


class _Headings(Treeprocessor):
    """Demote headings below the page's own (h1 -> h3; on a page of its own, h2 at most) and
    give them Thai-safe, unique ids that start with the Markdown instance's `id_prefix` (set
    per field by render(), with `shift`)."""

    def run(self, root: etree.Element) -> None:
        used: set[str] = set()
        for el in root.iter():
            if el.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                el.tag = f"h{min(max(int(el.tag[1]) + self.md.shift, 2), 6)}"
                slug = base = f"{self.md.id_prefix}-{slugify(''.join(el.itertext()))}".rstrip("-")
                n = 1
                while slug in used:
                    n += 1
                    slug = f"{base}-{n}"
                used.add(slug)
                el.set("id", slug)


class _HeadingExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Markdown's API)
        md.treeprocessors.register(_Headings(md), "kpisite-headings", 5)


_md = markdown.Markdown(extensions=["sane_lists", "nl2br", "tables", _HeadingExtension()])

# What one field may hold: Python-Markdown takes time that grows with the square of nested
# brackets and of runs of tags, and reference links repeat their addresses where they are
# used. Real reports stay far below these; a hostile file is refused before it is rendered.
MAX_CHARACTERS = 50_000
MAX_NESTING = 20  # [ ( < within one another
MAX_ANGLES = 300  # < in one field (each may open a tag)
MAX_EXPANSION = 200_000  # characters that reference links may add


def too_much(text: str) -> tuple[str, int] | None:
    """The limit that a Markdown text goes over, and its value; None within them all."""
    if len(text) > MAX_CHARACTERS:
        return "characters", MAX_CHARACTERS
    angles, squares = text.count("<"), text.count("[")
    if angles > MAX_ANGLES:
        return "angles", MAX_ANGLES
    if angles + squares + text.count("(") > MAX_NESTING:  # else they cannot nest that deep
        depth = deepest = 0
        for bracket in _BRACKETS.findall(text):
            depth = depth + 1 if bracket in "[(<" else max(depth - 1, 0)
            deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            return "nesting", MAX_NESTING
    addresses = [len(url) for url in _REFERENCE.findall(text)] if "]:" in text else ()
    if addresses and squares * max(addresses) > MAX_EXPANSION:
        return "expansion", MAX_EXPANSION
    return None


_REFERENCE = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*(\S+)", re.M)
_BRACKETS = re.compile(r"[][()<>]")


def slugify(text: str) -> str:
    """An id from heading text that keeps Thai vowels and tone marks (category M), unlike \\w."""
    text = unicodedata.normalize("NFC", text).lower()
    kept = "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in text)
    return "-".join(kept.split())


def is_plain(text: str) -> bool:
    """True when `text` has nothing Markdown would treat as markup."""
    return not _SPECIAL.search(text) and not any(
        _BLOCK_START.match(line) or line.endswith(" ") for line in text.split("\n"))


def render(text: str, prefix: str = "section", shift: int = 2) -> Markup:
    """Safe HTML for a Markdown field; `prefix` keeps heading ids unique on a page; `shift`:
    how many levels its headings go down (2: a field's # is an h3, under the page's h2s)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return Markup("")
    if is_plain(text):
        paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
        return Markup("\n".join(f"<p>{p.strip().replace(chr(10), '<br>' + chr(10))}</p>"
                                for p in paragraphs))
    _md.reset()
    _md.id_prefix, _md.shift = prefix, shift
    html = _md.convert(text)
    return Markup(nh3.clean(html, tags=ALLOWED_TAGS if shift else PAGE_TAGS, attributes=ALLOWED_ATTRIBUTES,
                            url_schemes=URL_SCHEMES, link_rel="noopener noreferrer").strip())


_BLOCK_END = re.compile(r"</(?:p|h[3-6]|blockquote|pre|table|ul|ol)>\s*")
_LINE_END = re.compile(r"(?:<br>|</li>|</tr>)\s*")
_CELL_END = re.compile(r"</t[dh]>\s*")
_TAG = re.compile(r"<[^>]*>")
_PARAGRAPHS = re.compile(r"\n\s*\n")


def plain(text: str) -> str:
    """What a reader of the page reads of a Markdown field, without its marks (for the
    downloads' *_text columns): paragraphs apart by an empty line, list items on lines."""
    import html

    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text or is_plain(text):
        return "\n\n".join([p.strip() for p in _PARAGRAPHS.split(text) if p.strip()])
    shown = _BLOCK_END.sub("\n\n", _LINE_END.sub("\n", str(render(text))))
    shown = _CELL_END.sub("\t", shown)
    lines = [line.strip() for line in html.unescape(_TAG.sub("", shown)).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
