"""Bytes kept in a file instead of in memory.

The parent of a build keeps every indicator's exports (its lines of the downloads and its rows
of the search index) only to join them into the site-wide files at the end: at 100,000
indicators they would be over a gigabyte. So they wait in a spool, a file without a name in the
output's state folder (on the output's own disk, not in a small /tmp), gone with the process.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


class Spool:
    def __init__(self, folder: Path):
        self.file = tempfile.TemporaryFile(dir=folder)
        self.end = 0

    def put(self, data: bytes) -> Spooled:
        os.write(self.file.fileno(), data)
        spooled = Spooled(self, self.end, len(data))
        self.end += len(data)
        return spooled

    def keep(self, exports: dict) -> dict:
        """`exports` with each of its bytes in the spool (a dict of them too, as deep as it is)."""
        return {key: self.keep(value) if isinstance(value, dict) else
                self.put(value) if isinstance(value, bytes) else value
                for key, value in exports.items()}


class Spooled:
    """Bytes in a spool: bytes(it) reads them. Equal to the same bytes anywhere (the preview
    compares an edited file's exports with these), and pickled as those bytes."""

    __slots__ = ("spool", "offset", "length")

    def __init__(self, spool: Spool, offset: int, length: int):
        self.spool, self.offset, self.length = spool, offset, length

    def __bytes__(self) -> bytes:
        return os.pread(self.spool.file.fileno(), self.length, self.offset)

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
