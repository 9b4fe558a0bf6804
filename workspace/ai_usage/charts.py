"""Bar charts as plain geometry for server-rendered inline SVG (no chart library).

Pure: labels and values in, rectangles and text positions out, so the geometry is tested
without a database or a browser. ``rtl`` mirrors a chart horizontally for right-to-left
languages: labels on the right, bars growing leftwards, days running right to left.

Every chart with data has a value axis (``Chart.axis``): round ticks from 0 to the largest
value (``nice_ticks``), labelled by the caller's ``tick_label`` (localised money,
milliseconds), with a grid line each, and room for the axis title the template writes.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH = 720
LABEL_WIDTH = 180
ROW = 26
BAR = 16
COLUMN_HEIGHT = 200
AXIS = 24  # room under columns for their labels
VALUE_ROOM = 90  # room after the longest bar for its figure
COLUMN_MARGIN = 24  # room at both ends for the first and last day's label
VALUE_AXIS_WIDTH = 72  # room beside the columns for the value axis' tick labels
PLOT_TOP = 22  # room above the columns for the value axis' title and its top tick label
TITLE_ROOM = 18  # room under the day labels (columns) or the tick labels (bars) for a title
BAR_AXIS = 20  # room under horizontal bars for the tick labels
MAX_TICKS = 5

TickLabel = Callable[[float, int], str]


def plain_label(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def nice_ticks(top: float, *, most: int = MAX_TICKS) -> tuple[list[float], int]:
    """Return round tick values from 0 up to ``top`` (at most ``most`` + 1 of them, steps of
    1, 2 or 5 times a power of ten) and the decimals their step needs."""
    if not top > 0 or not math.isfinite(top):
        return [0.0], 0
    rough = top / most
    power = math.floor(math.log10(rough))
    step = next(n for n in (1, 2, 5, 10) if n * 10**power >= rough) * 10**power
    if step >= 10 ** (power + 1):
        power += 1
    count = int(top / step + 1e-9)
    return [round(index * step, max(0, -power) + 1) for index in range(count + 1)], max(0, -power)


@dataclass(frozen=True)
class Tick:
    label: str
    position: float  # along the value axis: x for horizontal bars, y for columns


@dataclass(frozen=True)
class Axis:
    """A value axis: ticks with grid lines running across the plot from ``start`` to ``end``
    (y for horizontal bars, x for columns), labels at ``label_at`` (the other coordinate),
    and where its title goes. ``line`` is the axis line itself: x1, y1, x2, y2."""

    ticks: tuple[Tick, ...]
    start: float
    end: float
    label_at: float
    label_anchor: str
    title_x: float
    title_y: float
    title_anchor: str
    line: tuple[float, float, float, float]


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
    axis: Axis | None = None  # None for a chart without data
    # Columns only: where the day axis' title goes (x, y) and its anchor.
    category_title: tuple[float, float, str] | None = None


def horizontal_bars(
    data: Sequence[Datum],
    *,
    series: int = 1,
    rtl: bool = False,
    width: int = WIDTH,
    tick_label: TickLabel = plain_label,
) -> Chart:
    """Return one row per label, ``series`` bars side by side in each, scaled to the largest,
    with the value axis under them.

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
    plot_height = max(int(lines * row), ROW)
    axis = None
    if data:
        values, decimals = nice_ticks(top)

        def at(value: float) -> float:
            x = LABEL_WIDTH + room * value / top
            return width - x if rtl else x

        base = at(0)
        axis = Axis(
            ticks=tuple(Tick(tick_label(value, decimals), at(value)) for value in values),
            start=0,
            end=plot_height,
            label_at=plot_height + 14,
            label_anchor="middle",
            title_x=base,
            title_y=plot_height + BAR_AXIS + 12,
            title_anchor="end" if rtl else "start",
            line=(base, plot_height, at(top), plot_height),
        )
    return Chart(
        bars=bars,
        width=width,
        height=plot_height + (BAR_AXIS + TITLE_ROOM if data else 0),
        label_anchor="start" if rtl else "end",
        value_anchor="end" if rtl else "start",
        axis=axis,
    )


def columns(
    data: Sequence[Datum],
    *,
    rtl: bool = False,
    width: int = WIDTH,
    tick_label: TickLabel = plain_label,
) -> Chart:
    """Return one column per datum (a time series), left to right (right to left when rtl),
    with the value axis beside them (left, right when rtl) and the days under them."""
    top = max((datum.value for datum in data), default=0) or 1
    left = COLUMN_MARGIN if rtl else VALUE_AXIS_WIDTH
    right = width - (VALUE_AXIS_WIDTH if rtl else COLUMN_MARGIN)
    slot = (right - left) / max(len(data), 1)
    baseline = PLOT_TOP + COLUMN_HEIGHT
    bars = []
    for index, datum in enumerate(data):
        height = COLUMN_HEIGHT * datum.value / top
        position = len(data) - 1 - index if rtl else index
        x = left + position * slot + slot * 0.15
        bars.append(
            Bar(
                datum=datum,
                x=x,
                y=baseline - height,
                width=slot * 0.7,
                height=height,
                label_x=x + slot * 0.35,
                label_y=baseline + 16,
                value_x=x + slot * 0.35,
            )
        )
    axis = category_title = None
    if data:
        values, decimals = nice_ticks(top)
        side = right if rtl else left
        axis = Axis(
            ticks=tuple(
                Tick(tick_label(value, decimals), baseline - COLUMN_HEIGHT * value / top)
                for value in values
            ),
            start=left,
            end=right,
            label_at=side + 6 if rtl else side - 6,
            label_anchor="start" if rtl else "end",
            title_x=side,
            title_y=PLOT_TOP - 10,
            title_anchor="end" if rtl else "start",
            line=(side, PLOT_TOP, side, baseline),
        )
        category_title = ((left + right) / 2, baseline + AXIS + TITLE_ROOM - 4, "middle")
    return Chart(
        bars=bars,
        width=width,
        height=baseline + AXIS + TITLE_ROOM,
        label_anchor="middle",
        value_anchor="middle",
        axis=axis,
        category_title=category_title,
    )
