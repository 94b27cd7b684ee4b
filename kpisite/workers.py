"""Work on every core: forked worker processes that share the build's state with the parent.

fork shares the parsed templates, the site, the history and the items themselves with the
children: only chunk numbers go to them and only results come back. A worker takes the next
chunk number from a pipe when it is free, so a slow chunk holds up no other.

A Team works in two phases over the same items. `gather` runs a job on every item; each job
also leaves something for its worker to keep (a parsed file: a forked worker keeps each
chunk's pickled and compressed, a third of the memory, and in a file of the `spool` folder
when the team is given one: 70 MB a worker at 100,000 indicators). The parent then looks at
all the results together and decides; `publish` sends each worker a payload (or its share of
one: what concerns the items it kept), and the worker runs the second job on what it kept
(renders the pages). Workers die with the build that started them.
"""
from __future__ import annotations

import ctypes
import gc
import os
import pickle
import signal
import threading
import traceback
from contextlib import contextmanager
from multiprocessing.connection import Connection, Pipe, wait
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from .packing import pack, unpack
from .spool import Spool

PARALLEL_MIN = 200  # below this many items, starting processes costs more than it saves
CHUNK = 64
FULL_COLLECTION = 16  # chunks between two collections of every generation, in phase 2
# Chunk numbers go through a pipe as 4 bytes each, all written before any worker exists: as
# one pipe reader at a time is let in, each 4-byte read takes exactly one number. A pipe holds
# at least a page, so up to 1,024 numbers never make the writer wait.
_NUMBER = 4
_PIPE_ROOM = 4096 // _NUMBER

Gather = Callable[[Any], tuple[Any, Any]]  # item -> (its result, what its worker keeps)
Publish = Callable[[Any, Iterator], Iterable]  # (payload, what this worker kept) -> results


