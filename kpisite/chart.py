"""The quarterly chart's geometry: bars for reported results, a line for the target.

The drawing itself is templates/_chart.html (inline SVG with a text alternative).
"""
from __future__ import annotations

from dataclasses import dataclass

from .model import Indicator, fmt

WIDTH, HEIGHT = 520, 230
LEFT, RIGHT, TOP, BOTTOM = 16, 16, 28, 44  # room for value labels above and quarter names below


@dataclass(frozen=True)
class Bar:
    quarter: int
    x: float
    width: float
    y: float | None  # None: not reported
    height: float
    label: str
    label_y: float  # the value's baseline: above the bar, and clear of the target line


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    target_y: float | None
    target_label: str
    baseline_y: float
    width: int = WIDTH
    height: int = HEIGHT


def quarter_chart(ind: Indicator) -> Chart | None:
    """The chart of an indicator's quarters, or None when there is nothing to draw."""
    if not ind.quarters:
        return None
    values = [q.result for q in ind.quarters if q.result is not None]
    if ind.target is not None:
        values.append(ind.target)
    if not values:
        return None
    high, low = max(max(values), 0), min(min(values), 0)
    span = float(high - low) or 1.0
    plot = HEIGHT - TOP - BOTTOM

    def y_of(v) -> float:
        return TOP + plot * float(high - v) / span

    target_y = round(y_of(ind.target), 1) if ind.target is not None else None

    def label_y(top: float) -> float:
        y = top - 6
        if target_y is not None and target_y - 4 < y + 4 and y - 14 < target_y + 2:
            y = target_y - 6  # the text sits just above the target line instead of across it
        return round(y, 1)

    slot = (WIDTH - LEFT - RIGHT) / 4
    bars = []
    for q in ind.quarters:
        x = LEFT + slot * (q.number - 1) + slot * 0.2
        if q.result is None:
            missing_top = y_of(0) - 24
            bars.append(Bar(q.number, round(x, 1), round(slot * 0.6, 1), None, 0, "ยังไม่รายงาน",
                            label_y(missing_top)))
            continue
        top, base = y_of(max(q.result, 0)), y_of(min(q.result, 0))
        bars.append(Bar(q.number, round(x, 1), round(slot * 0.6, 1), round(top, 1),
                        round(max(base - top, 1), 1), fmt(q.result), label_y(top)))
    return Chart(bars, target_y, fmt(ind.target), round(y_of(0), 1))
