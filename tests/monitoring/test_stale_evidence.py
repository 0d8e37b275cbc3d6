"""Stale evidence: a track whose evidence for its current level has aged out of its recency
window is flagged (and its provider leads told once); fresh evidence resolves the flag."""

import datetime as dt

import pytest

from contracts.models import Membership
from contracts.roles import Role
from evidence.services import withdraw
from matrix.models import EvidenceType
from monitoring import jobs
from monitoring.models import Flag, Notification
from tests.factories import UserFactory, build_framework, make_live_contract
from tests.monitoring.factories import evidence, reach_level

TODAY = dt.date.today()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def _at_level_two_with_current_evidence(track):
    track = reach_level(track, 2)
    for evidence_type in EvidenceType.objects.filter(focus_area=track.focus_area):
        evidence(track, evidence_type, period_end=days(-30))
    return track


@pytest.fixture
def track(party_a):
    """A track at level 2 (reached through a confirmed claim) with current evidence of both
    types of its focus area (each with a 12-month recency window)."""
    return _at_level_two_with_current_evidence(party_a.track)


def track_where_first_type(party, **changes):
    """Like `track`, on a framework whose first evidence type has `changes` (made before the
    framework is published, as tailoring would)."""
    framework = build_framework(published=False)
    first = EvidenceType.objects.filter(focus_area__framework=framework).order_by("pk")[0]
    for name, value in changes.items():
        setattr(first, name, value(framework) if callable(value) else value)
    first.save()
    framework.publish()
    framework.save()
    contract = make_live_contract(
        framework=framework, provider=party.provider, authorities=[party.authority]
    )
    return _at_level_two_with_current_evidence(contract.tracks.get(focus_area=first.focus_area))


def withdraw_all(track, evidence_type):
    lead = Membership.objects.filter(
        organisation=track.contract.provider, role=Role.PROVIDER_LEAD
    ).first()
    for item in track.evidence_items.filter(evidence_type=evidence_type, withdrawn_at=None):
        withdraw(actor=lead.user, item=item, reason="Superseded by the annual report")


def stale_flags(track):
    return Flag.objects.filter(kind=Flag.Kind.EVIDENCE_STALE, track=track)


def age_out(track, evidence_type=None):
    """Withdraws the current item of one type and leaves only an item older than 12 months."""
    evidence_type = (
        evidence_type or EvidenceType.objects.filter(focus_area=track.focus_area).order_by("pk")[0]
    )
    withdraw_all(track, evidence_type)
    evidence(track, evidence_type, period_end=days(-400))
    return evidence_type


def test_current_evidence_raises_no_flag(track):
    jobs.flag_stale_evidence(today=TODAY)
    assert not stale_flags(track).exists()


def test_evidence_older_than_its_recency_window_raises_a_flag(track):
    age_out(track)
    jobs.flag_stale_evidence(today=TODAY)
    [flag] = stale_flags(track)
    assert flag.subject_key == f"track:{track.pk}" and flag.resolved_at is None
    assert flag.contract_id == track.contract_id
    assert "Evidence for level 2" in flag.detail


def test_evidence_ages_out_with_the_passing_of_time(track):
    jobs.flag_stale_evidence(today=days(400))
    assert stale_flags(track).count() == 1


def test_a_longer_recency_window_keeps_older_evidence_current(party_a):
    track = track_where_first_type(party_a, recency_months=24)
    age_out(track)
    jobs.flag_stale_evidence(today=TODAY)
    assert not stale_flags(track).exists()


def test_a_type_that_applies_only_above_the_current_level_is_not_needed(party_a):
    track = track_where_first_type(
        party_a, applies_from=lambda framework: framework.levels.get(rank=4)
    )
    age_out(track)
    jobs.flag_stale_evidence(today=TODAY)
    assert not stale_flags(track).exists()


def test_a_withdrawn_recent_item_does_not_count(track):
    evidence_type = EvidenceType.objects.filter(focus_area=track.focus_area).order_by("pk")[0]
    withdraw_all(track, evidence_type)
    jobs.flag_stale_evidence(today=TODAY)
    assert stale_flags(track).count() == 1


def test_a_track_still_at_its_starting_level_is_not_checked(party_a):
    jobs.flag_stale_evidence(today=TODAY)
    assert not Flag.objects.filter(kind=Flag.Kind.EVIDENCE_STALE).exists()


def test_running_twice_leaves_one_flag(track):
    age_out(track)
    jobs.flag_stale_evidence(today=TODAY)
    jobs.flag_stale_evidence(today=TODAY)
    assert stale_flags(track).count() == 1


def test_fresh_evidence_resolves_the_flag(track):
    evidence_type = age_out(track)
    jobs.flag_stale_evidence(today=TODAY)
    evidence(track, evidence_type, period_end=days(-1))
    jobs.flag_stale_evidence(today=TODAY)
    assert stale_flags(track).get().resolved_at is not None


def test_the_provider_leads_are_told_once_per_flag(track, party_a):
    age_out(track)
    jobs.flag_stale_evidence(today=TODAY)
    jobs.flag_stale_evidence(today=TODAY)
    notes = Notification.objects.filter(kind=Flag.Kind.EVIDENCE_STALE)
    assert [n.recipient for n in notes] == [party_a.users[Role.PROVIDER_LEAD]]


def _contract_with_stale_tracks(count: int) -> None:
    """A live contract with `count` tracks at levels 1–3, every other one with aged-out evidence,
    and a provider lead to tell."""
    contract = make_live_contract(framework=build_framework(focus_areas=count))
    Membership.objects.create(
        user=UserFactory(), organisation=contract.provider, role=Role.PROVIDER_LEAD
    )
    for i, track in enumerate(contract.tracks.all()):
        track = reach_level(track, 1 + i % 3)
        for evidence_type in EvidenceType.objects.filter(focus_area=track.focus_area):
            evidence(track, evidence_type, period_end=days(-400 if i % 2 else -10))


@pytest.mark.parametrize("count", [2, 30])
def test_the_query_count_does_not_grow_with_the_number_of_tracks(
    db, count, django_assert_max_num_queries
):
    _contract_with_stale_tracks(count)
    with django_assert_max_num_queries(11):
        result = jobs.flag_stale_evidence(today=TODAY)
    assert result["flags_raised"] == count // 2
    assert result["notifications_queued"] == count // 2
