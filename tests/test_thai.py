"""Thai digits, Buddhist-Era dates, fiscal years and quarters, at their boundaries."""
import datetime as dt

import pytest

from kpisite import thai
from kpisite.i18n import standard
from kpisite.render import Labels


def test_digits_both_ways():
    assert thai.thai_digits("5.2.1.1") == "๕.๒.๑.๑"
    assert thai.arabic_digits("ด้านที่ ๕ ๒๕๖๔") == "ด้านที่ 5 2564"
    assert thai.arabic_digits(thai.thai_digits("0123456789")) == "0123456789"


def test_buddhist_era_dates():
    assert thai.be_year(2026) == 2569
    words = standard("th")
    assert words.date(dt.date(2026, 11, 23)) == "23 พฤศจิกายน 2569"
    assert words.date(dt.date(2021, 1, 1), short=True) == "1 ม.ค. 2564"


@pytest.mark.parametrize("day, fy, quarter", [
    (dt.date(2020, 9, 30), 2563, 4),
    (dt.date(2020, 10, 1), 2564, 1),
    (dt.date(2020, 12, 31), 2564, 1),
    (dt.date(2021, 1, 1), 2564, 2),
    (dt.date(2021, 3, 31), 2564, 2),
    (dt.date(2021, 4, 1), 2564, 3),
    (dt.date(2021, 6, 30), 2564, 3),
    (dt.date(2021, 7, 1), 2564, 4),
    (dt.date(2021, 9, 30), 2564, 4),
    (dt.date(2021, 10, 1), 2565, 1),
])
def test_fiscal_year_and_quarter_boundaries(day, fy, quarter):
    assert thai.fiscal_year(day) == fy
    assert thai.fiscal_quarter(day) == quarter
    start, end = thai.quarter_bounds(fy, quarter)
    assert start <= day <= end


def test_fiscal_year_bounds():
    assert thai.fiscal_year_bounds(2564) == (dt.date(2020, 10, 1), dt.date(2021, 9, 30))


def test_quarters_tile_the_year_without_gaps():
    start, end = thai.fiscal_year_bounds(2567)  # Feb 2024 is a leap month
    day = start
    for q in (1, 2, 3, 4):
        q_start, q_end = thai.quarter_bounds(2567, q)
        assert q_start == day
        day = q_end + dt.timedelta(days=1)
    assert day - dt.timedelta(days=1) == end
    assert thai.quarter_bounds(2567, 2) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))


def test_quarter_months_and_bad_quarter():
    labels = Labels(standard("th"))
    assert labels._months(2564, 1) == "ต.ค.-ธ.ค. 2563"
    assert labels._months(2564, 2) == "ม.ค.-มี.ค. 2564"
    with pytest.raises(ValueError):
        thai.quarter_bounds(2564, 5)
