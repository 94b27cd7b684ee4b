"""build.py with the Thai line breaks turned off, for benchmark.py's figure of what they cost:
every text as written (no <w->, no <wbr>), no segmenter, chart labels on one line and the
printed sheets' header cut anywhere. Not for publishing: the pages break Thai words."""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from kpisite import chart, cli, linebreaks  # noqa: E402

linebreaks.Breaks.filter_stream = lambda self, stream: stream  # no `| breaks` put in
linebreaks.breaks = lambda value: value
linebreaks.prepare = lambda texts: None
chart.lines = linebreaks.lines = lambda text, room: (text,)
linebreaks.shortened = lambda text, limit: text if len(text) <= limit else text[:limit - 1] + "…"

if __name__ == "__main__":
    status = cli.main()
    sys.stdout.flush()
    os._exit(status)  # as build.py ends: without freeing the build's objects one by one
