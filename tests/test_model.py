"""The status rule and the derived facts, on the bundled sample indicators and made-up cases."""
from dataclasses import replace
from decimal import Decimal as D

import pytest

from conftest import CONTENT
from kpisite import model, gather


@pytest.fixture(scope="module")
def bundled():
    site, indicators, problems = gather.collect(gather.Project(CONTENT))
    return {ind.code: ind for ind in indicators}


@pytest.mark.parametrize("code, status", [
    ("5042-2007", "met"),           # level 5 of target 5; quarter 4 not reported
    ("5042-2008", "not-met"),       # 75 of 100 %
    ("5010-0957", "not-met"),       # 32.31 of 80 %
    ("5035-893", "not-met"),        # the recorded achieved (1) counts, not quarter 4
    ("2400-1014", "met"),
    ("5001-0735", "met"),           # 73.26 >= 70 although quarters fell
    ("0700-0787", "met"),
    ("1100-0833", "met"),
    ("1900-6502", "met"),           # minutes, lower is better: 5 <= 5
    ("5012-0892", "met"),
    ("170", "goal"),                # a goal indicator: a target, no results of its own kind
])
def test_status_of_bundled_samples(bundled, code, status):
    assert bundled[code].status == status


def test_lower_is_better_decides_met(bundled):
    ind = bundled["1900-6502"]
    assert ind.direction == "lower"
    assert replace(ind, achieved=D("7")).status == "not-met"
    assert replace(ind, achieved=D("3")).status == "met"
    higher = replace(ind, direction=None, achieved=D("3"))
    assert higher.status == "not-met"


def test_unreported_quarter_is_not_zero(bundled):
    ref = bundled["5042-2007"]
    q4 = ref.quarters[3]
    assert q4.number == 4 and q4.result is None and q4.score == 95
    assert ref.latest.number == 3


def test_achieved_derived_only_when_absent():
    quarters = [model.Quarter(1, D("10")), model.Quarter(2, D("20")), model.Quarter(3, None)]
    ind = model.Indicator("x.yaml", "1", "n", type="strategic", target=D("15"), quarters=quarters)
    assert ind.achieved_value == D("20") and ind.achieved_derived and ind.status == "met"
    recorded = model.Indicator("x.yaml", "1", "n", type="strategic", target=D("15"), achieved=D("12"),
                               quarters=quarters)
    assert recorded.achieved_value == D("12") and not recorded.achieved_derived
    assert recorded.status == "not-met"
    assert [f.field for f in recorded.flags] == [("achieved",)]
    nothing = model.Indicator("x.yaml", "1", "n", type="strategic", target=D("15"))
    assert nothing.status == "not-reported"
    assert model.Indicator("x.yaml", "1", "n", type="strategic").status == "no-target"


def test_flags_for_scores_that_do_not_add_up(bundled):
    fields = lambda code: [f.field for f in bundled[code].flags]  # noqa: E731
    assert ("quarters", 3, "pair") in fields("1100-0833")      # 100 / 50
    assert ("quarters", 3, "score") in fields("0700-0787")     # score 0 but 100 / 100
    assert fields("2400-1014") == []                           # everything agrees
    assert fields("5035-893") == [("achieved",)]               # 1 recorded, 1,407.52 in Q4


def test_numbers_keep_their_recorded_digits():
    assert model.fmt(D("2.00")) == "2.00"
    assert model.fmt(D("95.0000")) == "95.0000"
    assert model.fmt(D("1407.52")) == "1,407.52"
    assert model.fmt(1020917) == "1,020,917"
    assert model.fmt(D("1E+3")) == "1,000"
    assert model.fmt(None) == ""
