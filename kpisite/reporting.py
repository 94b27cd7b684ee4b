"""Which ended quarters have not been reported: from the fiscal calendar (quarters end on 31
Dec, 31 Mar, 30 Jun and 30 Sep), the days agencies have to report (site.yaml's
`report_days`) and the build date (SOURCE_DATE_EPOCH when set, so builds stay reproducible).

A quarter counts as reported when its result or its report text is recorded (a score alone
does not). A fiscal year that ended more than a year before the build date is closed: its
missing quarters were never reported, they are not overdue.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from . import thai

CLOSED_AFTER = dt.timedelta(days=365)


@dataclass(frozen=True)
class Missing:
    """A quarter of an indicator that has ended and was not reported in time."""

    quarter: int
    due: dt.date  # the quarter's last day and the days allowed
    never: bool  # its fiscal year is closed: never reported (not overdue)


def missing(ind, today: dt.date, days: int) -> list[Missing]:
    """The ended quarters of `ind` with no result and no report past their due date."""
    year = ind.single_year
    if year is None or ind.type == "goal" or ind.not_captured("quarters"):
        return []  # no calendar (no year, or a span), or no results are reported for it
    closed, dues = _calendar(year, days, today)
    reported = ind.reported_quarters
    return [Missing(n, due, closed) for n, due in enumerate(dues, 1)
            if n not in reported and due < today]


@lru_cache(maxsize=256)
def _calendar(year: int, days: int, today: dt.date) -> tuple[bool, tuple[dt.date, ...]]:
    """Whether a fiscal year is closed, and its quarters' due dates (the same for every
    indicator of the year)."""
    closed = thai.fiscal_year_bounds(year)[1] + CLOSED_AFTER < today
    return closed, tuple(thai.quarter_bounds(year, n)[1] + dt.timedelta(days=days)
                         for n in (1, 2, 3, 4))


@dataclass
class AgencyGaps:
    """One agency's missing quarters: counted, and its overdue ones (open years) listed."""

    code: str
    overdue: list = field(default_factory=list)  # (indicator, [Missing]) in open years
    overdue_count: int = 0
    never_count: int = 0
    indicators: int = 0


def by_agency(cat, today: dt.date, days: int) -> list[AgencyGaps]:
    """Each agency with a missing quarter, the most overdue quarters first (then the most
    never reported)."""
    groups: dict[str, AgencyGaps] = {}
    for ind in cat.indicators:
        gaps = missing(ind, today, days)
        if not gaps:
            continue
        agency = groups.setdefault(ind.agency or "", AgencyGaps(ind.agency or ""))
        late = [g for g in gaps if not g.never]
        if late:
            agency.overdue.append((ind, late))
        agency.overdue_count += len(late)
        agency.never_count += len(gaps) - len(late)
        agency.indicators += 1
    return sorted(groups.values(), key=lambda a: (-a.overdue_count, -a.never_count,
                                                  a.code or "~"))
