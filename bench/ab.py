"""Compare two checkouts of kpisite on one corpus, in interleaved runs (A B A B ...).

    python bench/ab.py OTHER_CHECKOUT [--size 10000] [--pairs 5] [--content DIR]

Both build the same SYNTHETIC corpus (kpisite.synthetic, from this checkout unless --content
names one) into fresh output folders; the median of the B/A wall-time ratios, and their range,
is the figure (a single run on this VM varies by several percent). Outputs are deleted only at
the end: ext4 here is slow to reuse inodes freed moments ago (see benchmark.AFTER_DELETING),
and its kernel time varies by a third from run to run; `--where /dev/shm` builds in memory.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from benchmark import AFTER_DELETING, REPO, preview_saves, run_measured  # noqa: E402


def build(checkout: Path, content: Path, out: Path) -> dict:
    return run_measured([sys.executable, str(checkout / "build.py"), "build", "--content",
                         str(content), "--out", str(out)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the checkout to compare with (A); B is this one")
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--content", type=Path, help="a corpus to use instead of a new one")
    parser.add_argument("--preview", action="store_true",
                        help="compare the preview server's time for an edit, not full builds")
    parser.add_argument("--where", type=Path, default=None,
                        help="where to build, e.g. /dev/shm: memory, so that the disk's own "
                             "variations (see above) stay out of the comparison")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kpisite-ab-", dir=args.where))
    content = args.content
    if content is None:
        sys.path.insert(0, str(REPO))
        from kpisite import synthetic

        content = work / "content"
        synthetic.write_corpus(content, args.size)
    sides = {"A": args.other.resolve(), "B": REPO}
    os.sync()
    time.sleep(AFTER_DELETING)  # whatever was deleted before this run is reusable by now
    if args.preview:
        try:
            return compare_previews(sides, content, work, args.pairs)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    runs: dict[str, list[dict]] = {"A": [], "B": []}
    try:
        for i in range(args.pairs):
            for side in ("A", "B") if i % 2 == 0 else ("B", "A"):
                runs[side].append(build(sides[side], content, work / f"{side}{i}"))
                print(f"pair {i + 1} {side}: {runs[side][-1]['wall']:.2f} s wall, "
                      f"{runs[side][-1]['cpu']:.2f} s CPU", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os.sync()
    ratios = sorted(b["wall"] / a["wall"] for a, b in zip(runs["A"], runs["B"]))
    cpu = sorted(b["cpu"] / a["cpu"] for a, b in zip(runs["A"], runs["B"]))
    median = lambda side, key: statistics.median(r[key] for r in runs[side])  # noqa: E731
    print(f"A {sides['A']}: {median('A', 'wall'):.2f} s wall median, {median('A', 'cpu'):.2f} s CPU")
    print(f"B {sides['B']}: {median('B', 'wall'):.2f} s wall median, {median('B', 'cpu'):.2f} s CPU")
    print(f"B/A wall: median {statistics.median(ratios):.3f} (range {ratios[0]:.3f}-{ratios[-1]:.3f}); "
          f"CPU: median {statistics.median(cpu):.3f} (range {cpu[0]:.3f}-{cpu[-1]:.3f})")


def compare_previews(sides: dict[str, Path], content: Path, work: Path, pairs: int) -> None:
    """Each side's preview server, one after the other, saving the same file five times: the
    time from each save to the served page carrying it."""
    target = sorted((content / "indicators").rglob("*.yaml"))[len(sides) * 17]
    times: dict[str, list[float]] = {"A": [], "B": []}
    for i in range(pairs):
        for side in ("A", "B") if i % 2 == 0 else ("B", "A"):
            build = [sys.executable, str(sides[side] / "build.py")]
            times[side] += preview_saves(content, work / f"serve-{side}{i}", saves=5,
                                         build=build, target=target, tab=False)["served"]
            print(f"round {i + 1} {side}: {times[side][-5:]} ms", flush=True)
    for side in ("A", "B"):
        print(f"{side} {sides[side]}: save to served page {statistics.median(times[side]):.0f} ms median "
              f"of {len(times[side])} (range {min(times[side]):.0f}-{max(times[side]):.0f})")
    ratio = statistics.median(times["B"]) / statistics.median(times["A"])
    print(f"B/A preview edit, median: {ratio:.3f}")


if __name__ == "__main__":
    main()
