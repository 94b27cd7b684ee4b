"""All published indicators, grouped the ways readers look for them: year, agency, strategy node.

Holds light copies (no narrative texts): the indexes list facts, not reports.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter

from . import pages, thai
from .i18n import Message, _, p_
from .model import STATUSES, Agency, Indicator, Site, StrategyNode, year_sort_key


def year_label(key: str) -> Message:
    """'ปีงบประมาณ 2564'; in English 'FY 2021 (B.E. 2564)' (`ce`: the Common Era years)."""
    if key == pages.NO_YEAR:
        return _("No fiscal year stated")
    # Translators: %(year)s is the Buddhist-Era fiscal year as the files name it (2564),
    # %(ce)s the Common-Era year it ends in (2021).
    return p_("year label", "Fiscal year %(year)s", year=key, ce=_common_era(key))


def year_short(key: str) -> Message:
    """A fiscal year where the words 'fiscal year' are said already: '2564', 'FY 2021 (B.E.
    2564)' in English."""
    # Translators: as "Fiscal year %(year)s", without the words "fiscal year" where they can go.
    return p_("year alone", "%(year)s", year=key, ce=_common_era(key))


def _common_era(key: str) -> str:
    return "-".join(str(int(y) - thai.BE_OFFSET) if y.isdigit() else y for y in key.split("-"))


@dataclass
class Catalog:
    site: Site
    indicators: list[Indicator]
    drafts: frozenset[str] = frozenset()  # content files of unpublished indicators
    by_year: dict[str, list[Indicator]] = field(init=False)
    by_agency: dict[str, list[Indicator]] = field(init=False)
    by_node: dict[str, list[Indicator]] = field(init=False)

    def __post_init__(self):
        self.indicators = sorted(self.indicators, key=attrgetter("sort_key"))
        self._rank = {id(ind): i for i, ind in enumerate(self.indicators)}
        by_agency, by_node = defaultdict(list), defaultdict(list)
        for ind in self.indicators:
            by_agency[ind.agency or ""].append(ind)
            for number in dict.fromkeys(ind.strategy):
                by_node[number].append(ind)
        self.by_year = self.by_year_of(self.indicators)
        self.by_agency, self.by_node = dict(by_agency), dict(by_node)
        self.by_source = {ind.source: ind for ind in self.indicators}
        self._subtrees: dict[str, list[Indicator]] = {}

    def replace(self, old: Indicator, new: Indicator) -> None:
        """Put a new version of an indicator in place of the old one, when the two list alike
        (same order, year, agency and strategy nodes): cheaper than building the catalog again."""
        rank = self._rank[id(new)] = self._rank.pop(id(old))
        self.indicators[rank] = new
        for group in (self.by_year[old.year_key], self.by_agency[old.agency or ""],
                      *(self.by_node[n] for n in dict.fromkeys(old.strategy))):
            group[next(i for i, x in enumerate(group) if x is old)] = new
        self.by_source[new.source] = new
        self._subtrees.clear()
        for family, _year, members in self.__dict__.get("families", ()):
            if family == old.family:  # listed alike: the same place in its family
                members[:] = [new if m is old else m for m in members]

    @cached_property
    def families(self) -> list[tuple[str, str, list[Indicator]]]:
        """(family, year, its indicators that year, best result first): a comparison each."""
        from .related import families_of

        return [(family, year, members) for (family, year), members in
                sorted(families_of(self.indicators).items())]

    @property
    def unlinked(self) -> list[Indicator]:
        """Indicators that name no strategy node."""
        return [ind for ind in self.indicators if not ind.strategy]

    @property
    def agency_count(self) -> int:
        return sum(1 for code in self.by_agency if code)

    @property
    def years(self) -> list[str]:
        return list(self.by_year)

    @property
    def agencies(self) -> list[Agency]:
        """Every agency of agencies.yaml (each has a page, even with no indicator yet)."""
        return sorted(self.site.agencies.values(), key=lambda a: a.code)

    def in_subtree(self, node: StrategyNode) -> list[Indicator]:
        """Indicators linked to `node` or to any node below it, each once."""
        if node.number not in self._subtrees:
            seen: dict[int, Indicator] = {}
            for n in node.walk():
                for ind in self.by_node.get(n.number, []):
                    seen.setdefault(id(ind), ind)
            self._subtrees[node.number] = sorted(seen.values(), key=lambda i: self._rank[id(i)])
        return self._subtrees[node.number]

    @staticmethod
    def tally(inds: list[Indicator]) -> dict[str, int]:
        """How many indicators have each status, in the order of STATUSES."""
        counts = Counter(ind.status for ind in inds)
        return {status: counts.get(status, 0) for status in STATUSES}

    @staticmethod
    def share_met(inds: list[Indicator]) -> int | None:
        """The percentage met of the indicators judged (met or not met), rounded; None when
        none is judged yet."""
        met = sum(1 for i in inds if i.status == "met")
        judged = met + sum(1 for i in inds if i.status == "not-met")
        return round(100 * met / judged) if judged else None

    def scorecard(self, inds: list[Indicator]) -> list[tuple[str, list[Indicator], int | None,
                                                             int | None]]:
        """(year, its indicators, percentage met, change from the year before in percentage
        points) for each fiscal year of `inds`, oldest first: the trend across years."""
        rows, before = [], None
        for year, group in reversed(list(self.by_year_of(inds).items())):
            share = self.share_met(group)
            rows.append((year, group, share, share - before if None not in (share, before)
                         else None))
            before = share if share is not None else before
        return rows

    @staticmethod
    def by_status(inds: list[Indicator]) -> list[tuple[str, list[Indicator]]]:
        """The indicators grouped by status, in the order of STATUSES."""
        return [(status, group) for status in STATUSES
                for group in [[i for i in inds if i.status == status]] if group]

    @staticmethod
    def by_year_of(inds: list[Indicator]) -> dict[str, list[Indicator]]:
        groups: dict[str, list[Indicator]] = defaultdict(list)
        for ind in inds:
            groups[ind.year_key].append(ind)
        return {k: groups[k] for k in sorted(groups, key=year_sort_key)}

    def agencies_in(self, year: str) -> list[tuple[Agency | None, list[Indicator]]]:
        """The agencies with indicators in a fiscal year, each with its indicators."""
        groups: dict[str, list[Indicator]] = defaultdict(list)
        for ind in self.by_year.get(year, []):
            groups[ind.agency or ""].append(ind)
        return [(self.site.agency(code), groups[code]) for code in sorted(groups, key=lambda c: c or "~")]
