"""Whether each track's level is *sustained* (DESIGN §4 rule 6).

A level is sustained once it has been held through the contract's `sustain_cycles_required`
(default `SUSTAIN_CYCLES`) consecutive review cycles, counting only cycles that have closed and
that opened on or after the day the level was reached, with current evidence in each: every
evidence type that applies up to the level has an item (not withdrawn) that is current for that
cycle, as `evidence.selectors.is_current` defines it. A cycle without it breaks the run, and the
count starts again. `sustained_since` is the closing day of the cycle that completed the run.

A level reached only at go-live (no confirmed assessment yet) is never sustained: nothing has
been demonstrated. Confirming a new level resets the flag (`Track.move_to_level`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from contracts.models import Contract, ReviewCycle, Track
from evidence.models import EvidenceItem
from evidence.selectors import is_current
from matrix.models import EvidenceType


def sustained_run(
    cycles: list[ReviewCycle],
    types: list[EvidenceType],
    items_by_type: dict[int, list[EvidenceItem]],
    *,
    level: int,
    reached_on: dt.date,
    required: int,
) -> dt.date | None:
    """The day the current run of `required` good cycles was completed, or None."""
    applicable = [t for t in types if t.applies_from_id is None or t.applies_from.rank <= level]
    run = 0
    since = None
    for cycle in cycles:  # closed cycles of the contract, in order
        if cycle.opens_on < reached_on:
            continue
        good = all(
            any(is_current(item, t, cycle) for item in items_by_type.get(t.pk, ()))
            for t in applicable
        )
        if good:
            run += 1
            if run == required:
                since = cycle.closes_on
        else:
            run = 0
            since = None
    return since if run >= required else None


@transaction.atomic
def refresh_sustainability(*, contracts=None, today: dt.date | None = None) -> int:
    """Recomputes `Track.sustained` / `sustained_since`; returns how many tracks changed.

    `contracts` (a queryset or list of contracts) limits the work; by default every live or
    extended contract. Four queries, plus one bulk update per 500 changed tracks, whatever the
    number of tracks.
    """
    today = today or timezone.localdate()
    if contracts is None:
        contracts = Contract.objects.filter(
            state__in=(Contract.State.LIVE, Contract.State.EXTENDED)
        )
    tracks_qs = Track.objects.filter(contract__in=contracts)
    tracks = list(tracks_qs.select_related("contract").order_by("pk"))
    if not tracks:
        return 0
    cycles_by_contract: dict[int, list[ReviewCycle]] = defaultdict(list)
    for cycle in ReviewCycle.objects.filter(contract__in=contracts, closes_on__lt=today).order_by(
        "contract_id", "opens_on", "pk"
    ):
        cycles_by_contract[cycle.contract_id].append(cycle)
    types_by_area: dict[int, list[EvidenceType]] = defaultdict(list)
    for t in (
        EvidenceType.objects.filter(focus_area_id__in=tracks_qs.values("focus_area_id"))
        .select_related("applies_from")
        .order_by("focus_area_id", "order")
    ):
        types_by_area[t.focus_area_id].append(t)
    items: dict[int, dict[int, list[EvidenceItem]]] = defaultdict(lambda: defaultdict(list))
    for item in EvidenceItem.objects.filter(track__in=tracks_qs, withdrawn_at__isnull=True).only(
        "pk", "track_id", "evidence_type_id", "period_start", "period_end", "withdrawn_at"
    ):
        items[item.track_id][item.evidence_type_id].append(item)

    changed = []
    for track in tracks:
        since = None
        if track.level_reached_at is not None:
            since = sustained_run(
                cycles_by_contract.get(track.contract_id, []),
                types_by_area.get(track.focus_area_id, []),
                items.get(track.pk, {}),
                level=track.level_rank,
                reached_on=timezone.localdate(track.level_reached_at),
                required=track.contract.sustain_cycles_required,
            )
        sustained = since is not None
        if track.sustained != sustained or track.sustained_since != since:
            track.sustained = sustained
            track.sustained_since = since
            changed.append(track)
    if changed:
        Track.objects.bulk_update(changed, ["sustained", "sustained_since"], batch_size=500)
    return len(changed)
