"""Queries and presentation helpers other pages share: flags, RAG status, notifications.

RAG (red/amber/green, and grey) always travels with a text label, so colour never carries the
meaning alone: green – met, met and sustained, on track; amber – at risk; red – overdue, missed;
grey – waived.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from contracts.models import Contract, Target

from .models import Flag, Notification


@dataclass(frozen=True)
class Rag:
    colour: str  # "green", "amber", "red" or "grey"
    label: str  # the text shown with the colour, e.g. "At risk"

    @property
    def css_class(self) -> str:
        return f"app-rag app-rag--{self.colour}"


S = Target.Status
RAG_COLOUR = Target.RAG
RAG_ORDER = ("red", "amber", "green", "grey")


def rag_for_status(status: str | None) -> Rag:
    """The RAG colour and label for a target status code (None: the track has no target)."""
    if not status:
        return Rag(colour="grey", label="No target")
    label = S(status).label if status in S.values else str(status)
    return Rag(colour=RAG_COLOUR.get(status, "grey"), label=label)


def rag_for_target(target: Target) -> Rag:
    return rag_for_status(target.status)


def rag_for_targets(targets: Iterable[Target]) -> dict[int, Rag]:
    """RAG for each target by primary key; no queries (uses the stored status)."""
    return {target.pk: rag_for_target(target) for target in targets}


def rag_for_flag(flag: Flag) -> Rag:
    colour = "red" if flag.severity == Flag.Severity.RED else "amber"
    if flag.resolved_at is not None:
        colour = "grey"
    return Rag(colour=colour, label=flag.get_kind_display())


def target_rag_counts(contracts: Iterable[Contract] | QuerySet) -> dict[int, dict[str, int]]:
    """For each contract, how many of its targets are red, amber, green and grey: one query."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(RAG_ORDER, 0))
    rows = (
        Target.objects.filter(track__contract__in=contracts)
        .values("track__contract_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["track__contract_id"]][RAG_COLOUR.get(row["status"], "grey")] += row["n"]
    return dict(counts)


def flags_for(contract: Contract, *, show: str = "all") -> QuerySet[Flag]:
    """A contract's flags, newest first: `show` is "open", "resolved" or "all"."""
    flags = Flag.objects.filter(contract=contract).select_related(
        "track__focus_area", "target", "evidence_item"
    )
    if show == "open":
        flags = flags.filter(resolved_at__isnull=True)
    elif show == "resolved":
        flags = flags.filter(resolved_at__isnull=False)
    return flags.order_by("resolved_at", "-raised_at", "-id")


def open_flags_for(contract: Contract) -> QuerySet[Flag]:
    return flags_for(contract, show="open")


def open_flags_by_track(contract: Contract) -> dict[int, list[Flag]]:
    """Open flags of a contract grouped by track id (for the matrix grid): one query."""
    grouped: dict[int, list[Flag]] = defaultdict(list)
    for flag in open_flags_for(contract).filter(track__isnull=False):
        grouped[flag.track_id].append(flag)
    return dict(grouped)


def open_flag_counts(contracts: Iterable[Contract] | QuerySet) -> dict[int, int]:
    """Open flags per contract id (for the portfolio): one query."""
    rows = (
        Flag.objects.filter(contract__in=contracts, resolved_at__isnull=True)
        .values("contract_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["contract_id"]: row["n"] for row in rows}


def notifications_for(user) -> QuerySet[Notification]:
    """A person's own notifications, newest first."""
    return Notification.objects.filter(recipient=user).select_related("contract")


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
