"""What a target's status is, as one SQL expression over any number of targets.

The rules (DESIGN §2 "Target", §5):

- **met** – the track's level is at least the target level; **met and sustained** when the track
  is also sustained. A target that *requires* sustained counts as reached only when the track is
  sustained: while it is merely met it stays open (on track, at risk, overdue).
- **on track** – not reached, due later than the at-risk window (`AT_RISK_DAYS`, default 90).
- **at risk** – not reached, due within the window (or today), and no claim for the target level
  or higher is in review (submitted, under review or agreed).
- **overdue** – the due date has passed, the target is not reached, but it can still be met:
  a claim for the level is in review, or the review cycle in which the due date falls has not
  closed yet (a claim may still be made and confirmed in it).
- **missed** – the due date has passed, not reached, and neither of those holds.
- **waived** – set by a board decision; never recomputed.

Once the due date has passed a verdict stands: a met target stays met (it may still become met
and sustained), and a missed or met-and-sustained one is left alone. Before the due date every
status except waived is recomputed, so a target revised to a later date or a higher level opens
again, and one whose level was lost again (a regression) is no longer met.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from contracts.models import Contract, ReviewCycle, Target
from workflows.models import Assessment

S = Target.Status

#: Contracts whose targets are watched.
LIVE_STATES = (Contract.State.LIVE, Contract.State.EXTENDED)


def at_risk_days() -> int:
    return int(getattr(settings, "AT_RISK_DAYS", 90))


def claim_in_review() -> Exists:
    """A claim for the target's level (or higher) is with the client team or the board."""
    return Exists(
        Assessment.objects.filter(
            track_id=OuterRef("track_id"),
            kind=Assessment.Kind.CLAIM,
            state__in=Assessment.IN_REVIEW_STATES,
            claimed_rank__gte=OuterRef("level_rank"),
        )
    )


def due_cycle_open(today: dt.date) -> Exists:
    """The review cycle in which the due date falls is still open today."""
    return Exists(
        ReviewCycle.objects.filter(
            contract_id=OuterRef("track__contract_id"),
            opens_on__lte=OuterRef("due_date"),
            closes_on__gte=today,
        ).filter(closes_on__gte=OuterRef("due_date"))
    )


def with_computed_status(queryset: QuerySet[Target], *, today: dt.date) -> QuerySet[Target]:
    """Annotates each target with `computed_status`: what its status should be on `today`."""
    horizon = today + dt.timedelta(days=at_risk_days())
    reached = Q(track__level_rank__gte=F("level_rank")) & (
        Q(requires_sustained=False) | Q(track__sustained=True)
    )
    past = Q(due_date__lt=today)
    return queryset.annotate(
        in_review=claim_in_review(),
        cycle_open=due_cycle_open(today),
    ).annotate(
        computed_status=Case(
            When(status=S.WAIVED, then=F("status")),
            When(past & Q(status__in=[S.MET_SUSTAINED, S.MISSED]), then=F("status")),
            When(
                past & Q(status=S.MET) & reached & Q(track__sustained=True),
                then=Value(S.MET_SUSTAINED),
            ),
            When(past & Q(status=S.MET), then=Value(S.MET)),
            When(reached & Q(track__sustained=True), then=Value(S.MET_SUSTAINED)),
            When(reached, then=Value(S.MET)),
            When(
                Q(due_date__gte=today, due_date__lte=horizon, in_review=False),
                then=Value(S.AT_RISK),
            ),
            When(due_date__gte=today, then=Value(S.ON_TRACK)),
            When(Q(in_review=True) | Q(cycle_open=True), then=Value(S.OVERDUE)),
            default=Value(S.MISSED),
            output_field=CharField(),
        )
    )


def evaluated_targets(*, today: dt.date) -> QuerySet[Target]:
    """Every target the evaluation looks at (live contracts, not waived), with its new status."""
    targets = Target.objects.filter(track__contract__state__in=LIVE_STATES).exclude(status=S.WAIVED)
    return with_computed_status(targets, today=today)
