"""Indicators that belong together: a series (the same indicator over the fiscal years, each
file naming the one it `continues`) and a family (the same indicator measured by several
agencies, each file naming its `family`).

Only what the files say links them: two indicators with the same name are not linked by
kpisite (the same name may measure different things). An indicator's page shows its series
and where it stands in its family; what it needs of the others is small (Related), so the
workers that render indicator pages get it from the parent, and a page whose Related changed
is rendered again even when its own file did not change.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, NamedTuple

from .diagnostics import Problem
from .i18n import _, bilingual
from .load import find_line

ERROR, WARNING = "error", "warning"


class Point(NamedTuple):
    """One fiscal year of a series, as the indicator page's table and chart show it."""

    year_key: str
    code: str
    path: str
    target: object  # Number | None
    achieved: object
    status: str


@dataclass(frozen=True)
class Related:
    series: tuple[Point, ...] = ()  # oldest first; empty when the indicator has no series
    at: int = -1  # which of them this indicator is
    family: str = ""
    rank: int = 0  # where this agency's result stands among the family's that year (1: best)
    ranked: int = 0  # how many of them have a result to rank
    members: int = 0  # how many agencies the family has that year


def key(ind) -> tuple[str, str]:
    """How `continues` names an indicator: its year folder and code."""
    return ind.year_key, ind.code


def parse(reference: str) -> tuple[str, str]:
    year, _slash, code = reference.partition("/")
    return year, code


def series_of(inds: list) -> list[list]:
    """The series: indicators joined by `continues`, each series oldest first."""
    by_key = {key(i): i for i in inds}
    parent = {id(i): i for i in inds}

    def top(i):
        while parent[id(i)] is not i:
            parent[id(i)] = parent[id(parent[id(i)])]
            i = parent[id(i)]
        return i

    for i in inds:
        earlier = by_key.get(parse(i.continues)) if i.continues else None
        if earlier is not None:
            parent[id(top(i))] = top(earlier)
    groups = defaultdict(list)
    for i in inds:
        groups[id(top(i))].append(i)
    return [sorted(g, key=lambda i: i.year_key) for g in groups.values() if len(g) > 1]


def families_of(inds: list) -> dict[tuple[str, str], list]:
    """(family, year) -> its indicators that year, best result first."""
    groups = defaultdict(list)
    for i in inds:
        if i.family:
            groups[(i.family, i.year_key)].append(i)
    return {k: ranked(v) for k, v in groups.items()}


def ranked(inds: list) -> list:
    """Best result first (lower is better where the indicator says so); no result last."""
    def order(i):
        value = i.achieved_value
        if value is None:
            return (1, 0, i.agency or "")
        return (0, value if i.direction == "lower" else -value, i.agency or "")
    return sorted(inds, key=order)


def relations(inds: list) -> dict[str, Related]:
    """What each published indicator's page shows of the others, by its file (source)."""
    out: dict[str, dict] = defaultdict(dict)
    _series_parts(series_of(inds), out)
    _family_parts(families_of(inds).items(), out)
    return {source: Related(**values) for source, values in out.items()}


def _series_parts(all_series: list[list], out: dict) -> None:
    for series in all_series:
        points = tuple(Point(s.year_key, s.code, s.path, s.target, s.achieved_value, s.status)
                       for s in series)
        for n, i in enumerate(series):
            out[i.source].update(series=points, at=n)


def _family_parts(groups, out: dict) -> None:
    for (family, _year), members in groups:
        with_result = [m for m in members if m.achieved_value is not None]
        rank = {id(m): n for n, m in enumerate(with_result, 1)}
        for i in members:
            out[i.source].update(family=family, rank=rank.get(id(i), 0),
                                 ranked=len(with_result), members=len(members))


def updated(relations: dict[str, Related], inds: list, edited: list) -> set[str]:
    """After an edit (`edited`: the old and new versions of the edited indicators), the
    relations it touches, made again in `relations`: the edited ones' whole series and whole
    families. Returns the files whose relations changed. (relations() of every indicator
    would cost the preview a few hundred ms at 10,000 indicators.)"""
    current = {i.source: i for i in inds}
    members = [i for i in _series_around(edited, inds) if current.get(i.source) is i]
    families = {(i.family, i.year_key) for i in edited if i.family}
    groups = {k: v for k, v in families_of(inds).items() if k in families} if families else {}
    parts: dict[str, dict] = defaultdict(dict)
    _series_parts(series_of(members), parts)
    _family_parts(groups.items(), parts)
    again_series = {i.source for i in members}
    again_family = {i.source for i in edited} | {m.source for g in groups.values() for m in g}
    changed = set()
    for source in again_series | again_family:
        values = dict(relations[source].__dict__) if source in relations else {}
        if source in again_series:
            values.update(series=(), at=-1)
        if source in again_family:
            values.update(family="", rank=0, ranked=0, members=0)
        fresh = Related(**{**values, **parts.get(source, {})})
        fresh = fresh if source in current and fresh != Related() else None
        if fresh != relations.get(source):
            changed.add(source)
            relations.pop(source, None)
            if fresh is not None:
                relations[source] = fresh
    return changed


def _series_around(edited: list, inds: list) -> list:
    """Every indicator in a series with one of `edited`, following `continues` both ways."""
    by_key = {key(i): i for i in inds}
    continued_by = defaultdict(list)
    for i in inds:
        if i.continues:
            continued_by[parse(i.continues)].append(i)
    found, todo = {}, list(edited)
    while todo:
        i = todo.pop()
        if id(i) not in found:
            found[id(i)] = i
            earlier = by_key.get(parse(i.continues)) if i.continues else None
            todo += ([earlier] if earlier is not None else []) + continued_by.get(key(i), [])
    return list(found.values())


def problems(summaries: Iterable, root: Path) -> list[Problem]:
    """A `continues` that points to no indicator or not to an earlier year: an error; a
    family that no other indicator shares: a warning (a typing slip, or not linked yet)."""
    summaries = [s for s in summaries if s.code is not None]
    known = {(s.year_key, s.code) for s in summaries}
    families = defaultdict(int)
    for s in summaries:
        if s.family:
            families[s.family] += 1
    found = []
    for s in summaries:
        if s.continues:
            year, code = parse(s.continues)
            if (year, code) not in known:
                found.append(_problem(root, s, "continues", _(
                    "continues names %(ref)s, but there is no indicator %(code)s in the fiscal "
                    "year %(year)s (write year/code, e.g. 2563/5042-0123)", ref=s.continues,
                    code=code, year=year), ERROR))
            elif not year < s.year_key:
                found.append(_problem(root, s, "continues", _(
                    "continues names %(ref)s: a series continues from an earlier fiscal year",
                    ref=s.continues), ERROR))
        if s.family and families[s.family] == 1:
            found.append(_problem(root, s, "family", _(
                "no other indicator is in the family '%(family)s': check its spelling in the "
                "others' files", family=s.family), WARNING))
    return found


def _problem(root: Path, s, field: str, message, severity: str) -> Problem:
    try:
        text = (root / s.rel).read_text(encoding="utf-8")
    except OSError:
        text = ""
    return Problem(s.rel, find_line(text, (field,)) if text else None, field,
                   bilingual(message), severity)
