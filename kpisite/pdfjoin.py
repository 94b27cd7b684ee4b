"""PDFs as Chromium prints them, joined into one tagged PDF, one part at a time.

A long booklet is printed in parts (booklets.py) so that no printing holds thousands of pages.
No library joins tagged PDFs (qpdf, pypdf and PyMuPDF drop or break the structure tree), so
this does, for Chromium's shape of them: one classic cross-reference table, a catalog with
/Dests, /Outlines, /StructTreeRoot (one /Document element, a flat /ParentTree, an /IDTree).
Each part's objects are copied with new numbers (stream data as it is, compressed); what
must be one in the whole (the page tree, the structure tree's root and its Document, its
parent tree and ids, the outline's top level, the named destinations, the catalog) is
gathered and written once at the end. Only the gathered entries stay in memory.
"""
from __future__ import annotations

import io
import re
from typing import BinaryIO

from pypdf import PdfReader
from pypdf.generic import (ArrayObject, DictionaryObject, IndirectObject, NameObject,
                           NumberObject, TextStringObject)

from . import booklets

PAGES, DOCUMENT, STRUCTURE, PARENTS, IDS, OUTLINES, DESTS, CATALOG, INFO = range(1, 10)
FIRST_FREE = 10  # object numbers below are the whole's own


class Joined:
    """`add(pdf)` each part in order, then `close(info)`: the whole is in `out`."""

    def __init__(self, out: BinaryIO):
        self.out, self.offsets, self.next = out, {}, FIRST_FREE
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        self.pages, self.kids, self.parents, self.ids = [], [], [], []
        self.outline, self.dests, self.weak = [], {}, set()
        self.parent_keys, self.parts, self.first = 0, 0, None

    def add(self, pdf: bytes, placeholders: bool = False) -> None:
        """A part's pages after those before. `placeholders`: its named destinations give
        way to a later part's of the same name (a front printed with empty anchors)."""
        reader, spans = PdfReader(io.BytesIO(pdf)), booklets.object_spans(pdf)
        part = _Part(reader, self.parts)
        numbers = self._numbered(part, spans)
        self._gather(part, numbers, placeholders)
        copied = _Copier(numbers, self.parent_keys, part.prefix)
        for number in sorted(spans):
            if number in numbers and number not in part.whole_of \
                    and number not in part.deferred:
                start, end = spans[number]
                self.offsets[numbers[number]] = self.out.tell()
                self.out.write(copied(numbers[number], pdf[start:end]))
        self.parent_keys += part.parent_keys
        self.parts += 1

    def _numbered(self, part: "_Part", spans: dict) -> dict[int, int]:
        """A new number for each of the part's objects, the whole's own for its shared ones."""
        numbers = dict(part.whole_of)
        for number in sorted(spans):
            if number not in numbers and number not in part.dropped:
                numbers[number], self.next = self.next, self.next + 1
        return numbers

    def _gather(self, part: "_Part", numbers: dict, placeholders: bool) -> None:
        ref = lambda obj: _ref(numbers[obj.idnum])  # noqa: E731
        fix = lambda value: _renumbered(value, ref)  # noqa: E731
        self.pages += [ref(page.indirect_reference) for page in part.reader.pages]
        self.kids += part.document_kids(ref)
        self.parents += [(key + self.parent_keys, fix(value)) for key, value in part.parents()]
        self.ids += [(part.prefix + str(name), ref(value)) for name, value in part.ids()]
        # Copies: the reader's own objects would keep the whole part in memory till the end.
        self.outline += [(numbers[item.idnum], DictionaryObject(fix(item.get_object())))
                         for item in part.outline]
        for name, dest in part.dests().items():
            if name not in self.dests or name in self.weak:
                self.dests[name] = fix(dest)
                (self.weak.add if placeholders else self.weak.discard)(name)
        if self.first is None:
            catalog, document, title = part.kept_from_first()
            self.first = ({k: fix(v) for k, v in catalog.items()},
                          {k: fix(v) for k, v in document.items()}, title)

    def _write(self, number: int, obj) -> None:
        self.offsets[number] = self.out.tell()
        booklets.write_object(self.out, number, obj)

    def close(self, info: dict) -> None:
        """The shared objects, the cross-reference table and the trailer."""
        catalog, document, title = self.first
        self._write(PAGES, _dict(Type=NameObject("/Pages"), Kids=ArrayObject(self.pages),
                                 Count=NumberObject(len(self.pages))))
        self._write(DOCUMENT, _dict(**document, P=_ref(STRUCTURE), K=ArrayObject(self.kids)))
        self._write(STRUCTURE, _dict(Type=NameObject("/StructTreeRoot"), K=_ref(DOCUMENT),
                                     ParentTree=_ref(PARENTS), IDTree=_ref(IDS),
                                     ParentTreeNextKey=NumberObject(self.parent_keys)))
        self._write(PARENTS, _dict(Nums=ArrayObject(
            [x for key, value in sorted(self.parents, key=lambda p: p[0])
             for x in (NumberObject(key), value)])))
        self._write(IDS, _dict(Names=ArrayObject(
            [x for name, value in sorted(self.ids) for x in (TextStringObject(name), value)])))
        self._write_outline()
        self._write(DESTS, DictionaryObject(
            {NameObject("/" + name): dest for name, dest in sorted(self.dests.items())}))
        self._write(CATALOG, _dict(**catalog, Type=NameObject("/Catalog"), Pages=_ref(PAGES),
                                   StructTreeRoot=_ref(STRUCTURE), Outlines=_ref(OUTLINES),
                                   Dests=_ref(DESTS)))
        self._write(INFO, DictionaryObject({NameObject(k): TextStringObject(v)
                                            for k, v in {"/Title": title, **info}.items()}))
        self._write_xref()

    def _write_outline(self) -> None:
        """The parts' top-level bookmarks, one after another under one root."""
        count = 0
        for i, (number, item) in enumerate(self.outline):
            for key in ("/Prev", "/Next"):
                item.pop(NameObject(key), None)
            if i:
                item[NameObject("/Prev")] = _ref(self.outline[i - 1][0])
            if i + 1 < len(self.outline):
                item[NameObject("/Next")] = _ref(self.outline[i + 1][0])
            count += 1 + max(0, int(item.get("/Count", 0)))
            self._write(number, item)
        ends = {"First": _ref(self.outline[0][0]), "Last": _ref(self.outline[-1][0])} \
            if self.outline else {}
        self._write(OUTLINES, _dict(Type=NameObject("/Outlines"), Count=NumberObject(count),
                                    **ends))

    def _write_xref(self) -> None:
        booklets.write_end(self.out, self.offsets, _dict(
            Size=NumberObject(max(self.offsets) + 1), Root=_ref(CATALOG), Info=_ref(INFO)))


