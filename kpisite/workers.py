"""Work on every core: forked worker processes that share the build's state with the parent.

fork shares the parsed templates, the site, the history and the items themselves with the
children: only chunk numbers go to them and only results come back. A worker takes the next
chunk number from a pipe when it is free, so a slow chunk holds up no other.
Workers die with the build that started them.
"""
from __future__ import annotations

import ctypes
import gc
import os
import pickle
import signal
import threading
import traceback
from multiprocessing.connection import Connection, Pipe, wait
from typing import Callable, Iterator, Sequence

PARALLEL_MIN = 200  # below this many items, starting processes costs more than it saves
CHUNK = 64
# Chunk numbers go through a pipe as 4 bytes each, all written before any worker exists: as
# one pipe reader at a time is let in, each 4-byte read takes exactly one number. A pipe holds
# at least a page, so up to 1,024 numbers never make the writer wait.
_NUMBER = 4
_PIPE_ROOM = 4096 // _NUMBER


def parallel(job: Callable, items: Sequence, jobs: int, chunk: int = CHUNK,
             before_chunk: Callable | None = None) -> Iterator:
    """job(item) for each item, on `jobs` forked processes when it pays, in any order. Results
    come as chunks finish, so the caller handles them while the workers go on. An exception
    in a worker is raised here. A worker calls `before_chunk` with each chunk it takes (not
    called when the items run in this process).

    Forking is safe only while this process runs a single thread: the preview server's own
    builds stay in-process.
    """
    if jobs <= 1 or len(items) < PARALLEL_MIN or threading.active_count() > 1:
        yield from map(job, items)
        return
    chunk = max(chunk, -(-len(items) // _PIPE_ROOM))
    chunks = [items[i:i + chunk] for i in range(0, len(items), chunk)]
    todo, todo_writer = os.pipe()
    os.write(todo_writer, b"".join(n.to_bytes(_NUMBER, "little") for n in range(len(chunks))))
    os.close(todo_writer)  # once the numbers are taken, a read finds the end: no more work
    parent, children = os.getpid(), {}  # children: each worker's results pipe, and its pid
    try:
        for _ in range(min(jobs, len(chunks))):
            _fork(children, lambda results: _work(job, before_chunk, chunks, todo, results,
                                                  parent))
        while children:
            for reader in wait(list(children)):
                try:
                    kind, value = pickle.loads(reader.recv_bytes())
                except (EOFError, OSError):  # the worker is gone: finished, or died
                    status = os.waitstatus_to_exitcode(os.waitpid(children[reader], 0)[1])
                    pid = children.pop(reader)
                    reader.close()
                    if status:
                        raise RuntimeError(f"worker {pid} ended unexpectedly (status {status})"
                                           ) from None
                    continue
                if kind == "error":
                    error, trace = value
                    raise error from RuntimeError(f"in worker {children[reader]}:\n{trace}")
                yield from value
    finally:
        os.close(todo)
        for reader, pid in children.items():  # an error, or the caller stopped early
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            reader.close()


def _fork(children: dict[Connection, int], life: Callable[[Connection], None]) -> None:
    """Start a worker that lives `life(its results pipe)`, and add it to `children`."""
    reader, writer = Pipe(duplex=False)
    # Ctrl+C waits until the new process is on the list that the caller's clean-up kills.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    pid = os.fork()
    if pid == 0:  # the worker: it must never return into the caller's code
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops it
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            for other in [reader, *children]:
                other.close()
            life(writer)
        finally:
            os._exit(1)
    children[reader] = pid
    writer.close()
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _work(job: Callable, before_chunk: Callable | None, chunks: list, todo: int,
          results: Connection, parent: int) -> None:
    """A worker's life: chunks until there are none left, each one's results one message.
    `parent` is the pid the parent had before forking: a worker orphaned early still knows."""
    try:
        try:  # Linux: the kernel kills this process when its parent dies
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        gc.freeze()  # the inherited site and templates need no garbage collection
        gc.disable()  # collected once a chunk instead: most objects die young, few form cycles
        while number := os.read(todo, _NUMBER):
            done, items = [], chunks[int.from_bytes(number, "little")]
            if before_chunk:
                before_chunk(items)
            for item in items:
                if os.getppid() != parent:  # the parent died, perhaps before prctl above
                    os._exit(1)
                done.append(job(item))
            results.send_bytes(pickle.dumps(("results", done), pickle.HIGHEST_PROTOCOL))
            gc.collect()
    except BaseException as error:  # noqa: BLE001 (everything goes to the parent, which decides)
        trace = traceback.format_exc()
        try:
            message = pickle.dumps(("error", (error, trace)), pickle.HIGHEST_PROTOCOL)
            pickle.loads(message)  # some exceptions pickle but cannot be rebuilt
        except Exception:  # noqa: BLE001
            message = pickle.dumps(("error", (RuntimeError(trace), trace)))
        try:
            results.send_bytes(message)
        except OSError:
            pass
        os._exit(1)
    os._exit(0)  # never the parent's clean-up code: that is the parent's to run
