"""Bar charts as plain geometry for server-rendered inline SVG (no chart library).

Pure: labels and values in, rectangles and text positions out, so the geometry is tested
without a database or a browser. ``rtl`` mirrors a chart horizontally for right-to-left
languages: labels on the right, bars growing leftwards, days running right to left.
"""

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 720
LABEL_WIDTH = 180
ROW = 26
BAR = 16
COLUMN_HEIGHT = 200
AXIS = 24  # room under columns for their labels
VALUE_ROOM = 90  # room after the longest bar for its figure
COLUMN_MARGIN = 24  # room at both ends for the first and last day's label


@dataclass(frozen=True)
class Datum:
    label: str
    value: float
    display: str  # the value as shown to people (money, milliseconds)
    series: int = 0  # index of the series in a grouped chart


@dataclass(frozen=True)
class Bar:
    datum: Datum
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float

    @property
    def value_y(self) -> float:
        return self.y + self.height / 2 + 4


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    label_anchor: str
    value_anchor: str


def horizontal_bars(
    data: Sequence[Datum], *, series: int = 1, rtl: bool = False, width: int = WIDTH
) -> Chart:
    """Return one row per label, ``series`` bars side by side in each, scaled to the largest.

    ``data`` holds each label's values one after the other, in series order.
    """
    top = max((datum.value for datum in data), default=0) or 1
    room = width - LABEL_WIDTH - VALUE_ROOM
    bar_height = BAR / series if series > 1 else BAR
    row = ROW + (series - 1) * bar_height
    bars = []
    for index, datum in enumerate(data):
        line, within = divmod(index, series)
        length = room * datum.value / top
        y = line * row + (row - series * bar_height) / 2 + within * bar_height
        x = LABEL_WIDTH
        label_x, value_x = LABEL_WIDTH - 8, LABEL_WIDTH + length + 6
        if rtl:
            x = width - LABEL_WIDTH - length
            label_x, value_x = width - label_x, width - value_x
        bars.append(
            Bar(
                datum=datum,
                x=x,
                y=y,
                width=length,
                height=bar_height,
                label_x=label_x,
                label_y=line * row + row / 2 + 4,
                value_x=value_x,
            )
        )
    lines = -(-len(data) // series)
    return Chart(
        bars=bars,
        width=width,
        height=max(int(lines * row), ROW),
        label_anchor="start" if rtl else "end",
        value_anchor="end" if rtl else "start",
    )


def columns(data: Sequence[Datum], *, rtl: bool = False, width: int = WIDTH) -> Chart:
    """Return one column per datum (a time series), left to right (right to left when rtl)."""
    top = max((datum.value for datum in data), default=0) or 1
    slot = (width - 2 * COLUMN_MARGIN) / max(len(data), 1)
    bars = []
    for index, datum in enumerate(data):
        height = COLUMN_HEIGHT * datum.value / top
        position = len(data) - 1 - index if rtl else index
        x = COLUMN_MARGIN + position * slot + slot * 0.15
        bars.append(
            Bar(
                datum=datum,
                x=x,
                y=COLUMN_HEIGHT - height,
                width=slot * 0.7,
                height=height,
                label_x=x + slot * 0.35,
                label_y=COLUMN_HEIGHT + 16,
                value_x=x + slot * 0.35,
            )
        )
    return Chart(
        bars=bars,
        width=width,
        height=COLUMN_HEIGHT + AXIS,
        label_anchor="middle",
        value_anchor="middle",
    )