class _Copier:
    """An object of a part, as bytes, under its new number, its dictionary's text changed
    (stream data is copied as it is): references renumbered, parent-tree keys moved after the
    parts' before, element ids (and the /Headers that name them) made the part's. Parsing
    every object with pypdf took 30 ms a page."""

    # Chromium writes strings as literals with their parentheses escaped, so a string is one
    # token here and nothing in it is taken for a reference. Alternatives that start earlier
    # win: "/ID (" before its string, "/Headers [...]" before the strings in it.
    TOKEN = re.compile(rb"/ID\s*\(|/Headers\s*\[[^\]]*\]|\((?:[^\\()]|\\.)*\)"
                       rb"|(\d+) 0 R\b|(/StructParents?)\s+(\d+)")
    STREAM = re.compile(rb">>\s*stream\r?\n")

    def __init__(self, numbers: dict[int, int], key_offset: int, prefix: str):
        self.numbers, self.key_offset, self.prefix = numbers, key_offset, prefix.encode()

    def __call__(self, number: int, source: bytes) -> bytes:
        body = source[source.index(b"obj") + 3:]
        stream = self.STREAM.search(body)
        head, rest = (body[:stream.start()], body[stream.start():]) if stream else (body, b"")
        return b"%d 0 obj" % number + self.TOKEN.sub(self._token, head) + rest

    def _token(self, match: re.Match) -> bytes:
        token = match.group()
        if match.group(1):
            return b"%d 0 R" % self.numbers[int(match.group(1))]
        if match.group(2):
            return match.group(2) + b" %d" % (int(match.group(3)) + self.key_offset)
        if token.startswith(b"/ID"):
            return token + self.prefix
        if token.startswith(b"/Headers"):
            return token.replace(b"(", b"(" + self.prefix)
        return token  # a string


def _ref(number: int) -> IndirectObject:
    """A reference to the whole's object `number`."""
    return IndirectObject(number, 0, None)


def _dict(**entries) -> DictionaryObject:
    return DictionaryObject({NameObject("/" + k.lstrip("/")): v for k, v in entries.items()})


