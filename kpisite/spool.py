"""Bytes kept in a file instead of in memory.

The parent of a build keeps every indicator's exports (its lines of the downloads and its rows
of the search index) only to join them into the site-wide files at the end: at 100,000
indicators they would be over a gigabyte. So they wait in a spool, a file without a name in the
output's state folder (on the output's own disk, not in a small /tmp), gone with the process.
What the parent keeps of an indicator's exports is where they are: an offset, the ends of its
parts, and their names, one set of names for every indicator. A forked worker keeps the files
it read (packed) in a spool of its own till it renders them.
"""
from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path


class Spool:
    def __init__(self, folder: Path):
        self.file = tempfile.TemporaryFile(dir=folder)
        self.end = 0
        self.shapes: dict[tuple, dict] = {}  # the names of the parts -> where each one is

    def keep(self, exports: dict) -> Exports:
        """`exports` (bytes, and dicts of bytes) in the spool, one part after the other."""
        names = tuple((key, tuple(value) if isinstance(value, dict) else None)
                      for key, value in exports.items())
        shape = self.shapes.get(names)
        if shape is None:
            shape = self.shapes[names] = _places(names)
        parts = [part for value in exports.values()
                 for part in (value.values() if isinstance(value, dict) else [value])]
        ends, end = array("I"), 0
        for part in parts:
            end += len(part)
            ends.append(end)
        return Exports(self, self.add(b"".join(parts)).offset, ends, shape)

    def add(self, data: bytes) -> Spooled:
        """`data` in the spool."""
        kept = Spooled(self, self.end, len(data))
        os.write(self.file.fileno(), data)
        self.end += len(data)
        return kept

    def read(self, offset: int, length: int) -> bytes:
        return os.pread(self.file.fileno(), length, offset)


def _places(names: tuple) -> dict:
    """{key: the index of its part, or {name: index} for a dict of parts}."""
    places, i = {}, 0
    for key, inner in names:
        if inner is None:
            places[key], i = i, i + 1
        else:
            places[key] = {name: i + n for n, name in enumerate(inner)}
            i += len(inner)
    return places


class Exports(Mapping):
    """An indicator's exports in the spool, read as the dict they were: each part Spooled."""

    __slots__ = ("spool", "offset", "ends", "shape")

    def __init__(self, spool: Spool, offset: int, ends: array, shape: dict):
        self.spool, self.offset, self.ends, self.shape = spool, offset, ends, shape

    def __getitem__(self, key):
        place = self.shape[key]
        if isinstance(place, int):
            return self._part(place)
        return {name: self._part(i) for name, i in place.items()}

    def __iter__(self):
        return iter(self.shape)

    def __len__(self) -> int:
        return len(self.shape)

    def _part(self, i: int) -> Spooled:
        start = self.ends[i - 1] if i else 0
        return Spooled(self.spool, self.offset + start, self.ends[i] - start)

    def __reduce__(self):
        return dict, ({key: self[key] for key in self},)


class Spooled:
    """Bytes in a spool: bytes(it) reads them. Equal to the same bytes anywhere (the preview
    compares an edited file's exports with these), and pickled as those bytes."""

    __slots__ = ("spool", "offset", "length")

    def __init__(self, spool: Spool, offset: int, length: int):
        self.spool, self.offset, self.length = spool, offset, length

    def __bytes__(self) -> bytes:
        return self.spool.read(self.offset, self.length)

    def __len__(self) -> int:
        return self.length

    def __eq__(self, other) -> bool:
        if isinstance(other, (Spooled, bytes)):
            return len(other) == self.length and bytes(other) == bytes(self)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(bytes(self))

    def __reduce__(self):
        return bytes, (bytes(self),)


class Pieces:
    """Parts to be read one after the other, as bytes: where each one is in its spool (two
    numbers in two arrays, not an object a part), or the parts themselves when they are not
    all in one spool. Reading them touches no object of the catalog they were found in, so a
    forked process that joins them copies none of its memory."""

    def __init__(self, parts: Iterable):
        parts = list(parts)
        spool = parts[0].spool if parts and isinstance(parts[0], Spooled) else None
        if spool and all(isinstance(part, Spooled) and part.spool is spool for part in parts):
            self.spool, self.parts = spool, None
            self.offsets = array("Q", (part.offset for part in parts))
            self.lengths = array("Q", (part.length for part in parts))
        else:
            self.spool, self.parts = None, parts

    def __iter__(self) -> Iterator[bytes]:
        if self.spool is None:
            yield from (bytes(part) for part in self.parts)
            return
        for offset, length in zip(self.offsets, self.lengths):
            yield self.spool.read(offset, length)
