"""Queries for the claim and board pages, each in a fixed number of queries whatever the size."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from contracts.access import scoped, visible_contracts
from contracts.models import Contract, Membership, Target, Track
from contracts.roles import CLIENT_ROLES, PERMISSIONS, Action
from evidence.models import EvidenceItem
from evidence.selectors import is_current
from matrix.models import EvidenceType, LevelDescriptor

from .models import Assessment, BoardDecision, criteria_of


def _assessment_qs() -> QuerySet[Assessment]:
    return Assessment.objects.select_related(
        "track__contract", "track__focus_area", "cycle", "submitted_by", "created_by"
    )


def claims_for(user) -> QuerySet[Assessment]:
    """Every claim and regression on the user's contracts, newest first."""
    return scoped(user, _assessment_qs(), "track__contract").order_by("-created_at", "-pk")


def contracts_where(user, action: str) -> QuerySet[Contract]:
    """The user's contracts on which one of their roles allows `action`."""
    roles = PERMISSIONS[action]
    contracts = visible_contracts(user)
    if user.is_superuser:
        return contracts
    member_of = Membership.objects.filter(user=user, role__in=roles).values("organisation_id")
    condition = Q(pk__in=[])
    if roles & CLIENT_ROLES:
        condition |= Q(authorities__in=member_of)
    if roles - CLIENT_ROLES:
        condition |= Q(provider__in=member_of)
    if "board_member" in roles:
        condition |= Q(board_members=user)
    if "auditor" in roles:
        condition |= Q(auditors=user)
    return contracts.filter(pk__in=Contract.objects.filter(condition).values("pk"))


def review_queue(user) -> QuerySet[Assessment]:
    """Claims waiting for the client team on contracts the user reviews, oldest first."""
    return (
        _assessment_qs()
        .filter(
            track__contract__in=contracts_where(user, Action.REVIEW),
            state__in=(Assessment.State.SUBMITTED, Assessment.State.UNDER_REVIEW),
        )
        .prefetch_related("pack__items")
        .order_by("submitted_at", "pk")
    )


@dataclass(frozen=True)
class ChecklistRow:
    evidence_type: EvidenceType
    items: tuple  # the pack's current items for this type

    @property
    def is_missing(self) -> bool:
        return not self.items


@dataclass(frozen=True)
class Checklist:
    """An assessment's evidence checklist beside the descriptor of the level it claims."""

    rows: list[ChecklistRow]
    descriptor: LevelDescriptor | None
    criteria: list[str]


def checklists(assessments: list[Assessment]) -> dict[int, Checklist]:
    """Evidence checklist and level descriptor for many assessments in three queries.

    The assessments must come with `pack__items` prefetched.
    """
    areas = {a.track.focus_area_id for a in assessments}
    types = list(
        EvidenceType.objects.filter(focus_area_id__in=areas)
        .select_related("applies_from")
        .order_by("focus_area_id", "order")
    )
    descriptors = {
        (d.focus_area_id, d.level.rank): d
        for d in LevelDescriptor.objects.filter(focus_area_id__in=areas).select_related("level")
    }
    pack_item_ids = {i.pk for a in assessments if a.pack_id for i in a.pack.items.all()}
    active = set(
        EvidenceItem.objects.active().filter(pk__in=pack_item_ids).values_list("pk", flat=True)
    )
    out: dict[int, Checklist] = {}
    for a in assessments:
        pack_items = list(a.pack.items.all()) if a.pack_id else []
        rows = []
        for t in types:
            if t.focus_area_id != a.track.focus_area_id:
                continue
            if t.applies_from is not None and t.applies_from.rank > a.claimed_rank:
                continue
            current = tuple(
                i
                for i in pack_items
                if i.evidence_type_id == t.pk and i.pk in active and is_current(i, t, a.cycle)
            )
            rows.append(ChecklistRow(evidence_type=t, items=current))
        descriptor = descriptors.get((a.track.focus_area_id, a.claimed_rank))
        out[a.pk] = Checklist(
            rows=rows, descriptor=descriptor, criteria=criteria_of(descriptor, a.claimed_rank)
        )
    return out


def agenda(contract: Contract, *, today: dt.date | None = None) -> dict:
    """What the board has to consider: agreed levels awaiting confirmation, and targets due soon
    (within AT_RISK_DAYS) or missed."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=settings.AT_RISK_DAYS)
    awaiting = list(
        _assessment_qs()
        .filter(track__contract=contract, state=Assessment.State.AGREED)
        .select_related("agreed_by")
        .order_by("agreed_at", "pk")
    )
    targets = list(
        Target.objects.filter(track__contract=contract)
        .filter(
            Q(status__in=Target.OPEN_STATUSES, due_date__lte=horizon)
            | Q(status=Target.Status.MISSED)
        )
        .select_related("track__focus_area")
        .order_by("due_date", "pk")
    )
    return {
        "awaiting_confirmation": awaiting,
        "targets_due": [t for t in targets if t.due_date >= today and t.is_open],
        "targets_missed": [
            t for t in targets if t.status == Target.Status.MISSED or t.due_date < today
        ],
        "horizon": horizon,
    }


def ledger(contract: Contract) -> QuerySet[BoardDecision]:
    """Every decision on the contract, newest first, with what superseded what."""
    return (
        BoardDecision.objects.filter(contract=contract)
        .select_related("meeting", "recorded_by", "supersedes", "superseded_by")
        .prefetch_related(
            Prefetch("targets", queryset=Target.objects.select_related("track__focus_area")),
            Prefetch(
                "assessments", queryset=Assessment.objects.select_related("track__focus_area")
            ),
        )
        .order_by("-recorded_at", "-pk")
    )


def target_reached(target: Target, track: Track) -> bool:
    """The level is reached (and sustained, when the target requires it)."""
    if track.level_rank < target.level_rank:
        return False
    return track.sustained or not target.requires_sustained


def facts_snapshot(contract: Contract, *, targets=(), assessments=()) -> dict:
    """The facts a decision rests on, as they stand now, in plain JSON."""
    tracks = list(
        Track.objects.filter(contract=contract).select_related("focus_area").order_by("pk")
    )
    by_pk = {t.pk: t for t in tracks}
    labels = dict(contract.framework.levels.values_list("rank", "label"))

    def iso(value):
        return value.isoformat() if value else None

    return {
        "taken_at": timezone.now().isoformat(),
        "contract": {
            "reference": contract.reference,
            "state": contract.state,
            "end_date": iso(contract.end_date),
        },
        "tracks": [
            {
                "id": t.pk,
                "focus_area": t.focus_area.name,
                "level": t.level_rank,
                "level_label": labels.get(t.level_rank, str(t.level_rank)),
                "sustained": t.sustained,
                "sustained_since": iso(t.sustained_since),
            }
            for t in tracks
        ],
        "targets": [
            {
                "id": t.pk,
                "track": t.track_id,
                "focus_area": by_pk[t.track_id].focus_area.name,
                "level": t.level_rank,
                "due_date": iso(t.due_date),
                "requires_sustained": t.requires_sustained,
                "status": t.status,
                "reached": target_reached(t, by_pk[t.track_id]),
                "track_level": by_pk[t.track_id].level_rank,
                "track_sustained": by_pk[t.track_id].sustained,
            }
            for t in targets
        ],
        "assessments": [
            {
                "id": a.pk,
                "kind": a.kind,
                "track": a.track_id,
                "focus_area": by_pk[a.track_id].focus_area.name,
                "state": a.state,
                "from_level": a.from_rank,
                "claimed_level": a.claimed_rank,
                "cycle": a.cycle.name,
            }
            for a in assessments
        ],
    }
