"""Command line: build | check | serve | bundle | diff | new | import.

Exit status: 0 done, 1 the content has errors, 2 the command was used wrongly.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from . import THEME, history, pipeline, scaffold
from .bundle import FOLDER, write_zip
from .diagnostics import ContentError, UsageError, errors, report
from .write import check_output_dir

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2
COMMANDS = ("build", "check", "serve", "bundle", "diff", "new", "import")


def _default_content() -> Path:
    here = Path("content")
    return here if here.is_dir() else THEME / "content"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kpisite", description="Publish performance indicators "
                                "as a static website (เผยแพร่ตัวชี้วัดเป็นเว็บไซต์)")
    sub = p.add_subparsers(dest="command")

    def content_options(sp, out=True):
        sp.add_argument("--content", type=Path, default=None,
                        help="content folder (default: ./content)")
        if out:
            sp.add_argument("--out", type=Path, default=None,
                            help="output folder (default: site/ beside the content folder)")
        sp.add_argument("--strict", action="store_true", help="treat warnings as errors")
        sp.add_argument("--format", choices=("plain", "github"), default="plain",
                        help="how problems are printed (github: annotations for pull requests)")

    content_options(sub.add_parser("build", help="check the content, then build the site"))
    content_options(sub.add_parser("check", help="check the content; write nothing"), out=False)

    srv = sub.add_parser("serve", help="build, serve at http://127.0.0.1:8000, rebuild on edits")
    content_options(srv)
    srv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: localhost)")
    srv.add_argument("--port", type=int, default=8000)
    srv.add_argument("--open", action="store_true", help="open the site in a web browser")

    bun = sub.add_parser("bundle", help="build, then zip the site for offline reading")
    content_options(bun)
    bun.add_argument("--output", type=Path, default=None, help="the zip file (default: site.zip)")

    dif = sub.add_parser("diff", help="what changed between two git revisions, as Markdown")
    dif.add_argument("base", help="e.g. origin/main")
    dif.add_argument("head", nargs="?", default="HEAD")
    dif.add_argument("--content", type=Path, default=None)

    new = sub.add_parser("new", help="create a new indicator file, every section present")
    new.add_argument("--content", type=Path, default=None)
    new.add_argument("--agency", required=True, help='agency code, e.g. "5042"')
    new.add_argument("--year", required=True, help="fiscal year (Buddhist Era), e.g. 2568")
    new.add_argument("--code", required=True, help='indicator code, e.g. "5042-0001"')
    new.add_argument("--name", default="", help="indicator name")

    imp = sub.add_parser("import", help="write indicator files from the old system's facts (JSON)")
    imp.add_argument("facts", type=Path)
    imp.add_argument("--content", type=Path, default=None)
    imp.add_argument("--overwrite", action="store_true", help="replace existing files")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv = ["build", *argv]  # `python build.py` alone builds
    args = parser().parse_args(argv)
    command = args.command
    content = args.content or _default_content()
    if command != "import" and not content.is_dir():
        print(f"kpisite: ไม่พบโฟลเดอร์เนื้อหา {content} (content folder not found)", file=sys.stderr)
        return EXIT_USAGE
    project = pipeline.Project(content)
    try:
        if command in ("build", "check", "bundle"):
            return _build_or_check(command, project, args)
        if command == "serve":
            from .serve import serve  # livereload (tornado) is loaded only for the preview

            out = _out(project, args)
            check_output_dir(out, *pipeline.protected(project))
            out.mkdir(parents=True, exist_ok=True)
            try:
                serve(pipeline.Builder(project, out, args.strict), args.host, args.port, args.open)
            except KeyboardInterrupt:
                pass
            return EXIT_OK
        if command == "diff":
            try:
                print(history.diff_markdown(project.root, project.indicators, args.base, args.head),
                      end="")
            except (OSError, subprocess.CalledProcessError) as exc:
                detail = getattr(exc, "stderr", b"") or b""
                print(f"kpisite: git diff ไม่สำเร็จ (failed): {detail.decode(errors='replace').strip() or exc}",
                      file=sys.stderr)
                return EXIT_USAGE
            return EXIT_OK
        if command == "new":
            return _new(project, args)
        if command == "import":
            written = scaffold.import_old_system(args.facts, content, args.overwrite)
            for path in written:
                print(f"เขียน (wrote) {path}")
            return EXIT_OK
    except UsageError as exc:
        print(f"kpisite: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_USAGE


def _out(project: pipeline.Project, args) -> Path:
    """The output folder: --out, or site/ beside the content folder."""
    return args.out or project.content.resolve().parent / "site"


def _build_or_check(command: str, project: pipeline.Project, args) -> int:
    start = time.perf_counter()
    try:
        if command == "check":
            problems = pipeline.check(project, args.strict)
        else:
            out = _out(project, args)
            problems = pipeline.build(project, out, args.strict)
    except ContentError as exc:
        print(report(exc.problems, args.format), file=sys.stderr)
        print("ไม่ได้สร้างเว็บไซต์: แก้ข้อผิดพลาดข้างบนก่อน (build stopped; nothing was written)",
              file=sys.stderr)
        return EXIT_CONTENT
    if problems:
        print(report(problems, args.format), file=sys.stderr)
    if errors(problems):
        return EXIT_CONTENT
    took = time.perf_counter() - start
    if command == "bundle":
        target = args.output or out.with_suffix(".zip")
        count = write_zip(out, target)
        print(f"เขียน (wrote) {target}: {count} ไฟล์ ในโฟลเดอร์ {FOLDER}/ แตกไฟล์แล้วเปิด {FOLDER}/index.html")
    elif command == "build":
        print(f"สร้างเว็บไซต์แล้วที่ (built) {out} ใน {took:.1f} วินาที")
    else:
        print(f"ตรวจแล้ว ไม่พบข้อผิดพลาด (no errors) ใน {took:.1f} วินาที")
    return EXIT_OK


def _new(project: pipeline.Project, args) -> int:
    fields = {"fiscal_year": args.year, "agency": args.agency, "code": args.code,
              "name": args.name, "type": "strategic", "quarters": scaffold.EMPTY_QUARTERS}
    target = scaffold.file_path(project.content, args.year, args.code)
    if target.exists():
        print(f"kpisite: มีไฟล์ {target} อยู่แล้ว (file exists)", file=sys.stderr)
        return EXIT_USAGE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(scaffold.indicator_text(fields), encoding="utf-8")
    print(f"สร้างไฟล์ (created) {target}: เติมข้อมูลแล้วรัน python build.py check")
    return EXIT_OK
