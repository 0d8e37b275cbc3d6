"""Which evidence counts for a track in a review cycle.

An item is *current* for a cycle when it is active (neither withdrawn nor superseded), the period
it covers reaches into the cycle's window, and it is no older than its evidence type's recency
window measured back from the cycle's evidence deadline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from contracts.models import ReviewCycle, Track
from matrix.models import EvidenceType

from .models import EvidenceItem


def months_before(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.year * 12 + (day.month - 1) - months, 12)
    month += 1
    last_day = [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return dt.date(year, month, min(day.day, last_day))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def applicable_evidence_types(track: Track, up_to_rank: int) -> QuerySet[EvidenceType]:
    """Evidence types of the track's focus area that apply to a claim of `up_to_rank`."""
    return (
        EvidenceType.objects.filter(focus_area_id=track.focus_area_id)
        .filter(Q(applies_from__isnull=True) | Q(applies_from__rank__lte=up_to_rank))
        .select_related("applies_from")
    )


def is_current(item: EvidenceItem, evidence_type: EvidenceType, cycle: ReviewCycle) -> bool:
    oldest = months_before(cycle.evidence_deadline, evidence_type.recency_months)
    return (
        item.withdrawn_at is None
        and item.period_start <= cycle.closes_on
        and item.period_end >= max(oldest, _floor(cycle))
    )


def _floor(cycle: ReviewCycle) -> dt.date:
    # Evidence must reach at least into the year before the cycle opens to "cover" it.
    return months_before(cycle.opens_on, 12)


@dataclass(frozen=True)
class EvidenceTypeStatus:
    evidence_type: EvidenceType
    current_items: tuple[EvidenceItem, ...]

    @property
    def is_missing(self) -> bool:
        return not self.current_items


def evidence_status(track: Track, cycle: ReviewCycle, up_to_rank: int) -> list[EvidenceTypeStatus]:
    """For each applicable evidence type: the active items that count for this cycle.

    Two queries whatever the number of types and items.
    """
    types = list(applicable_evidence_types(track, up_to_rank).order_by("order"))
    items = list(
        EvidenceItem.objects.active()
        .filter(track=track, evidence_type__in=types)
        .order_by("-period_end", "-uploaded_at")
    )
    by_type: dict[int, list[EvidenceItem]] = {}
    for item in items:
        by_type.setdefault(item.evidence_type_id, []).append(item)
    return [
        EvidenceTypeStatus(
            evidence_type=t,
            current_items=tuple(i for i in by_type.get(t.pk, []) if is_current(i, t, cycle)),
        )
        for t in types
    ]


def missing_evidence_types(track: Track, cycle: ReviewCycle, up_to_rank: int) -> list[EvidenceType]:
    """The evidence types that still lack a current item: what blocks a claim's submission."""
    return [s.evidence_type for s in evidence_status(track, cycle, up_to_rank) if s.is_missing]


# --- Pages ------------------------------------------------------------------------------------

#: Larger than any rank on a framework's scale: "every evidence type of the focus area".
ALL_LEVELS = 32767


def current_cycle(contract, today: dt.date | None = None) -> ReviewCycle | None:
    """The review cycle open today, else the most recent one that has opened, else None."""
    from django.utils import timezone

    from contracts.selectors import open_cycle

    today = today or timezone.localdate()
    return (
        open_cycle(contract, today)
        or ReviewCycle.objects.filter(contract=contract, opens_on__lte=today)
        .order_by("-opens_on")
        .first()
    )


def track_items(track: Track) -> list[EvidenceItem]:
    """Every item on a track, every version and withdrawn ones included, in one query."""
    return list(
        EvidenceItem.objects.filter(track=track)
        .select_related("evidence_type", "uploaded_by", "withdrawn_by", "superseded_by")
        .order_by("evidence_type__order", "-uploaded_at", "-pk")
    )


def version_chain(item: EvidenceItem) -> list[EvidenceItem]:
    """All versions of an item, newest first, found among its type's items in one query."""
    siblings = {
        i.pk: i
        for i in EvidenceItem.objects.filter(
            track_id=item.track_id, evidence_type_id=item.evidence_type_id
        ).select_related("uploaded_by", "withdrawn_by")
    }
    newer_of = {i.supersedes_id: i for i in siblings.values() if i.supersedes_id}
    head = siblings.get(item.pk, item)
    while head.pk in newer_of:
        head = newer_of[head.pk]
    chain = [head]
    while chain[-1].supersedes_id in siblings:
        chain.append(siblings[chain[-1].supersedes_id])
    return chain


def uploads_in_last_hour(user) -> int:
    """How many files this person uploaded in the last hour, from the audit trail (shared by
    every web process, so the limit holds however many there are)."""
    import datetime as dt

    from django.utils import timezone

    from audit.models import AuditEvent

    return AuditEvent.objects.filter(
        actor=user,
        action=AuditEvent.Action.UPLOAD,
        occurred_at__gte=timezone.now() - dt.timedelta(hours=1),
    ).count()