class Team:
    """Workers for the two phases; in this process when forking would not pay.

    Forking is safe only while this process runs a single thread: the preview server's own
    builds stay in-process.
    """

    def __init__(self, items: Sequence, jobs: int, gather: Gather, publish: Publish | None = None,
                 chunk: int = CHUNK, before_chunk: Callable | None = None,
                 spool: Path | None = None):
        self.items, self.gather_job, self.publish_job = items, gather, publish
        self.before_chunk, self.spool = before_chunk, spool  # spool: a folder for what is kept
        self.forked = jobs > 1 and len(items) >= PARALLEL_MIN and threading.active_count() == 1
        self.jobs, self.chunk = jobs, max(chunk, -(-len(items) // _PIPE_ROOM))
        self.kept: list = []  # in this process, when not forked
        self.workers: dict[Connection, tuple[int, Connection]] = {}  # results -> (pid, commands)
        self.waiting: set[Connection] = set()  # workers done gathering, waiting for a payload
        self.taken: dict[Connection, list[int]] = {}  # the chunks each worker gathered
        self.chunks: list[Sequence] = []
        self._in_here: Iterator = iter(())  # the second job, when not forked

    def __enter__(self) -> Team:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the phases -------------------------------------------------------------------------
    def gather(self) -> Iterator:
        """Each item's result, in any order, as chunks finish. An exception in a worker is
        raised here. A worker calls `before_chunk` with each chunk it takes."""
        if not self.forked:
            for item in self.items:
                result, kept = self.gather_job(item)
                if kept is not None:
                    self.kept.append(kept)
                yield result
            return
        chunks = self.chunks = [self.items[i:i + self.chunk]
                                for i in range(0, len(self.items), self.chunk)]
        todo, todo_writer = os.pipe()
        os.write(todo_writer, b"".join(n.to_bytes(_NUMBER, "little") for n in range(len(chunks))))
        os.close(todo_writer)  # once the numbers are taken, a read finds the end: no more work
        try:
            parent = os.getpid()  # taken before forking: a worker orphaned early still knows
            for _ in range(min(self.jobs, len(chunks))):
                self._fork(lambda results, commands: _work(self, chunks, todo, results, commands,
                                                           parent))
        finally:
            os.close(todo)
        yield from self._receive(lambda: len(self.waiting) == len(self.workers))

    def publish(self, payload: Any, share: Callable[[Any, list], Any] | None = None) -> None:
        """Start the second job on what each worker kept, given `payload`, or `share(payload,
        the items it kept)`; its results come from `published()`, and meanwhile this process
        may do other work."""
        if not self.forked:
            mine = share(payload, self.items) if share else payload
            self._in_here = iter(self.publish_job(mine, drained(self.kept)))
            return
        whole = None if share else pickle.dumps(("publish", payload), pickle.HIGHEST_PROTOCOL)
        for reader in self.waiting:
            message = whole or pickle.dumps(("publish", share(payload, self._items_of(reader))),
                                            pickle.HIGHEST_PROTOCOL)
            self.workers[reader][1].send_bytes(message)
        self.waiting.clear()

    def _items_of(self, reader: Connection) -> list:
        return [item for n in self.taken[reader] for item in self.chunks[n]]

    def published(self, wait: bool = True) -> Iterator:
        """The second job's results, in any order: all of them, or (`wait` False) those that
        have arrived. Call it now and then while doing other work: a worker waits while its
        results are not taken."""
        if not self.forked:
            yield from self._in_here if wait else ()
            return
        yield from self._receive(lambda: not self.workers, 0 if not wait else None)

    def close(self) -> None:
        """Stop the workers that are left (an error, or the caller stopped early)."""
        for reader, (pid, commands) in self.workers.items():
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            reader.close()
            commands.close()
        self.workers.clear()

    # -- the parent's side ------------------------------------------------------------------
    def _receive(self, done: Callable[[], bool], timeout: float | None = None) -> Iterator:
        while not done():
            ready = wait([r for r in self.workers if r not in self.waiting], timeout)
            if not ready:
                return  # nothing has arrived (`timeout` 0)
            for reader in ready:
                try:
                    kind, value = pickle.loads(reader.recv_bytes())
                except (EOFError, OSError):  # the worker is gone: finished, or died
                    self._ended(reader)
                    continue
                if kind == "error":
                    error, trace = value
                    raise error from RuntimeError(f"in worker {self.workers[reader][0]}:\n{trace}")
                if kind == "gathered":
                    self.waiting.add(reader)
                    self.taken[reader] = value
                else:
                    yield from value

    def _ended(self, reader: Connection) -> None:
        pid, commands = self.workers.pop(reader)
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        reader.close()
        commands.close()
        if status:
            raise RuntimeError(f"worker {pid} ended unexpectedly (status {status})") from None

    def _fork(self, life: Callable[[Connection, Connection], None]) -> None:
        """Start a worker that lives `life(its results pipe, its commands pipe)`."""
        reader, writer = Pipe(duplex=False)
        commands_in, commands_out = Pipe(duplex=False)
        others = [reader, commands_out, *(c for _, c in self.workers.values()), *self.workers]

        def worker() -> int:
            for other in others:
                other.close()
            life(writer, commands_in)
            return 1

        with forked(worker) as pid:
            self.workers[reader] = (pid, commands_out)
            writer.close()
            commands_in.close()


@contextmanager
def forked(life: Callable[[], int]) -> Iterator[int]:
    """A child process that lives `life()` and exits with what it returns, never returning
    into the caller's code: it ignores Ctrl+C (its parent stops it) and, on Linux, the kernel
    kills it when its parent dies. In the parent, the child's pid: Ctrl+C waits until the
    `with` block has put it where the caller's clean-up finds it."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            try:
                ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            except (OSError, AttributeError):  # elsewhere: the child checks os.getppid()
                pass
            status = life()
        finally:
            os._exit(status)
    try:
        yield pid
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def _work(team: Team, chunks: list, todo: int, results: Connection, commands: Connection,
          parent: int) -> None:
    """A worker's life: chunks until there are none left, each one's results one message;
    then, if the parent sends a payload, the second job on what it kept."""
    try:
        gc.freeze()  # the inherited site and templates need no garbage collection
        gc.disable()  # collected once a chunk instead: most objects die young, few form cycles
        packed = []  # what it keeps of each chunk, pickled and compressed (module docstring)
        spool = Spool(team.spool) if team.spool else None
        taken = []
        while number := os.read(todo, _NUMBER):
            taken.append(int.from_bytes(number, "little"))
            done, kept, items = [], [], chunks[taken[-1]]
            if team.before_chunk:
                team.before_chunk(items)
            for item in items:
                if os.getppid() != parent:  # the parent died, perhaps before prctl above
                    os._exit(1)
                result, keep = team.gather_job(item)
                done.append(result)
                if keep is not None:
                    kept.append(keep)
            results.send_bytes(pickle.dumps(("results", done), pickle.HIGHEST_PROTOCOL))
            blob = pack(pickle.dumps(kept, pickle.HIGHEST_PROTOCOL))
            packed.append(spool.add(blob) if spool else blob)
            del done, kept
            gc.collect()
        os.close(todo)
        results.send_bytes(pickle.dumps(("gathered", taken)))
        kind, payload = pickle.loads(commands.recv_bytes())
        gc.freeze()  # the payload too (the related indicators): kept to the end, no cycles
        batch, sent = [], 0
        for result in team.publish_job(payload, _unpacked(packed)) if kind == "publish" else ():
            batch.append(result)
            if len(batch) == CHUNK:
                results.send_bytes(pickle.dumps(("results", batch), pickle.HIGHEST_PROTOCOL))
                batch, sent = [], sent + 1
                # The young objects only, mostly: what outlives a chunk (the caches' entries)
                # forms no cycles, and walking it every chunk took 1.7 s a worker at 10,000.
                gc.collect(2 if sent % FULL_COLLECTION == 0 else 1)
                _give_back_memory()  # what it kept shrinks as the parent's results grow
        if batch:
            results.send_bytes(pickle.dumps(("results", batch), pickle.HIGHEST_PROTOCOL))
    except EOFError:  # the parent closed the commands pipe: nothing more to do
        os._exit(0)
    except BaseException as error:  # noqa: BLE001 (everything goes to the parent, which decides)
        _report(error, results)
        os._exit(1)
    os._exit(0)  # never the parent's clean-up code: that is the parent's to run


class Aside:
    """job() in a forked process while this one goes on with other work: `result()` waits
    for what it returns (and raises what it raised). It runs in this process, when asked for
    its result, where forking does not pay (`fork` False) or is not safe (threads)."""

    def __init__(self, job: Callable[[], Any], fork: bool = True):
        self.job, self.pid, self.reader = job, None, None
        if fork and threading.active_count() == 1:
            self.reader, writer = Pipe(duplex=False)
            with forked(lambda: self._life(writer)) as self.pid:
                writer.close()

    def _life(self, writer: Connection) -> int:
        self.reader.close()
        try:
            writer.send_bytes(pickle.dumps(("result", self.job()), pickle.HIGHEST_PROTOCOL))
        except BaseException as error:  # noqa: BLE001 (the parent decides)
            _report(error, writer)
            return 1
        return 0

    def result(self) -> Any:
        if self.pid is None:
            return self.job()
        try:
            kind, value = pickle.loads(self.reader.recv_bytes())
        except (EOFError, OSError):
            kind, value = "error", (RuntimeError(f"process {self.pid} ended unexpectedly"), "")
        self.close(stop=False)
        if kind == "error":
            error, trace = value
            raise error from RuntimeError(f"in process {self.pid}:\n{trace}")
        return value

    def close(self, stop: bool = True) -> None:
        """Wait for the process to end; `stop` it first (the caller met an error)."""
        if self.reader is not None:
            self.reader.close()
            self.reader = None
            if stop:
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)

    def __enter__(self) -> Aside:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def drained(items: list) -> Iterator:
    """The items of a list, in order, each let go of as it is taken."""
    items.reverse()
    while items:
        yield items.pop()


def _unpacked(packed: list) -> Iterator:  # of bytes, or Spooled bytes
    for chunk in drained(packed):
        yield from drained(pickle.loads(unpack(chunk)))


def _give_back_memory() -> None:
    """Return freed memory to the system (glibc keeps it otherwise), so that the memory of
    the whole build stays what the parent and the workers still hold."""
    try:
        _LIBC.malloc_trim(0)
    except (AttributeError, OSError):
        pass


try:
    _LIBC = ctypes.CDLL(None)
except OSError:  # not glibc, or no C library to load: nothing to give back this way
    _LIBC = None


def _report(error: BaseException, results: Connection) -> None:
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


def parallel(job: Callable, items: Sequence, jobs: int, chunk: int = CHUNK,
             before_chunk: Callable | None = None) -> Iterator:
    """job(item) for each item, on `jobs` forked processes when it pays, in any order (one
    phase of a Team: nothing is kept)."""
    with Team(items, jobs, lambda item: (job(item), None), chunk=chunk,
              before_chunk=before_chunk) as team:
        yield from team.gather()
