"""Charts drawn on the server as accessible SVG: readable without JavaScript, printable in board
packs, and each paired with its data as a table for people who cannot see the picture.

Only numbers and escaped text reach the markup; no style attributes (the page's CSP forbids them):
colours come from classes in `static/css/app.css`, and the PDF pack inlines the same rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html, mark_safe
from django.utils.safestring import SafeString

from contracts.selectors import LevelChange, level_on

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 90, 20, 20, 50


@dataclass(frozen=True)
class ChartLevel:
    rank: int
    label: str


@dataclass(frozen=True)
class ChartTarget:
    rank: int
    due: dt.date
    label: str


def _x(moment: dt.date, start: dt.date, end: dt.date) -> float:
    span = max((end - start).days, 1)
    return LEFT + (WIDTH - LEFT - RIGHT) * ((moment - start).days / span)


def _y(rank: int, levels: Sequence[ChartLevel]) -> float:
    ranks = [level.rank for level in levels]
    low, high = min(ranks), max(ranks)
    span = max(high - low, 1)
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (rank - low) / span)


def _year_ticks(start: dt.date, end: dt.date) -> list[dt.date]:
    ticks = [dt.date(year, 1, 1) for year in range(start.year + 1, end.year + 1)]
    if len(ticks) > 8:
        ticks = ticks[:: (len(ticks) + 7) // 8]
    return ticks


def level_step_points(
    changes: Sequence[LevelChange], initial: int, start: dt.date, end: dt.date
) -> list[tuple[dt.date, int]]:
    """The level as a step line: (date, level) corners from `start` to `end`."""
    points = [(start, level_on(changes, initial, dt.datetime.combine(start, dt.time.max, dt.UTC)))]
    for change in changes:
        day = change.at.date()
        if start < day <= end:
            points.append((day, points[-1][1]))
            points.append((day, change.to_rank))
    points.append((end, points[-1][1]))
    return points


def track_level_chart(
    *,
    title: str,
    levels: Sequence[ChartLevel],
    changes: Sequence[LevelChange],
    initial: int,
    targets: Sequence[ChartTarget],
    start: dt.date,
    today: dt.date,
) -> SafeString:
    """Level over time (a step line) against each target's level and due date."""
    end = max([today, *(t.due for t in targets)]) + dt.timedelta(days=30)
    points = level_step_points(changes, initial, start, today)
    path = " ".join(
        f"{'M' if i == 0 else 'L'}{_x(day, start, end):.1f},{_y(rank, levels):.1f}"
        for i, (day, rank) in enumerate(points)
    )
    parts: list[str] = []
    for level in levels:
        y = _y(level.rank, levels)
        parts.append(
            format_html(
                '<line class="app-chart__grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="app-chart__axis" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                f"{y:.1f}",
                f"{y:.1f}",
                LEFT - 8,
                f"{y + 4:.1f}",
                level.label,
            )
        )
    for tick in _year_ticks(start, end):
        x = _x(tick, start, end)
        parts.append(
            format_html(
                '<line class="app-chart__tick" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="app-chart__axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                f"{x:.1f}",
                f"{x:.1f}",
                HEIGHT - BOTTOM,
                HEIGHT - BOTTOM + 5,
                f"{x:.1f}",
                HEIGHT - BOTTOM + 20,
                tick.year,
            )
        )
    for target in targets:
        x_due, y = _x(target.due, start, end), _y(target.rank, levels)
        parts.append(
            format_html(
                '<line class="app-chart__target" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<circle class="app-chart__target-point" cx="{}" cy="{}" r="6"/>'
                '<text class="app-chart__label" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                f"{x_due:.1f}",
                f"{y:.1f}",
                f"{y:.1f}",
                f"{x_due:.1f}",
                f"{y:.1f}",
                f"{x_due - 8:.1f}",
                f"{y - 8:.1f}",
                target.label,
            )
        )
    x_today = _x(today, start, end)
    parts.append(
        format_html(
            '<line class="app-chart__today" x1="{}" x2="{}" y1="{}" y2="{}"/>'
            '<text class="app-chart__axis" x="{}" y="{}" text-anchor="middle">Today</text>',
            f"{x_today:.1f}",
            f"{x_today:.1f}",
            TOP,
            HEIGHT - BOTTOM,
            f"{x_today:.1f}",
            HEIGHT - 8,
        )
    )
    parts.append(format_html('<path class="app-chart__level" d="{}"/>', path))
    current = points[-1][1]
    label_of = {level.rank: level.label for level in levels}
    description = (
        f"Level over time since {start:%d %B %Y}: now {label_of.get(current, current)}. "
        + " ".join(f"Target: {t.label}." for t in targets)
    )
    return _svg(title, description, parts)


def distribution_chart(
    *, title: str, levels: Sequence[ChartLevel], rows: Sequence[tuple[str, dict[int, int]]]
) -> SafeString:
    """How many focus areas stood at each level, per review cycle, as stacked bars."""
    bar_height, gap = 28, 14
    height = TOP + len(rows) * (bar_height + gap) + 60
    parts: list[str] = []
    # Room on the left for the longest cycle name (about 7 px a character at 12 px).
    left = max(LEFT, 16 + 7 * max((len(name) for name, _ in rows), default=0))
    usable = WIDTH - left - RIGHT
    for index, (name, counts) in enumerate(rows):
        y = TOP + index * (bar_height + gap)
        total = sum(counts.values()) or 1
        x = float(left)
        parts.append(
            format_html(
                '<text class="app-chart__axis" x="{}" y="{}" text-anchor="end">{}</text>',
                left - 8,
                f"{y + bar_height / 2 + 4:.1f}",
                name,
            )
        )
        for position, level in enumerate(levels):
            count = counts.get(level.rank, 0)
            if not count:
                continue
            width = usable * count / total
            parts.append(
                format_html(
                    '<rect class="app-chart__bar app-chart__bar--{}" x="{}" y="{}" width="{}" '
                    'height="{}"><title>{}: {}</title></rect>',
                    position % 6,
                    f"{x:.1f}",
                    y,
                    f"{width:.1f}",
                    bar_height,
                    level.label,
                    count,
                )
            )
            if width >= 22:
                parts.append(
                    format_html(
                        '<text class="app-chart__bar-label" x="{}" y="{}" '
                        'text-anchor="middle">{}</text>',
                        f"{x + width / 2:.1f}",
                        f"{y + bar_height / 2 + 4:.1f}",
                        count,
                    )
                )
            x += width
    legend_y = TOP + len(rows) * (bar_height + gap) + 20
    for position, level in enumerate(levels):
        lx = 20 + position * 110
        parts.append(
            format_html(
                '<rect class="app-chart__bar app-chart__bar--{}" x="{}" y="{}" width="14" '
                'height="14"/><text class="app-chart__axis" x="{}" y="{}">{}</text>',
                position % 6,
                lx,
                legend_y,
                lx + 20,
                legend_y + 12,
                level.label,
            )
        )
    description = " ".join(
        f"{name}: "
        + ", ".join(f"{counts.get(level.rank, 0)} at {level.label}" for level in levels)
        + "."
        for name, counts in rows
    )
    return _svg(title, description, parts, height=height)


def _svg(title: str, description: str, parts: list[str], *, height: int = HEIGHT) -> SafeString:
    ident = f"chart-{abs(hash((title, description))) % 10**8}"
    body = "".join(parts)
    return mark_safe(  # noqa: S308 - every part above is built with format_html (escaped)
        f'<svg class="app-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>{body}</svg>'
    )
