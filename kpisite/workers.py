"""Work on every core: forked worker processes that share the build's state with the parent.

fork shares the parsed templates, the site and the history with the children, so only the
items and the results are pickled. Workers die with the build that started them.
"""
from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import threading
from typing import Callable, Iterator

PARALLEL_MIN = 200  # below this many items, starting processes costs more than it saves
CHUNK = 64

_job: Callable | None = None  # what a forked worker applies to each item of its chunks
_parent = 0


def _start_worker(parent: int) -> None:
    """A worker dies with the build that started it (a killed build must stop writing)."""
    global _parent
    _parent = parent
    try:  # Linux: the kernel kills this process when its parent dies
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    gc.freeze()  # the inherited site and templates need no garbage collection
    gc.disable()  # collected once a chunk instead: most objects die young, few form cycles


def _run_chunk(items: list) -> list:
    results = []
    for item in items:
        if os.getppid() != _parent:  # the parent died before the kernel could tell us
            os._exit(1)
        results.append(_job(item))
    gc.collect()
    return results


def parallel(job: Callable, items: list, jobs: int, chunk: int = CHUNK) -> Iterator:
    """job(item) for each item, on `jobs` forked processes when it pays, in any order. Results
    come as chunks finish, so the caller handles them while the workers go on.

    Forking is safe only while this process runs a single thread: the preview server's own
    builds stay in-process.
    """
    global _job
    if jobs <= 1 or len(items) < PARALLEL_MIN or threading.active_count() > 1:
        yield from map(job, items)
        return
    _job = job
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(jobs, initializer=_start_worker, initargs=(os.getpid(),)) as pool:
            chunks = [items[i:i + chunk] for i in range(0, len(items), chunk)]
            for done in pool.imap_unordered(_run_chunk, chunks):
                yield from done
    finally:
        _job = None
