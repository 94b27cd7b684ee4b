"""The quarterly chart's geometry: bars for reported results, a line for the target.

The drawing itself is templates/_chart.html (inline SVG with a text alternative); coordinates
come from here ready to use as attributes, so the template holds the shapes and their classes.
"""
from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from .linebreaks import lines
from .model import Indicator, fmt

WIDTH, HEIGHT = 520, 230
LEFT, RIGHT, TOP, BOTTOM = 16, 16, 28, 44  # room for value labels above and quarter names below
MISSING = 24  # height of the dashed outline that stands for a quarter not reported
LETTER = 9.5  # the room a character takes at the labels' size (17), about: for their lines


@dataclass(frozen=True)
class Bar:
    quarter: int
    reported: bool
    label: str  # the value, or the words for "not reported"
    box: Markup  # x, y, width, height of the bar (or of the outline when not reported)
    value_at: Markup  # x, y of the value's text: above the bar, clear of the target line
    axis_at: Markup  # x, y of the quarter's name under the axis
    value_lines: tuple  # the value's text in lines that fit the slot: (tspan attributes, line)


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    target: str  # the target as recorded, '' when there is none
    target_line: Markup  # x1, x2, y1, y2 of the target line
    baseline: Markup
    size: Markup  # the viewBox


# The shapes' attributes, numbers with one decimal (plain % formatting: half the cost of f-strings)
_BOX = 'x="%.1f" y="%.1f" width="%.1f" height="%.1f"'
_POINT = 'x="%.1f" y="%.1f"'
_LINE = 'x1="0.0" x2="%.1f" y1="%.1f" y2="%.1f"'


def quarter_chart(ind: Indicator, not_reported: str) -> Chart | None:
    """The chart of an indicator's quarters, or None when there is nothing to draw;
    `not_reported` labels a quarter without a result."""
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

    target_y = y_of(ind.target) if ind.target is not None else None

    def value_y(top: float) -> float:
        y = top - 6
        if target_y is not None and target_y - 4 < y + 6 and y - 16 < target_y + 2:
            y = target_y - 10  # the text sits clear above the target line instead of across it
        return y

    slot, zero = (WIDTH - LEFT - RIGHT) / 4, y_of(0)
    bars = []
    for q in ind.quarters:
        x, width = LEFT + slot * (q.number - 1) + slot * 0.2, slot * 0.6
        if q.result is None:
            top, height, label = zero - MISSING, MISSING, not_reported
        else:
            top = y_of(max(q.result, 0))
            height, label = max(y_of(min(q.result, 0)) - top, 1), fmt(q.result)
        bars.append(Bar(q.number, q.result is not None, label,
                        Markup(_BOX % (x, top, width, height)),
                        Markup(_POINT % (x + width / 2, value_y(top))),
                        Markup(_POINT % (x + width / 2, HEIGHT - 20)),
                        tspans(label, x + width / 2, slot, upward=True)))
    line = lambda y: Markup(_LINE % (WIDTH, y, y))  # noqa: E731
    return Chart(bars, fmt(ind.target), line(target_y) if target_y is not None else Markup(""),
                 line(zero), Markup(f"0 0 {WIDTH} {HEIGHT}"))


@dataclass(frozen=True)
class Column:
    """A bar of a chart that compares years or agencies: the value, and its own target."""

    name: str  # under the axis: the year or the agency
    reported: bool
    label: str
    box: Markup
    value_at: Markup
    axis_at: Markup
    target: str  # '' when it has none
    target_line: Markup  # a short line across its slot at the target
    value_lines: tuple  # as Bar's
    name_lines: tuple  # the name's, under the axis


@dataclass(frozen=True)
class Comparison:
    columns: list[Column]
    baseline: Markup
    size: Markup


def comparison_chart(items: list[tuple[str, object, object]], not_reported: str
                     ) -> Comparison | None:
    """Bars of (name, value, target) side by side, each with its target: the years of a
    series, or the agencies of a family in one year."""
    values = [v for _, v, t in items for v in (v, t) if v is not None]
    if not values:
        return None
    high, low = max(max(values), 0), min(min(values), 0)
    span, plot = float(high - low) or 1.0, HEIGHT - TOP - BOTTOM
    y_of = lambda v: TOP + plot * float(high - v) / span  # noqa: E731
    slot, zero = (WIDTH - LEFT - RIGHT) / max(len(items), 1), y_of(0)
    columns = []
    for n, (name, value, target) in enumerate(items):
        x, width = LEFT + slot * n + slot * 0.2, slot * 0.6
        if value is None:
            top, height, label = zero - MISSING, MISSING, not_reported
        else:
            top = y_of(max(value, 0))
            height, label = max(y_of(min(value, 0)) - top, 1), fmt(value)
        line = Markup('x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"' % (
            x - slot * 0.1, x + width + slot * 0.1, y_of(target), y_of(target))) \
            if target is not None else Markup("")
        columns.append(Column(name, value is not None, label,
                              Markup(_BOX % (x, top, width, height)),
                              Markup(_POINT % (x + width / 2, top - 6)),
                              Markup(_POINT % (x + width / 2, HEIGHT - 20)),
                              fmt(target), line, tspans(label, x + width / 2, slot, upward=True),
                              tspans(name, x + width / 2, slot, upward=False)))
    return Comparison(columns, Markup(_LINE % (WIDTH, zero, zero)),
                      Markup(f"0 0 {WIDTH} {HEIGHT}"))


def tspans(text: str, x: float, slot: float, upward: bool) -> tuple:
    """`text` as lines that fit a slot of the chart, each a <tspan>'s attributes and words; a
    value's lines rise from its place above the bar, a name's go down from under the axis."""
    found = lines(text, max(int(slot / LETTER), 1))
    if len(found) == 1:
        return ((Markup(""), text),)
    first = -1.1 * (len(found) - 1) if upward else 0
    return tuple((Markup('x="%.1f" dy="%.1fem"' % (x, first if n == 0 else 1.1)), line)
                 for n, line in enumerate(found))
