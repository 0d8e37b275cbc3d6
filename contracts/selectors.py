"""Queries behind the contract pages, each a fixed number of SQL statements whatever the size."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from matrix.models import Level

from .access import visible_contracts
from .models import Contract, ReviewCycle, Target, Track


def headline_targets(track_ref: str = "pk") -> QuerySet[Target]:
    """A track's headline target: its earliest-due open target, else its latest other one
    (waived targets never count)."""
    return (
        Target.objects.filter(track=OuterRef(track_ref))
        .exclude(status=Target.Status.WAIVED)
        .annotate(
            closed=Case(
                When(status__in=Target.OPEN_STATUSES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("closed", "due_date", "-id")
    )


def tracks_with_headline_target(queryset: QuerySet[Track] | None = None) -> QuerySet[Track]:
    """Tracks annotated with their headline target's id, level and status."""
    headline = headline_targets()
    return (queryset if queryset is not None else Track.objects.all()).annotate(
        target_id=Subquery(headline.values("id")[:1]),
        target_rank=Subquery(headline.values("level_rank")[:1]),
        target_due=Subquery(headline.values("due_date")[:1]),
        target_status=Subquery(headline.values("status")[:1]),
    )


def portfolio(user, *, state: str = "", search: str = "") -> QuerySet[Contract]:
    """The user's contracts, each with its number of tracks and of tracks at or above target."""
    at_target = (
        tracks_with_headline_target(Track.objects.filter(contract=OuterRef("pk")))
        .filter(level_rank__gte=F("target_rank"))
        .order_by()
        .values("contract")
        .annotate(n=Count("pk"))
        .values("n")
    )
    contracts = (
        visible_contracts(user)
        .select_related("provider", "framework")
        .prefetch_related("authorities")
        .annotate(
            track_count=Count("tracks", distinct=True),
            at_target_count=Coalesce(Subquery(at_target, output_field=IntegerField()), 0),
        )
        .order_by("reference")
    )
    if state:
        contracts = contracts.filter(state=state)
    if search:
        contracts = contracts.filter(Q(reference__icontains=search) | Q(title__icontains=search))
    return contracts


@dataclass
class GridRow:
    track: Track
    cells: list[dict] = field(default_factory=list)
    #: The level at the close of the last closed review cycle, when there is one.
    previous_rank: int | None = None

    @property
    def trend(self) -> str:
        if self.previous_rank is None or self.previous_rank == self.track.level_rank:
            return "same"
        return "up" if self.track.level_rank > self.previous_rank else "down"

    @property
    def rag(self) -> str:
        status = getattr(self.track, "target_status", None)
        return Target.RAG.get(status, "grey") if status else "grey"


@dataclass
class GridCategory:
    name: str
    rows: list[GridRow] = field(default_factory=list)


@dataclass
class ContractGrid:
    levels: list[Level]
    categories: list[GridCategory]
    compared_with: ReviewCycle | None = None

    @property
    def track_count(self) -> int:
        return sum(len(c.rows) for c in self.categories)


def contract_grid(contract: Contract, today: dt.date | None = None) -> ContractGrid:
    """The contract's matrix as a heat map: focus areas down (grouped by category), levels across,
    each row's current level, headline target and RAG, and its trend since the close of the last
    closed review cycle. Five queries whatever the size."""
    levels = list(Level.objects.filter(framework_id=contract.framework_id).order_by("rank"))
    last_closed = (
        contract.cycles.filter(closes_on__lt=today).order_by("-closes_on").first()
        if today is not None
        else None
    )
    changes = level_changes(contract) if last_closed is not None else {}
    tracks = tracks_with_headline_target(
        Track.objects.filter(contract=contract).select_related("focus_area__category")
    ).order_by("focus_area__category__order", "focus_area__order")
    categories: list[GridCategory] = []
    for track in tracks:
        category_name = track.focus_area.category.name
        if not categories or categories[-1].name != category_name:
            categories.append(GridCategory(name=category_name))
        row = GridRow(track=track)
        if last_closed is not None:
            history = changes.get(track.pk, [])
            row.previous_rank = level_on(
                history,
                initial_level(track, history),
                dt.datetime.combine(last_closed.closes_on, dt.time.max, dt.UTC),
            )
        for level in levels:
            row.cells.append(
                {
                    "level": level,
                    "is_current": level.rank == track.level_rank,
                    "is_target": level.rank == track.target_rank,
                    "is_reached": level.rank <= track.level_rank,
                }
            )
        categories[-1].rows.append(row)
    return ContractGrid(levels=levels, categories=categories, compared_with=last_closed)


def track_targets(track: Track) -> QuerySet[Target]:
    """A track's targets, newest due first, each with its revision history prefetched."""
    return (
        track.targets.select_related("set_by")
        .prefetch_related("revisions__revised_by")
        .order_by("due_date", "id")
    )


def open_cycle(contract: Contract, day) -> ReviewCycle | None:
    """The review cycle open on `day` (cycles never overlap)."""
    return contract.cycles.filter(opens_on__lte=day, closes_on__gte=day).first()


def cycles_with_counts(contract: Contract) -> QuerySet[ReviewCycle]:
    return contract.cycles.annotate(claim_count=Count("assessments")).order_by("opens_on")


def contract_people(contract: Contract) -> QuerySet:
    """Authorities and provider with their members, for the contract page. Two queries."""
    from .models import Membership, Organisation

    return Organisation.objects.filter(
        Q(pk=contract.provider_id) | Q(contracts_as_authority=contract)
    ).prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("user").order_by("role"))
    )


@dataclass(frozen=True)
class LevelChange:
    at: dt.datetime
    from_rank: int
    to_rank: int


def level_changes(contract: Contract) -> dict[int, list[LevelChange]]:
    """Every confirmed level change of the contract's tracks, oldest first, by track id. One
    query: the audit trail is the record of what each track's level was, and when."""
    from audit.models import AuditEvent

    changes: dict[int, list[LevelChange]] = {}
    events = (
        AuditEvent.objects.filter(
            contract_id=contract.pk,
            object_type="contracts.track",
            action=AuditEvent.Action.TRANSITION,
        )
        .order_by("occurred_at", "id")
        .values_list("object_id", "occurred_at", "from_state", "to_state")
    )
    for object_id, at, from_state, to_state in events:
        changes.setdefault(int(object_id), []).append(
            LevelChange(at=at, from_rank=int(from_state), to_rank=int(to_state))
        )
    return changes


def level_on(changes: list[LevelChange], initial: int, moment: dt.datetime) -> int:
    """The level a track had at `moment`, given its changes."""
    level = initial
    for change in changes:
        if change.at > moment:
            break
        level = change.to_rank
    return level


def initial_level(track: Track, changes: list[LevelChange]) -> int:
    """The level a track started at: before its first change, or its level if it never moved."""
    return changes[0].from_rank if changes else track.level_rank
