"""The offline bundle: the built site as one zip with one top-level folder, reproducible
(sorted entries, fixed timestamps and permissions), for reading with no network."""
from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

from .i18n import _
from .pages import EDITOR_FOLDER  # the editor form saves through a git host: not offline
from .write import STATE, OutputError

FOLDER = "kpi-site"
EPOCH_1980 = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold


def _timestamp() -> tuple:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return EPOCH_1980
    return max(dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).timetuple()[:6], EPOCH_1980)


def write_zip(site: Path, target: Path) -> int:
    """Zip `site` (kpisite's own state and the editor form left out) into `target`; returns the number of files."""
    if not target.parent.is_dir():
        raise OutputError(_("the folder of %(target)s does not exist", target=str(target)))
    if target.exists() and not zipfile.is_zipfile(target):
        raise OutputError(_("%(target)s exists and is not a zip file: it is not overwritten",
                            target=str(target)))
    files = sorted((p for p in site.rglob("*") if p.is_file()
                    and STATE not in p.relative_to(site).parts
                    and not p.relative_to(site).as_posix().startswith(EDITOR_FOLDER)),
                   key=lambda p: p.relative_to(site).as_posix())  # as the zip lists names
    when = _timestamp()
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in files:
            info = zipfile.ZipInfo(f"{FOLDER}/{path.relative_to(site).as_posix()}", when)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    os.replace(tmp, target)
    return len(files)
