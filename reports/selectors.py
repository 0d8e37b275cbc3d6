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


RAG_ORDER = ("red", "amber", "green", "grey")


@dataclass
class DashboardRow:
    contract: Contract
    rag: dict[str, int]
    due_soon: int
    open_flags: int
    awaiting_me: int

    @property
    def worst(self) -> str:
        return next((rag for rag in RAG_ORDER if self.rag.get(rag)), "grey")


SORTS = {
    "reference": lambda row: row.contract.reference,
    "title": lambda row: row.contract.title.lower(),
    "provider": lambda row: row.contract.provider.name.lower(),
    "ends": lambda row: row.contract.end_date,
    "red": lambda row: (-row.rag.get("red", 0), -row.rag.get("amber", 0), row.contract.reference),
    "flags": lambda row: (-row.open_flags, row.contract.reference),
    "due": lambda row: (-row.due_soon, row.contract.reference),
    "awaiting": lambda row: (-row.awaiting_me, row.contract.reference),
}


def awaiting_action_filter(user):
    """Claims waiting for this person's next step, whichever side they are on: the provider lead
    submits drafts and returned claims, the client team reviews, the board confirms."""
    from django.db.models import Q

    from contracts.models import Membership
    from contracts.roles import Role
    from workflows.models import Assessment

    memberships = Membership.objects.filter(user=user)
    provider_leads = memberships.filter(role=Role.PROVIDER_LEAD).values("organisation")
    contributors = memberships.filter(role=Role.PROVIDER_CONTRIBUTOR).values("organisation")
    client_side = memberships.filter(role__in=[Role.CLIENT_OFFICER, Role.CLIENT_LEAD]).values(
        "organisation"
    )
    return (
        Q(
            kind=Assessment.Kind.CLAIM,
            state__in=[Assessment.State.DRAFT, Assessment.State.RETURNED],
            track__contract__provider__in=provider_leads,
        )
        | Q(
            kind=Assessment.Kind.CLAIM,
            state=Assessment.State.RETURNED,
            track__contract__provider__in=contributors,
        )
        | Q(
            state__in=[Assessment.State.SUBMITTED, Assessment.State.UNDER_REVIEW],
            track__contract__authorities__in=client_side,
        )
        | Q(state=Assessment.State.AGREED, track__contract__board_members=user)
    )


def dashboard(
    user,
    *,
    today: dt.date,
    state: str = "",
    authority_id: int | None = None,
    provider_id: int | None = None,
    sort: str = "reference",
) -> list[DashboardRow]:
    """Every contract the person may see with its RAG counts, targets due within
    90 days, open flags and claims awaiting them. Six queries whatever
    the number of contracts and tracks."""
    from django.db.models import Count, IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from contracts.selectors import portfolio, tracks_with_headline_target
    from monitoring.models import Flag
    from workflows.models import Assessment

    def count_of(queryset, field: str):
        return Coalesce(
            Subquery(
                queryset.order_by().values(field).annotate(n=Count("pk")).values("n"),
                output_field=IntegerField(),
            ),
            0,
        )

    horizon = today + dt.timedelta(days=90)
    contracts = portfolio(user, state=state).annotate(
        due_soon=count_of(
            Target.objects.filter(
                track__contract=OuterRef("pk"),
                status__in=Target.OPEN_STATUSES,
                due_date__gte=today,
                due_date__lte=horizon,
            ),
            "track__contract",
        ),
        open_flags=count_of(
            Flag.objects.filter(contract=OuterRef("pk"), resolved_at__isnull=True), "contract"
        ),
    )
    if authority_id:
        contracts = contracts.filter(authorities=authority_id)
    if provider_id:
        contracts = contracts.filter(provider_id=provider_id)
    contracts = list(contracts)
    ids = [c.pk for c in contracts]
    rag: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    statuses = (
        tracks_with_headline_target(Track.objects.filter(contract_id__in=ids))
        .order_by()
        .values("contract_id", "target_status")
        .annotate(n=Count("pk"))
    )
    for entry in statuses:
        colour = Target.RAG.get(entry["target_status"], "grey")
        rag[entry["contract_id"]][colour] = rag[entry["contract_id"]].get(colour, 0) + entry["n"]
    awaiting = dict(
        Assessment.objects.filter(awaiting_action_filter(user), track__contract_id__in=ids)
        .order_by()
        .values("track__contract_id")
        .annotate(n=Count("pk", distinct=True))
        .values_list("track__contract_id", "n")
    )
    rows = [
        DashboardRow(
            contract=c,
            rag=rag[c.pk],
            due_soon=c.due_soon,
            open_flags=c.open_flags,
            awaiting_me=awaiting.get(c.pk, 0),
        )
        for c in contracts
    ]
    rows.sort(key=SORTS.get(sort, SORTS["reference"]))
    return rows
