"""Queries behind the contract pages, each a fixed number of SQL statements whatever the size."""

from __future__ import annotations

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


@dataclass
class GridCategory:
    name: str
    rows: list[GridRow] = field(default_factory=list)


@dataclass
class ContractGrid:
    levels: list[Level]
    categories: list[GridCategory]

    @property
    def track_count(self) -> int:
        return sum(len(c.rows) for c in self.categories)


def contract_grid(contract: Contract) -> ContractGrid:
    """The contract's matrix: focus areas down (grouped by category), levels across, each row's
    current level and headline target marked. Three queries."""
    levels = list(Level.objects.filter(framework_id=contract.framework_id).order_by("rank"))
    tracks = tracks_with_headline_target(
        Track.objects.filter(contract=contract).select_related("focus_area__category")
    ).order_by("focus_area__category__order", "focus_area__order")
    categories: list[GridCategory] = []
    for track in tracks:
        category_name = track.focus_area.category.name
        if not categories or categories[-1].name != category_name:
            categories.append(GridCategory(name=category_name))
        row = GridRow(track=track)
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
    return ContractGrid(levels=levels, categories=categories)


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
