"""Bytes a build keeps for a while, compressed: an indicator's download lines (from a worker to
the parent, its spool and the build cache) and the files a worker keeps between its two phases.

Zstandard at level -1: at 10,000 indicators the build compresses over a gigabyte of short texts,
and zlib at its fastest level took 8 s of the workers' CPU for it; zstd does it in about a third
of the time, reads it back two to three times as fast (the parent does, alone, at the end of
the build), and packs as tight (0.19 of the size, zlib 0.20).
"""
from __future__ import annotations

import threading

import zstandard

_LEVEL = -1
_own = threading.local()  # a compressor is not shared between threads (the preview's)


def pack(data: bytes) -> bytes:
    # compress() hands back its whole output buffer, as large as `data`: copied to its own
    # size, or a worker's kept files would take as much memory as before they were packed.
    return bytes(memoryview(_tools()[0].compress(data)))


def unpack(packed) -> bytes:
    """What `pack` made, from bytes or anything bytes() reads (spool.Spooled)."""
    return _tools()[1].decompress(bytes(packed))


def _tools() -> tuple:
    try:
        return _own.tools
    except AttributeError:
        _own.tools = (zstandard.ZstdCompressor(level=_LEVEL), zstandard.ZstdDecompressor())
        return _own.tools
