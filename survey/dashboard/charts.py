"""Server-side SVG charts: coordinates computed here, drawn by templates/dashboard/_chart.html."""

from dataclasses import dataclass, field
from datetime import timedelta

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 24, 44


@dataclass
class Chart:
    """A line chart ready to draw: polylines, axis ticks and an optional target line."""

    lines: list = field(default_factory=list)  # [(css class, "x,y x,y …")]
    x_ticks: list = field(default_factory=list)  # [(x, label)]
    y_ticks: list = field(default_factory=list)  # [(y, label)]
    markers: list = field(default_factory=list)  # [(x, label)] vertical lines (inspection day)
    target_y: float | None = None
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_top: int = TOP
    plot_bottom: int = HEIGHT - BOTTOM


def _scale(value, low, high, out_low, out_high):
    if high == low:
        return (out_low + out_high) / 2
    return out_low + (value - low) * (out_high - out_low) / (high - low)


def trend_chart(series, first_day, last_day, y_max, y_format, target=None, marker=None, marker_label=""):
    """Build a Chart from ``series``: [(css class, [(day, value)])]; days between first_day and last_day."""
    chart = Chart()
    span = max(1, (last_day - first_day).days)
    y_top = max(y_max, target or 0) or 1

    def x(day):
        return round(_scale((day - first_day).days, 0, span, chart.plot_left, chart.plot_right), 1)

    def y(value):
        return round(_scale(value, 0, y_top, chart.plot_bottom, chart.plot_top), 1)

    for css, points in series:
        if points:
            chart.lines.append((css, " ".join(f"{x(day)},{y(value)}" for day, value in points)))
    step = max(1, span // 4)
    day = first_day
    while day <= last_day:
        chart.x_ticks.append((x(day), day.strftime("%m-%d")))
        day += timedelta(days=step)
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        chart.y_ticks.append((y(y_top * fraction), y_format(y_top * fraction)))
    if target:
        chart.target_y = y(target)
    if marker is not None and first_day <= marker <= last_day:
        chart.markers.append((x(marker), marker_label))
    return chart
