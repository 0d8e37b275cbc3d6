"""Factories and helpers for the monitoring tests: claims, levels, evidence, flags, outbox rows."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from contracts.models import ReviewCycle, Target, Track
from evidence.models import EvidenceItem
from monitoring.models import Flag, Notification
from tests.factories import EvidenceItemFactory, ReviewCycleFactory, UserFactory
from workflows.models import Assessment


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    track = None
    cycle = factory.LazyAttribute(lambda o: ReviewCycleFactory(contract=o.track.contract))
    claimed_rank = 3
    from_rank = 0
    state = Assessment.State.SUBMITTED
    created_by = factory.SubFactory(UserFactory)


def claim(track: Track, rank: int, state: str = Assessment.State.SUBMITTED, cycle=None):
    """A level claim for `track` in the given state (a new cycle unless one is given)."""
    kwargs = {"track": track, "claimed_rank": rank, "state": state, "from_rank": track.level_rank}
    if cycle is not None:
        kwargs["cycle"] = cycle
    return AssessmentFactory(**kwargs)


def reach_level(track: Track, rank: int, *, sustained: bool = False) -> Track:
    """Moves a track to `rank` the way the product does: through a confirmed assessment."""
    cause = claim(track, rank, state=Assessment.State.CONFIRMED)
    track = Track.objects.get(pk=track.pk)
    track.move_to_level(rank, cause=cause, description="test")
    track.save()
    if sustained:
        track.sustained = True
        track.sustained_since = timezone.localdate()
        track.save(update_fields=["sustained", "sustained_since"])
    return Track.objects.get(pk=track.pk)


def make_target(track: Track, *, level: int = 3, due: dt.date, **kwargs) -> Target:
    return Target.objects.create(track=track, level_rank=level, due_date=due, **kwargs)


def cycle_covering(contract, day: dt.date, *, closes_on: dt.date | None = None) -> ReviewCycle:
    """A review cycle whose window contains `day`."""
    closes_on = closes_on or day + dt.timedelta(days=30)
    return ReviewCycle.objects.create(
        contract=contract,
        name=f"Cycle around {day}",
        opens_on=day - dt.timedelta(days=60),
        evidence_deadline=min(day, closes_on),
        closes_on=closes_on,
    )


def evidence(track: Track, evidence_type, *, period_end: dt.date, uploader=None) -> EvidenceItem:
    return EvidenceItemFactory(
        track=track,
        evidence_type=evidence_type,
        period_start=period_end - dt.timedelta(days=90),
        period_end=period_end,
        uploaded_by=uploader or UserFactory(),
    )


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    kind = Flag.Kind.TARGET_AT_RISK
    subject_key = factory.Sequence(lambda n: f"test:{n}")
    detail = "Something needs attention."


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "target_at_risk"
    dedup_key = factory.Sequence(lambda n: f"test-notification-{n}")
    subject = factory.Sequence(lambda n: f"Notification {n}")
    body = "Something happened."
