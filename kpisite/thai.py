"""Thai digits, the Buddhist Era, and fiscal-year and quarter arithmetic (how dates are
written is the catalogue's: i18n.Words).

The Thai government fiscal year runs 1 October - 30 September and is named by the Buddhist-Era
year (CE + 543) in which it ends; quarter 1 is October-December.
"""
from __future__ import annotations

import datetime as dt

BE_OFFSET = 543
BANGKOK = dt.timezone(dt.timedelta(hours=7))  # the clock of the dates shown (no DST in Thailand)

_ARABIC = "0123456789"
_THAI = "๐๑๒๓๔๕๖๗๘๙"
_TO_THAI = str.maketrans(_ARABIC, _THAI)
_TO_ARABIC = str.maketrans(_THAI, _ARABIC)


def thai_digits(text: object) -> str:
    """Write the Arabic digits of `text` as Thai digits (๐-๙)."""
    return str(text).translate(_TO_THAI)


def arabic_digits(text: object) -> str:
    """Write the Thai digits of `text` as Arabic digits (0-9)."""
    return str(text).translate(_TO_ARABIC)


def be_year(ce_year: int) -> int:
    """The Buddhist-Era year of a Common-Era year."""
    return ce_year + BE_OFFSET


def fiscal_year(day: dt.date) -> int:
    """The fiscal year (Buddhist Era) that `day` falls in."""
    return be_year(day.year + (1 if day.month >= 10 else 0))


def fiscal_quarter(day: dt.date) -> int:
    """The fiscal quarter (1-4) that `day` falls in: October-December is quarter 1."""
    return (day.month - 10) % 12 // 3 + 1


def fiscal_year_bounds(fy: int) -> tuple[dt.date, dt.date]:
    """First and last day of fiscal year `fy` (Buddhist Era)."""
    ce_end = fy - BE_OFFSET
    return dt.date(ce_end - 1, 10, 1), dt.date(ce_end, 9, 30)


def year_span(key: str) -> tuple[dt.date, dt.date] | None:
    """First and last day of a fiscal year ('2564') or span of them ('2562-2563'); None else."""
    years = key.split("-")
    if not all(y.isdigit() and len(y) == 4 for y in years) or len(years) > 2:
        return None
    return fiscal_year_bounds(int(years[0]))[0], fiscal_year_bounds(int(years[-1]))[1]


def quarter_bounds(fy: int, quarter: int) -> tuple[dt.date, dt.date]:
    """First and last day of `quarter` (1-4) of fiscal year `fy` (Buddhist Era)."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, not {quarter!r}")
    start, _ = fiscal_year_bounds(fy)
    first_month = start.month + 3 * (quarter - 1)  # 10, 13, 16, 19
    year, month = start.year + (first_month - 1) // 12, (first_month - 1) % 12 + 1
    next_year, next_month = (year + 1, 1) if month + 3 > 12 else (year, month + 3)
    return dt.date(year, month, 1), dt.date(next_year, next_month, 1) - dt.timedelta(days=1)


def build_date():
    """Today in Bangkok, or the date of SOURCE_DATE_EPOCH (for reproducible builds): what
    pages that depend on the day (overdue reports, "built on") take as today."""
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    now = dt.datetime.fromtimestamp(int(epoch), BANGKOK) if epoch else dt.datetime.now(BANGKOK)
    return now.date()