class _Part:
    """One printed part: which of its objects the whole replaces, drops or gathers."""

    def __init__(self, reader: PdfReader, index: int):
        self.reader, self.prefix = reader, f"p{index}-"
        root = reader.trailer["/Root"]
        self.tree = root["/StructTreeRoot"]
        self.document = self.tree["/K"]
        outlines = root.get("/Outlines")
        self.outline = list(_chain(outlines.get("/First"))) if outlines else []
        # Shared objects: references to them become references to the whole's.
        self.whole_of = {self.tree.indirect_reference.idnum: STRUCTURE,
                         self.document.indirect_reference.idnum: DOCUMENT}
        self.whole_of.update({node.idnum: PAGES for node in _page_nodes(root.raw_get("/Pages"))})
        if outlines:
            self.whole_of[root.raw_get("/Outlines").idnum] = OUTLINES
        self.dropped = {root.indirect_reference.idnum, reader.trailer.raw_get("/Info").idnum,
                        *_tree_nodes(self.tree.raw_get("/ParentTree")),
                        *_tree_nodes(self.tree.raw_get("/IDTree"))}
        if "/Dests" in root and isinstance(root.raw_get("/Dests"), IndirectObject):
            self.dropped.add(root.raw_get("/Dests").idnum)
        self.deferred = {item.idnum for item in self.outline}  # written at the end
        self.parent_keys = int(self.tree.get("/ParentTreeNextKey", 0))

    def document_kids(self, ref) -> list:
        kids = self.document.raw_get("/K")  # an element, or an array of them
        if isinstance(kids, IndirectObject) and isinstance(kids.get_object(), list):
            kids = kids.get_object()
        return [ref(kid) for kid in (kids if isinstance(kids, list) else [kids])]

    def parents(self) -> list:
        return [(int(key), value) for node in _leaves(self.tree.get("/ParentTree"), "/Nums")
                for key, value in zip(node[::2], node[1::2])]

    def ids(self) -> list:
        return [(name, value) for node in _leaves(self.tree.get("/IDTree"), "/Names")
                for name, value in zip(node[::2], node[1::2])]

    def dests(self) -> dict:
        dests = self.reader.trailer["/Root"].get("/Dests")
        return {str(name).lstrip("/"): dests.raw_get(name) for name in dests} if dests else {}

    def kept_from_first(self) -> tuple[dict, dict, str]:
        """The catalog's and the Document's entries the whole keeps, and the title."""
        root = self.reader.trailer["/Root"]
        catalog = {k: root.raw_get(k) for k in ("/MarkInfo", "/Lang", "/ViewerPreferences")
                   if k in root}
        document = {k: self.document.raw_get(k) for k in ("/Type", "/S", "/Lang")
                    if k in self.document}
        title = str((self.reader.metadata or {}).get("/Title", ""))
        return catalog, document, title

def _renumbered(value, ref):
    """A gathered `value` (a destination, a bookmark, a parent-tree entry) with its references
    renumbered, in place: the reader is the part's alone. None of them holds what _Copier
    changes besides references (parent-tree keys, element ids)."""
    if isinstance(value, IndirectObject):
        return ref(value)
    if isinstance(value, dict):
        for key in list(value):
            value[key] = _renumbered(value.raw_get(key), ref)
    elif isinstance(value, list):
        value[:] = [_renumbered(item, ref) for item in value]
    return value


def _chain(item):
    """An outline level's items, from its first."""
    while item is not None:
        yield item if isinstance(item, IndirectObject) else item.indirect_reference
        item = item.get_object().raw_get("/Next") if "/Next" in item.get_object() else None


def _page_nodes(node) -> list:
    """The page tree's inner nodes (the pages themselves are kept)."""
    obj = node.get_object()
    if obj.get("/Type") != "/Pages":
        return []
    if {"/Resources", "/MediaBox", "/CropBox", "/Rotate"} & set(obj):
        # Chromium gives each page its own; copied as they are, pages would lose these.
        raise ValueError("a page tree that pages inherit from: not as Chromium writes them")
    return [node] + [inner for kid in obj["/Kids"] for inner in _page_nodes(kid)]


def _tree_nodes(node) -> list[int]:
    """The object numbers of a number or name tree's nodes."""
    if node is None:
        return []
    found = [node.idnum] if isinstance(node, IndirectObject) else []
    return found + [n for kid in node.get_object().get("/Kids", []) for n in _tree_nodes(kid)]


def _leaves(node, key: str) -> list:
    """The /Nums or /Names arrays of a number or name tree's leaves."""
    if node is None:
        return []
    node = node.get_object()
    return ([node.raw_get(key).get_object()] if key in node else []) + \
        [leaf for kid in node.get("/Kids", []) for leaf in _leaves(kid, key)]
