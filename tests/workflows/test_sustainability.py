"""A level counts as sustained once held through N consecutive closed review cycles (after it was
reached) with current evidence in each; recomputed in queries that do not grow with the tracks."""

import datetime as dt

import pytest
from django.utils import timezone

from contracts.models import Track
from matrix.models import EvidenceType
from tests.factories import (
    EvidenceItemFactory,
    ReviewCycleFactory,
    build_framework,
    make_live_contract,
)
from workflows.sustainability import refresh_sustainability

pytestmark = pytest.mark.django_db

REACHED = dt.date(2024, 1, 10)


def quarter(contract, start: dt.date):
    end = start + dt.timedelta(days=89)
    return ReviewCycleFactory(
        contract=contract,
        opens_on=start,
        evidence_deadline=end - dt.timedelta(days=14),
        closes_on=end,
    )


def reached(track, on=REACHED, level=2):
    """Puts the track at `level` as a confirmed claim would (test set-up only)."""
    moment = timezone.make_aware(dt.datetime.combine(on, dt.time(12)))
    Track.objects.filter(pk=track.pk).update(level_reached_at=moment, level_rank=level)
    track.refresh_from_db()
    return track


@pytest.fixture
def short_contract(db):
    """Evidence counts for two months only, so one quarter's upload cannot cover the next."""
    framework = build_framework(published=False)
    EvidenceType.objects.filter(focus_area__framework=framework).update(recency_months=2)
    framework.publish()
    framework.save()
    return make_live_contract(framework=framework)


def evidence_in(track, cycle):
    for evidence_type in track.focus_area.evidence_types.all():
        EvidenceItemFactory(
            track=track,
            evidence_type=evidence_type,
            period_start=cycle.opens_on,
            period_end=cycle.evidence_deadline,
        )


@pytest.fixture
def contract(db):
    return make_live_contract()


@pytest.fixture
def track(contract):
    return reached(contract.tracks.order_by("pk").first())


def cycles(contract, n, start=dt.date(2024, 4, 1)):
    out = []
    for _ in range(n):
        out.append(quarter(contract, start))
        start = out[-1].closes_on + dt.timedelta(days=1)
    return out


def test_two_closed_cycles_with_evidence_sustain_the_level(contract, track):
    q1, q2 = cycles(contract, 2)
    evidence_in(track, q1)
    evidence_in(track, q2)
    assert refresh_sustainability() == 1
    track.refresh_from_db()
    assert track.sustained and track.sustained_since == q2.closes_on


def test_one_cycle_is_not_enough(contract, track):
    (q1,) = cycles(contract, 1)
    evidence_in(track, q1)
    refresh_sustainability()
    track.refresh_from_db()
    assert not track.sustained and track.sustained_since is None


def test_a_cycle_without_evidence_breaks_the_run(short_contract):
    contract = short_contract
    track = reached(contract.tracks.order_by("pk").first())
    q1, q2, q3 = cycles(contract, 3)
    evidence_in(track, q1)
    evidence_in(track, q3)
    refresh_sustainability()
    track.refresh_from_db()
    assert not track.sustained


def test_a_cycle_that_opened_before_the_level_was_reached_does_not_count(contract):
    track = reached(contract.tracks.order_by("pk").first(), on=dt.date(2024, 5, 1))
    q1, q2 = cycles(contract, 2)  # q1 opened on 1 April, before the level was reached
    evidence_in(track, q1)
    evidence_in(track, q2)
    refresh_sustainability()
    track.refresh_from_db()
    assert not track.sustained


def test_a_cycle_not_yet_closed_does_not_count(contract, track):
    (q1,) = cycles(contract, 1)
    today = dt.date.today()
    current = quarter(contract, today - dt.timedelta(days=10))
    evidence_in(track, q1)
    evidence_in(track, current)
    refresh_sustainability()
    track.refresh_from_db()
    assert not track.sustained


def test_the_contract_setting_changes_how_many_cycles_are_needed(contract, track):
    contract.sustain_cycles = 3
    contract.save(update_fields=["sustain_cycles"])
    q1, q2 = cycles(contract, 2)
    evidence_in(track, q1)
    evidence_in(track, q2)
    refresh_sustainability()
    track.refresh_from_db()
    assert not track.sustained


def test_evidence_still_within_its_recency_window_covers_the_next_cycle(contract, track):
    q1, q2 = cycles(contract, 2)
    evidence_in(track, q1)  # twelve months' recency: still current in q2
    refresh_sustainability()
    track.refresh_from_db()
    assert track.sustained


def test_a_level_lost_sustainment_when_evidence_lapses(short_contract):
    contract = short_contract
    track = reached(contract.tracks.order_by("pk").first())
    q1, q2 = cycles(contract, 2)
    evidence_in(track, q1)
    evidence_in(track, q2)
    refresh_sustainability()
    (q3,) = cycles(contract, 1, start=q2.closes_on + dt.timedelta(days=1))
    assert refresh_sustainability() == 1
    track.refresh_from_db()
    assert not track.sustained


def test_a_level_set_at_go_live_is_never_sustained(contract):
    track = contract.tracks.order_by("pk").first()
    q1, q2 = cycles(contract, 2)
    evidence_in(track, q1)
    evidence_in(track, q2)
    assert refresh_sustainability() == 0
    track.refresh_from_db()
    assert not track.sustained


def test_refresh_is_idempotent(contract, track):
    q1, q2 = cycles(contract, 2)
    evidence_in(track, q1)
    evidence_in(track, q2)
    assert refresh_sustainability() == 1
    assert refresh_sustainability() == 0


def test_queries_do_not_grow_with_the_number_of_tracks(django_assert_max_num_queries):
    def build(n_contracts):
        for _ in range(n_contracts):
            contract = make_live_contract()
            q1, q2 = cycles(contract, 2)
            for track in contract.tracks.all():
                reached(track)
                evidence_in(track, q1)
                evidence_in(track, q2)

    build(1)  # 3 tracks
    with django_assert_max_num_queries(8):
        assert refresh_sustainability() == 3
    build(6)  # 18 more tracks
    with django_assert_max_num_queries(8):
        assert refresh_sustainability() == 18
    assert Track.objects.filter(sustained=True).count() == 21
