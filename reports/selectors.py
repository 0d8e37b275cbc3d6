"""The figures behind charts, dashboards and board packs, in set-based queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.safestring import SafeString

from contracts.models import Contract, Target, Track
from contracts.selectors import initial_level, level_changes, level_on

from .charts import ChartLevel, ChartTarget, distribution_chart, track_level_chart


def _chart_levels(contract: Contract) -> list[ChartLevel]:
    return [
        ChartLevel(rank=rank, label=label)
        for rank, label in contract.framework.levels.order_by("rank").values_list("rank", "label")
    ]


def track_chart(track: Track, targets: list[Target], today: dt.date) -> SafeString:
    """A track's level over time against its targets (four queries)."""
    contract = track.contract
    changes = level_changes(contract).get(track.pk, [])
    start = min(contract.start_date, today)
    return track_level_chart(
        title=f"{track.focus_area.name}: level over time against target",
        levels=_chart_levels(contract),
        changes=changes,
        initial=initial_level(track, changes),
        targets=[
            ChartTarget(
                rank=t.level_rank,
                due=t.due_date,
                label=f"Level {t.level_rank} by {t.due_date:%b %Y}",
            )
            for t in targets
            if t.status != Target.Status.WAIVED
        ],
        start=start,
        today=today,
    )


@dataclass(frozen=True)
class Distribution:
    levels: list[ChartLevel]
    rows: list[tuple[str, dict[int, int]]]
    chart: SafeString


def level_distribution(contract: Contract, today: dt.date) -> Distribution | None:
    """How many focus areas stood at each level at the close of each review cycle so far (the
    open cycle counted as of today). Four queries whatever the number of cycles and tracks."""
    cycles = list(contract.cycles.filter(opens_on__lte=today).order_by("opens_on"))
    tracks = list(Track.objects.filter(contract=contract).only("pk", "level_rank"))
    if not cycles or not tracks:
        return None
    changes = level_changes(contract)
    levels = _chart_levels(contract)
    rows: list[tuple[str, dict[int, int]]] = []
    for cycle in cycles:
        moment = dt.datetime.combine(min(cycle.closes_on, today), dt.time.max, dt.UTC)
        counts: dict[int, int] = {}
        for track in tracks:
            history = changes.get(track.pk, [])
            rank = level_on(history, initial_level(track, history), moment)
            counts[rank] = counts.get(rank, 0) + 1
        rows.append((cycle.name, counts))
    chart = distribution_chart(
        title=f"{contract.reference}: focus areas at each level, by review cycle",
        levels=levels,
        rows=rows,
    )
    return Distribution(levels=levels, rows=rows, chart=chart)
