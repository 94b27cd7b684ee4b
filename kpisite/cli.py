"""Command line: build | check | serve | bundle | diff | new | import | format | codeowners |
init.

Exit status: 0 done, 1 the content has errors, 2 the command was used wrongly or the system
refused (a folder, a disk, a port), 130 stopped by Ctrl+C.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from . import THEME, __version__, gather, history, importer, publish, scaffold
from .theme import Theme
from .bundle import FOLDER, write_zip
from .diagnostics import ContentError, UsageError, errors, report
from .i18n import N_, _, bilingual
from .progress import Progress
from .write import check_output_dir

EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
COMMANDS = ("build", "check", "serve", "bundle", "diff", "new", "import", "format",
            "codeowners", "init")


def _default_content() -> Path:
    """./content; in a checkout of kpisite, its bundled content wherever it runs from."""
    here = Path("content")
    return here if here.is_dir() or not (THEME / "content").is_dir() else THEME / "content"


def command_name() -> str:
    """How the user runs kpisite, for the messages that name a command to run next."""
    return "python build.py" if Path(sys.argv[0]).name == "build.py" else "kpisite"


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(bilingual(_("a port is a number from 1 to 65535, not "
                                                     "%(text)s", text=repr(text))))
    return int(text)


def parser() -> argparse.ArgumentParser:
    say = lambda msgid: bilingual(_(msgid))  # noqa: E731 (help texts, for editors too)
    p = argparse.ArgumentParser(prog="kpisite", description=say(N_(
        "Publish performance indicators as a static website")))
    p.add_argument("--version", action="version", version=f"kpisite {__version__}")
    sub = p.add_subparsers(dest="command")

    def content_options(sp, out=True):
        sp.add_argument("--content", type=Path, default=None,
                        help=say(N_("the content folder (./content when left out)")))
        if out:
            sp.add_argument("--out", type=Path, default=None,
                            help=say(N_("the output folder (site/ beside the content folder when "
                                     "left out)")))
        sp.add_argument("--strict", action="store_true", help=say(N_("treat warnings as errors")))
        sp.add_argument("--format", choices=("plain", "github"), default="plain",
                        help=say(N_("how problems are printed (github: annotations for pull "
                                 "requests)")))

    bld = sub.add_parser("build", help=say(N_("check the content, then build the site")))
    content_options(bld)
    chk = sub.add_parser("check", help=say(N_("check the content; write nothing")))
    content_options(chk, out=False)
    chk.add_argument("--untranslated", metavar="LANG", help=say(N_(
        "also list the texts that have no translation into LANG yet (en)")))

    srv = sub.add_parser("serve", help=say(N_("build, serve at http://127.0.0.1:8000, and rebuild "
                                           "after every edit")))
    content_options(srv)
    srv.add_argument("--host", default="127.0.0.1",
                     help=say(N_("the address to listen on (this computer alone when left out)")))
    srv.add_argument("--port", type=_port, default=8000)
    srv.add_argument("--open", action="store_true", help=say(N_("open the site in a web browser")))
    srv.add_argument("--edit", action="store_true", help=say(N_(
        "also run the editor form's local backend (needs Node.js): open admin/ and save into "
        "the files here")))

    bun = sub.add_parser("bundle", help=say(N_("build, then zip the site for offline reading")))
    content_options(bun)
    for sp in (bld, bun):
        sp.add_argument("--booklets", action=argparse.BooleanOptionalAction, default=None,
                        help=say(N_("also print the PDF booklets of each agency and fiscal year "
                                    "(needs Chromium; site.yaml booklets: true when left out)")))
    bun.add_argument("--output", type=Path, default=None,
                     help=say(N_("the zip file (site.zip when left out)")))

    dif = sub.add_parser("diff", help=say(N_("what changed between two git revisions, as "
                                             "Markdown")))
    dif.add_argument("base", help=say(N_("e.g. origin/main")))
    dif.add_argument("head", nargs="?", default="HEAD")
    dif.add_argument("--content", type=Path, default=None)

    new = sub.add_parser("new", help=say(N_("create a new indicator file, every section present")))
    new.add_argument("--content", type=Path, default=None)
    new.add_argument("--agency", required=True, help=say(N_('the agency code, e.g. "5042"')))
    new.add_argument("--year", required=True,
                     help=say(N_("the fiscal year (Buddhist Era), e.g. 2568")))
    new.add_argument("--code", required=True, help=say(N_('the indicator code, e.g. "5042-0001"')))
    new.add_argument("--name", default="", help=say(N_("the indicator's name")))

    fmt = sub.add_parser("format", help=say(N_(
        "put indicator files in kpisite's layout (after the editor form or another tool saved "
        "them)")))
    fmt.add_argument("files", nargs="*", type=Path, help=say(N_(
        "the files (every indicator file when left out)")))
    fmt.add_argument("--content", type=Path, default=None)
    fmt.add_argument("--since", metavar="REVISION", help=say(N_(
        "keep the digits that numbers had at this git revision, e.g. origin/main")))
    fmt.add_argument("--check", action="store_true", help=say(N_(
        "change nothing: list the files that are not in the layout, exit 1 if any")))

    own = sub.add_parser("codeowners", help=say(N_(
        "write the agencies' reviewers (agencies.yaml) into .github/CODEOWNERS")))
    own.add_argument("--content", type=Path, default=None)
    own.add_argument("--check", action="store_true", help=say(N_(
        "change nothing: exit 1 if .github/CODEOWNERS is not up to date")))

    ini = sub.add_parser("init", help=say(N_("make a new site: content with examples, editor "
                                             "settings, CI workflow, README")))
    ini.add_argument("folder", type=Path, help=say(N_("an empty folder (made when missing)")))
    ini.add_argument("--force", action="store_true", help=say(N_(
        "write into a folder that is not empty (its files are kept)")))
    ini.add_argument("--upgrade", action="store_true", help=say(N_(
        "write this kpisite's schemas into the site in the folder (after upgrading kpisite)")))

    imp = sub.add_parser("import", help=say(N_("write indicator files from the old system's facts "
                                            "(JSON) or pages (.txt, .html, or a folder)")))
    imp.add_argument("source", type=Path, help=say(N_(
        "facts (.json), a page's text (.txt) or saved page (.html), or a folder of them")))
    imp.add_argument("--content", type=Path, default=None)
    imp.add_argument("--overwrite", action="store_true", help=say(N_("replace existing files")))
    imp.add_argument("--fiscal-year", default=None, help=say(N_(
        "the fiscal year of records that do not say (the old pages do not print it)")))
    return p


def main(argv: list[str] | None = None) -> int:
    """The command line, with one guard for every command: whatever goes wrong is said in a
    message and an exit status, never a traceback (KPISITE_DEBUG=1 shows it)."""
    try:
        return _run(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt:
        _say(_("stopped (Ctrl+C); the site was left as it was"))
        return EXIT_INTERRUPTED
    except OSError as exc:
        if os.environ.get("KPISITE_DEBUG"):
            raise
        _say(_("%(path)s: %(reason)s", path=exc.filename or "", reason=exc.strerror or str(exc))
             if exc.filename else _("the system refused: %(reason)s", reason=str(exc)))
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 (a bug: said, not shown as a traceback)
        if os.environ.get("KPISITE_DEBUG"):
            raise
        _say(_("internal error: %(error)s (run it again with KPISITE_DEBUG=1 to see where, "
               "and please report it)", error=f"{type(exc).__name__}: {exc}"))
        return EXIT_USAGE


def _say(message) -> None:
    print("kpisite: " + bilingual(message), file=sys.stderr, flush=True)


def _run(argv: list[str]) -> int:
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv = ["build", *argv]  # `python build.py` alone builds
    args = parser().parse_args(argv)
    if args.command == "init":
        return _init(args)
    content = args.content or _default_content()
    if args.command != "import" and not content.is_dir():
        _say(_("content folder not found: %(folder)s (kpisite init FOLDER makes a new site)",
               folder=str(content)))
        return EXIT_USAGE
    project = gather.Project(content)
    try:
        return COMMAND_RUNNERS[args.command](project, args)
    except UsageError as exc:
        print(f"kpisite: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _serve(project: gather.Project, args) -> int:
    from .incremental import Preview
    from .serve import serve  # livereload (tornado) is loaded only for the preview

    out = _out(project, args)
    check_output_dir(out, *publish.protected(project))
    out.mkdir(parents=True, exist_ok=True)
    try:
        serve(Preview(project, out, args.strict), args.host, args.port, args.open, args.edit)
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def _diff(project: gather.Project, args) -> int:
    try:
        print(history.diff_markdown(project.root, project.indicators, args.base, args.head),
              end="")
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = (getattr(exc, "stderr", b"") or b"").decode(errors="replace").strip()
        print("kpisite: " + bilingual(_("git diff failed: %(detail)s", detail=(
            detail.splitlines() or [str(exc)])[0])), file=sys.stderr)  # git's first line says it
        return EXIT_USAGE
    return EXIT_OK


def _import(project: gather.Project, args) -> int:
    verdicts = importer.run(args.source, project, Theme(site=project.root), args.overwrite,
                            args.fiscal_year)
    for code in verdicts.agencies:
        print(bilingual(_("added the agency %(code)s to %(file)s", code=code,
                          file=str(project.content / "agencies.yaml"))))
    for number in verdicts.nodes:
        print(bilingual(_("added the strategy node %(number)s to %(file)s", number=number,
                          file=str(project.content / "strategy.yaml"))))
    for path in verdicts.written:
        print(bilingual(_("wrote %(path)s", path=str(path))))
    for line in verdicts.refused:
        print("kpisite: " + bilingual(_("refused: %(line)s", line=line)), file=sys.stderr)
    print(bilingual(verdicts.summary()))
    if verdicts.collisions:
        print(bilingual(_("of records with the same code and fiscal year, the first is taken; a "
                          "file that exists is kept unless --overwrite")))
    return EXIT_CONTENT if verdicts.refused else EXIT_OK


def _init(args) -> int:
    from . import newsite

    try:
        if args.upgrade:
            written = newsite.upgrade(args.folder)
        else:
            written = newsite.init(args.folder, args.force)
    except UsageError as exc:
        print(f"kpisite: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for path in written:
        print(bilingual(_("wrote %(path)s", path=str(path))))
    if not args.upgrade:
        print(bilingual(_("a new site in %(folder)s: cd into it, then run kpisite build (or "
                          "kpisite serve --open)", folder=str(args.folder))))
    return EXIT_OK


def _out(project: gather.Project, args) -> Path:
    """The output folder: --out, or site/ beside the content folder."""
    return args.out or project.content.resolve().parent / "site"


def _build_or_check(project: gather.Project, args) -> int:
    start = time.perf_counter()
    try:
        if args.command == "check":
            problems = gather.check(project, args.strict).problems
        else:
            out = _out(project, args)
            problems = publish.build(project, out, args.strict, booklets=args.booklets,
                                     progress=Progress()).problems
    except ContentError as exc:
        print(report(exc.problems, args.format), file=sys.stderr)
        print(bilingual(_("the site was not built: fix the errors above first (nothing was "
                          "written)")), file=sys.stderr)
        return EXIT_CONTENT
    if problems:
        print(report(problems, args.format), file=sys.stderr)
    if errors(problems):
        return EXIT_CONTENT
    took = f"{time.perf_counter() - start:.1f}"
    if args.command == "bundle":
        target = args.output or out.with_suffix(".zip")
        count = write_zip(out, target)
        print(bilingual(_("wrote %(target)s: %(count)s files in the folder %(folder)s/; unpack "
                          "it and open %(folder)s/index.html", target=str(target), count=count,
                          folder=FOLDER)))
    elif args.command == "build":
        print(bilingual(_("built %(out)s in %(seconds)s seconds", out=str(out), seconds=took)))
    else:
        print(bilingual(_("checked: no errors, in %(seconds)s seconds", seconds=took)))
    if getattr(args, "untranslated", None):
        _untranslated(project, args.untranslated)
    return EXIT_OK


def _untranslated(project: gather.Project, lang: str) -> None:
    from .translations import missing

    found = missing(project, Theme(site=project.root), lang)
    for line in found:
        print(line)
    print(bilingual(_("%(count)s texts have no translation into %(lang)s yet",
                      count=len(found), lang=lang)))


def _new(project: gather.Project, args) -> int:
    fields = {"fiscal_year": args.year, "agency": args.agency, "code": args.code,
              "name": args.name, "type": "strategic", "quarters": scaffold.EMPTY_QUARTERS}
    target = scaffold.file_path(project.content, args.year, args.code)
    if target.exists():
        print("kpisite: " + bilingual(_("the file %(path)s exists already", path=str(target))),
              file=sys.stderr)
        return EXIT_USAGE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(scaffold.indicator_text(fields), encoding="utf-8")
    print(bilingual(_("created %(path)s: fill it in, then run %(command)s check",
                      path=str(target), command=command_name())))
    return EXIT_OK


def _format(project: gather.Project, args) -> int:
    """Each file in the layout, or its problems said and the file left as it is."""
    from . import load, tidy

    words = Theme(site=project.root).words(scaffold.LANGUAGE)
    paths = args.files or load.find_yaml_files(project.indicators, project.root)[0]
    problems, unformatted = [], []
    for path in paths:
        rel = load.relative(path, project.root)
        previous = tidy.previous_text(project.root, path, args.since) if args.since else None
        raw = path.read_bytes()
        text, found = tidy.formatted(raw, path, rel, previous, words)
        problems += found
        if text is not None and text.encode("utf-8") != raw:
            unformatted.append(rel)
            if not args.check:
                tidy.write(path, text)
    if problems:
        print(report(problems), file=sys.stderr)
    for rel in unformatted:
        print(bilingual(_("not in the layout: %(file)s", file=rel) if args.check
                        else _("formatted %(file)s", file=rel)))
    return EXIT_CONTENT if problems or (args.check and unformatted) else EXIT_OK


def _codeowners(project: gather.Project, args) -> int:
    """The generated lines of .github/CODEOWNERS, from the files as they are now."""
    from . import editor, owners

    theme = Theme(site=project.root)
    checked = gather.check(project, theme=theme)
    if checked.site is None or errors(checked.problems):
        print(report(checked.problems), file=sys.stderr)
        return EXIT_CONTENT
    top = editor.repository_top(project, theme)
    inds = [r.indicator for r in checked.results if r.indicator is not None]
    target = owners.path_of(top)
    before = target.read_text(encoding="utf-8") if target.is_file() else ""
    after = owners.updated(before, owners.lines(checked.site, inds,
                                                checked.site.repository_folder))
    if after == before:
        return EXIT_OK
    if args.check:
        print(bilingual(_("%(file)s is not up to date: run %(command)s codeowners",
                          file=str(target), command=command_name())), file=sys.stderr)
        return EXIT_CONTENT
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(after, encoding="utf-8")
    print(bilingual(_("wrote %(file)s", file=str(target))))
    return EXIT_OK


COMMAND_RUNNERS = {"build": _build_or_check, "check": _build_or_check, "bundle": _build_or_check,
                   "serve": _serve, "diff": _diff, "new": _new, "import": _import,
                   "format": _format, "codeowners": _codeowners}
