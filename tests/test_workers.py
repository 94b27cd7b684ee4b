"""The forked workers: every result once, errors raised in the parent, no process left behind.

Each case runs in a fresh interpreter: parallel() rightly refuses to fork a process with other
threads, and earlier tests (the preview server, the browser driver) leave threads in this one.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from kpisite.load import prefetch
from kpisite.workers import PARALLEL_MIN, Aside, Team, parallel

ITEMS = range(PARALLEL_MIN * 5)


def no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def every_item_once_on_two_processes():
    def job(i):
        time.sleep(0.001)  # long enough that the second worker starts before the first is done
        return i * i, os.getpid()

    results = list(parallel(job, ITEMS, jobs=2, chunk=7))
    assert sorted(square for square, _ in results) == [i * i for i in ITEMS]
    pids = {pid for _, pid in results}
    assert len(pids) == 2 and os.getpid() not in pids, pids
    assert no_children_left()


def few_items_stay_in_this_process():
    assert {pid for pid in parallel(lambda i: os.getpid(), range(10), jobs=2)} == {os.getpid()}


def an_error_in_a_worker_is_raised_here():
    def job(i):
        if i == 321:
            raise ValueError(f"bad item {i}")
        return i

    with pytest.raises(ValueError, match="bad item 321") as raised:
        list(parallel(job, ITEMS, jobs=2))
    assert "in worker" in str(raised.value.__cause__)  # with the worker's traceback
    assert no_children_left()


def a_worker_that_dies_is_an_error():
    def job(i):
        if i == 500:
            os.kill(os.getpid(), signal.SIGKILL)
        return i

    with pytest.raises(RuntimeError, match="ended unexpectedly"):
        list(parallel(job, ITEMS, jobs=2))
    assert no_children_left()


def stopping_early_stops_the_workers():
    def job(i):
        time.sleep(0.01)  # all items would take 5 s a worker
        return i

    start = time.monotonic()
    results = parallel(job, ITEMS, jobs=2, chunk=1)
    next(results)
    results.close()
    assert no_children_left()
    assert time.monotonic() - start < 2


def each_chunk_is_announced_before_its_items():
    announced = set()  # each worker's own copy
    results = list(parallel(lambda i: i in announced, ITEMS, jobs=2, chunk=7,
                            before_chunk=announced.update))
    assert len(results) == len(ITEMS) and all(results)


def prefetch_passes_over_files_it_cannot_open():
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "a.yaml").write_text("code: a\n")
        os.mkfifo(folder / "fifo.yaml")  # opening it to read would wait for a writer
        prefetch([folder / "a.yaml", folder / "missing.yaml", folder, folder / "fifo.yaml"])


def many_small_items_make_bigger_chunks():
    items = range(70_000)  # at one item a chunk, more chunk numbers than a pipe surely holds
    assert sorted(parallel(lambda i: i, items, jobs=2, chunk=1)) == list(items)


def a_team_publishes_what_its_workers_kept():
    """Phase 1 results reach the parent; phase 2 runs where each item was kept, with the
    payload the parent made from phase 1's results."""
    def gather(i):
        return i, (i, os.getpid())  # the parent gets i; the worker keeps (i, its pid)

    def publish(payload, kept):
        for i, pid in kept:
            yield i + payload, pid == os.getpid()

    with Team(ITEMS, 2, gather, publish, chunk=7) as team:
        gathered = list(team.gather())
        assert sorted(gathered) == list(ITEMS)
        team.publish(sum(gathered))
        published = list(team.published())
    assert sorted(i for i, _ in published) == [i + sum(ITEMS) for i in ITEMS]
    assert all(same for _, same in published)  # each item published where it was kept
    assert no_children_left()


def each_worker_gets_its_share_of_the_payload():
    """`share` gives a worker what concerns the items it kept: together, the whole payload,
    and no item's part twice."""
    def publish(shared, kept):
        mine = set(kept)
        yield sorted(shared), mine <= set(shared), len(shared)

    def gather(i):
        time.sleep(0.0002)  # so that both workers take chunks
        return i, i

    with Team(ITEMS, 2, gather, publish, chunk=7) as team:
        list(team.gather())
        team.publish({i: str(i) for i in ITEMS}, lambda whole, items: {i: whole[i] for i in items})
        shares = list(team.published())
    assert len(shares) == 2 and all(covers for _, covers, _ in shares)
    assert sorted(i for got, _, _ in shares for i in got) == list(ITEMS)  # each once
    assert all(0 < size < len(ITEMS) for _, _, size in shares)
    assert no_children_left()


