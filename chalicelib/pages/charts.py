"""Charts drawn on the server as inline SVG: pure functions from figures to markup.

No script and no library: a chart is markup the page holds, so it shows under the pages'
Content-Security-Policy (no inline style either: colours are SVG presentation attributes), in
print, and without JavaScript. Each chart is an image with a title and a description that say
what it shows in words (`role="img"`, `aria-labelledby`), for screen readers; the page puts
the same figures in a table beside it. Every label is escaped. The drawing has a fixed
coordinate system (`viewBox`) and takes the width of its container.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

# The console's colours (static/base.css): brand blue, ink, line grey, ok green.
BAR = "#1d4ed8"
LINE = "#067647"
INK = "#1b1f24"
GRID = "#d0d5db"

_WIDTH = 720
_HEIGHT = 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 64, 16, 40
# At most this many labels under the bars: a year by day would print 365 on top of each other.
_MAX_AXIS_LABELS = 12
_ROW_HEIGHT = 28
_LABEL_WIDTH = 220

Number = int | Decimal


@dataclass(frozen=True)
class SeriesPoint:
    label: str
    bar: int
    line: Decimal


def series_chart(
    points: Sequence[SeriesPoint],
    *,
    chart_id: str,
    title: str,
    description: str,
    bar_name: str,
    line_name: str,
    format_line: Callable[[Decimal], str] = str,
) -> Markup:
    """Bars of `bar` (left scale) and a line of `line` (right scale), one point per bucket."""
    plot_width = _WIDTH - _LEFT - _RIGHT
    plot_height = _HEIGHT - _TOP - _BOTTOM
    bar_top = _scale_top(max((p.bar for p in points), default=0))
    line_top = _scale_top(max((p.line for p in points), default=Decimal(0)))
    slot = plot_width / max(1, len(points))
    bar_width = max(1.0, slot * 0.7)
    parts = [_open(chart_id, _WIDTH, _HEIGHT, title, description)]
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = _TOP + plot_height * (1 - fraction)
        parts.append(_line(_LEFT, y, _WIDTH - _RIGHT, y))
        left = str(int(bar_top * fraction))
        right = format_line(Decimal(int(line_top * fraction)))
        parts.append(_text(_LEFT - 6, y + 4, left, anchor="end"))
        parts.append(_text(_WIDTH - _RIGHT + 6, y + 4, right, anchor="start"))
    every = max(1, -(-len(points) // _MAX_AXIS_LABELS))
    line_points = []
    for index, point in enumerate(points):
        height = plot_height * point.bar / bar_top
        tip = f"{point.label}: {point.bar} {bar_name}, {format_line(point.line)} {line_name}"
        parts.append(
            _bar(
                _LEFT + slot * index + (slot - bar_width) / 2,
                _TOP + plot_height - height,
                bar_width,
                height,
                tip,
            )
        )
        centre = _LEFT + slot * (index + 0.5)
        line_y = _TOP + plot_height * (1 - _share(point.line, line_top))
        line_points.append(f"{centre:.1f},{line_y:.1f}")
        # A dot on each point: a range of one bucket has a line of no length.
        parts.append(
            Markup('<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="{}"/>').format(centre, line_y, LINE)
        )
        if index % every == 0:
            parts.append(_text(centre, _HEIGHT - _BOTTOM + 16, point.label, anchor="middle"))
    if line_points:
        parts.append(
            Markup(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2" '
                'stroke-linejoin="round"/>'
            ).format(" ".join(line_points), LINE)
        )
    parts.append(_legend([(BAR, bar_name), (LINE, line_name)]))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def bar_list(
    rows: Sequence[tuple[str, Number]],
    *,
    chart_id: str,
    title: str,
    description: str,
    format_value: Callable[[Number], str] = str,
) -> Markup:
    """Horizontal bars, one row per `(label, value)`, in the order given."""
    height = _TOP + _ROW_HEIGHT * max(1, len(rows)) + 8
    top = max((value for _, value in rows), default=0) or 1
    bar_space = _WIDTH - _LABEL_WIDTH - 80
    parts = [_open(chart_id, _WIDTH, height, title, description)]
    for index, (label, value) in enumerate(rows):
        y = _TOP + _ROW_HEIGHT * index
        width = bar_space * _share(value, top)
        shown = format_value(value)
        parts.append(_text(_LABEL_WIDTH - 8, y + 16, _shortened(label), anchor="end"))
        parts.append(_bar(_LABEL_WIDTH, y + 4, width, _ROW_HEIGHT - 8, f"{label}: {shown}"))
        parts.append(_text(_LABEL_WIDTH + width + 6, y + 16, shown, anchor="start"))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _open(chart_id: str, width: int, height: int, title: str, description: str) -> Markup:
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        'preserveAspectRatio="xMidYMid meet" role="img" aria-labelledby="{id}-title {id}-desc" '
        'font-family="system-ui, sans-serif" font-size="12" class="chart">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{description}</desc>'
    ).format(width=width, height=height, id=chart_id, title=title, description=description)


def _bar(x: float, y: float, width: float, height: float, tip: str) -> Markup:
    """A bar, with its figures as a tooltip."""
    return Markup(
        '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
        "<title>{}</title></rect>"
    ).format(x, y, width, height, BAR, tip)


def _legend(entries: Sequence[tuple[str, str]]) -> Markup:
    parts = []
    x = _LEFT
    for colour, name in entries:
        parts.append(
            Markup('<rect x="{}" y="{}" width="10" height="10" fill="{}"/>').format(
                x, _HEIGHT - 14, colour
            )
        )
        parts.append(_text(x + 14, _HEIGHT - 5, name, anchor="start"))
        x += 24 + 7 * len(name)
    return Markup("").join(parts)


def _text(x: float, y: float, content: str, *, anchor: str) -> Markup:
    return Markup('<text x="{:.1f}" y="{:.1f}" text-anchor="{}" fill="{}">{}</text>').format(
        x, y, anchor, INK, content
    )


def _line(x1: float, y1: float, x2: float, y2: float) -> Markup:
    return Markup('<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="{}"/>').format(
        x1, y1, x2, y2, GRID
    )


def _share(value: Number, top: Number) -> float:
    return float(value) / float(top) if top else 0.0


def _scale_top(value: Number) -> int:
    """The top of a scale for values up to `value`: the smallest of 4, 8, 20, 40, 80, 200...
    at or above it, so that the gridlines, at its quarters, fall on whole round figures."""
    magnitude = 1
    while True:
        for step in (4, 8, 20):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def _shortened(label: str, limit: int = 32) -> str:
    return label if len(label) <= limit else f"{label[: limit - 1]}…"
