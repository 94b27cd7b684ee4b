"""Work on every core: forked worker processes that share the build's state with the parent.

fork shares the parsed templates, the site, the history and the items themselves with the
children: only chunk numbers go to them and only results come back. A worker takes the next
chunk number from a pipe when it is free, so a slow chunk holds up no other.
(multiprocessing.Pool pickled every item, and its worker-watching thread spun while results
were in flight: together a tenth of a core taken from the workers.)
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
_NUMBER = 4  # bytes of a chunk number in the pipe; reads this small are atomic between readers
_PIPE_ROOM = 4096 // _NUMBER  # chunk numbers that fit in any pipe (at least a page): all are
                              # written before forking, so writing must never wait


def parallel(job: Callable, items: Sequence, jobs: int, chunk: int = CHUNK) -> Iterator:
    """job(item) for each item, on `jobs` forked processes when it pays, in any order. Results
    come as chunks finish, so the caller handles them while the workers go on. An exception
    in a worker is raised here.

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
    children: dict[Connection, int] = {}
    try:
        for _ in range(min(jobs, len(chunks))):
            reader, writer = Pipe(duplex=False)
            pid = os.fork()
            if pid == 0:
                reader.close()
                _work(job, chunks, todo, writer)  # never returns
            writer.close()
            children[reader] = pid
        while children:
            for reader in wait(list(children)):
                try:
                    kind, value = pickle.loads(reader.recv_bytes())
                except EOFError:  # it died without a word: killed, or out of memory
                    raise RuntimeError(f"worker {children[reader]} ended unexpectedly") from None
                if kind == "error":
                    error, trace = value
                    raise error from RuntimeError(f"in worker {children[reader]}:\n{trace}")
                if kind == "done":
                    os.waitpid(children.pop(reader), 0)
                    reader.close()
                else:
                    yield from value
    finally:
        os.close(todo)
        for reader, pid in children.items():  # an error, or the caller stopped early
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            reader.close()


def _work(job: Callable, chunks: list, todo: int, results: Connection) -> None:
    """A worker's life: chunks until there are no more, each one's results sent as one message."""
    parent = os.getppid()
    status = 0
    try:
        try:  # Linux: the kernel kills this process when its parent dies
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
        gc.freeze()  # the inherited site and templates need no garbage collection
        gc.disable()  # collected once a chunk instead: most objects die young, few form cycles
        while number := os.read(todo, _NUMBER):
            done = []
            for item in chunks[int.from_bytes(number, "little")]:
                if os.getppid() != parent:  # the parent died before the kernel could tell us
                    os._exit(1)
                done.append(job(item))
            results.send_bytes(pickle.dumps(("results", done), pickle.HIGHEST_PROTOCOL))
            gc.collect()
        results.send_bytes(pickle.dumps(("done", None)))
    except BaseException as error:  # noqa: BLE001 (everything goes to the parent, which decides)
        status, trace = 1, traceback.format_exc()
        try:
            message = pickle.dumps(("error", (error, trace)))
        except Exception:  # noqa: BLE001 (an exception that cannot be pickled)
            message = pickle.dumps(("error", (RuntimeError(trace), trace)))
        try:
            results.send_bytes(message)
        except OSError:
            pass
    finally:
        os._exit(status)  # never the parent's clean-up code: that is the parent's to run