def open_file(fd: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # the listing's own
        return ""


def a_worker_keeps_what_it_gathered_in_a_spool_file():
    """Given a folder, each worker keeps its items there (in a file without a name, which the
    worker holds open), not in memory; the second job gets them back as they were."""
    folder = Path(tempfile.mkdtemp())

    def publish(payload, kept):
        in_folder = any(open_file(fd).startswith(str(folder)) and os.fstat(int(fd)).st_size
                        for fd in os.listdir("/proc/self/fd"))
        for item in kept:
            yield item, in_folder

    big = lambda i: (i, (i, "x" * 1000))  # noqa: E731
    with Team(ITEMS, 2, big, publish, chunk=7, spool=folder) as team:
        list(team.gather())
        team.publish(None)
        published = list(team.published())
    assert sorted(item for item, _ in published) == [(i, "x" * 1000) for i in ITEMS]
    assert all(spooled for _, spooled in published)
    assert list(folder.iterdir()) == []  # the spools have no names, and are gone
    assert no_children_left()


def results_can_be_taken_while_the_parent_works():
    def publish(payload, kept):
        for i in kept:
            time.sleep(0.0005)
            yield i

    with Team(ITEMS, 2, lambda i: (i, i), publish, chunk=7) as team:
        list(team.gather())
        team.publish(None)
        early = []
        while not early:  # the parent's own work meanwhile
            time.sleep(0.01)
            early = list(team.published(wait=False))
        assert 0 < len(early) < len(ITEMS)  # some, not all: nothing waited for the rest
        assert sorted(early + list(team.published())) == list(ITEMS)
    assert no_children_left()


def a_team_in_this_process_does_the_same():
    with Team(range(10), 2, lambda i: (i, i * 10), lambda p, kept: [k + p for k in kept]) as team:
        assert list(team.gather()) == list(range(10))
        team.publish(1)
        assert sorted(team.published()) == [i * 10 + 1 for i in range(10)]


def an_error_while_publishing_is_raised_here():
    def publish(payload, kept):
        for i in kept:
            if i == 321:
                raise ValueError("bad item 321")
            yield i

    with pytest.raises(ValueError, match="bad item 321"):
        with Team(ITEMS, 2, lambda i: (i, i), publish) as team:
            list(team.gather())
            team.publish(None)
            list(team.published())
    assert no_children_left()


def a_team_closed_after_gathering_leaves_no_worker():
    with Team(ITEMS, 2, lambda i: (i, i), lambda p, kept: kept) as team:
        list(team.gather())  # then an error in the parent: nothing published
    assert no_children_left()


def a_job_aside_runs_in_another_process_while_this_one_works():
    with Aside(lambda: (os.getpid(), sum(ITEMS))) as aside:
        here = sum(ITEMS)  # meanwhile
        pid, total = aside.result()
    assert pid != os.getpid() and total == here
    assert no_children_left()


def a_job_aside_without_fork_runs_here_when_asked():
    ran = []
    with Aside(lambda: ran.append(os.getpid()) or "done", fork=False) as aside:
        assert ran == []
        assert aside.result() == "done"
    assert ran == [os.getpid()]


def an_error_aside_is_raised_here():
    def job():
        raise ValueError("bad job")

    with pytest.raises(ValueError, match="bad job"):
        with Aside(job) as aside:
            aside.result()
    assert no_children_left()


def an_error_here_stops_the_job_aside():
    with pytest.raises(KeyError):
        with Aside(lambda: time.sleep(60)):
            raise KeyError("the parent's own error")
    assert no_children_left()


@pytest.mark.parametrize("case", [every_item_once_on_two_processes, few_items_stay_in_this_process,
                                  a_team_publishes_what_its_workers_kept,
                                  each_worker_gets_its_share_of_the_payload,
                                  a_worker_keeps_what_it_gathered_in_a_spool_file,
                                  a_team_in_this_process_does_the_same,
                                  results_can_be_taken_while_the_parent_works,
                                  an_error_while_publishing_is_raised_here,
                                  a_team_closed_after_gathering_leaves_no_worker,
                                  an_error_in_a_worker_is_raised_here,
                                  a_worker_that_dies_is_an_error, stopping_early_stops_the_workers,
                                  many_small_items_make_bigger_chunks,
                                  each_chunk_is_announced_before_its_items,
                                  prefetch_passes_over_files_it_cannot_open,
                                  a_job_aside_runs_in_another_process_while_this_one_works,
                                  a_job_aside_without_fork_runs_here_when_asked,
                                  an_error_aside_is_raised_here,
                                  an_error_here_stops_the_job_aside])
def test_workers(case):
    here = Path(__file__).parent
    code = f"import sys; sys.path.insert(0, {str(here)!r}); import test_workers; test_workers.{case.__name__}()"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_ctrl_c_stops_the_build_and_its_workers():
    """Ctrl+C reaches the whole process group: the parent stops, and no worker outlives it."""
    code = ("import sys, time; sys.path.insert(0, %r); import test_workers as t\n"
            "results = t.parallel(lambda i: time.sleep(0.01) or i, t.ITEMS, jobs=2, chunk=1)\n"
            "next(results); print('running', flush=True); list(results)" % str(Path(__file__).parent))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdout.readline() == "running\n"
    os.killpg(proc.pid, signal.SIGINT)
    stderr = proc.communicate(timeout=10)[1]
    assert proc.returncode != 0 and "KeyboardInterrupt" in stderr
    assert stderr.count("Traceback") == 1  # the parent's alone: workers ignore Ctrl+C
    with pytest.raises(ProcessLookupError):  # nothing left in the group
        os.killpg(proc.pid, 0)
