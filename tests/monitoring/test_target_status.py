"""Each rule that decides a target's status, one test per rule (monitoring/targets.py)."""

import datetime as dt

import pytest

from contracts.models import Target
from contracts.roles import Role
from contracts.services import revise_target, terminate
from monitoring import jobs
from tests.monitoring.factories import claim, cycle_covering, make_target, reach_level
from workflows.models import Assessment

S = Target.Status
TODAY = dt.date.today()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def track(party_a):
    """A track of a live contract whose go-live default targets are out of the way."""
    Target.objects.filter(track__contract=party_a.contract).delete()
    return party_a.track


def evaluated(target: Target) -> str:
    jobs.evaluate_targets(today=TODAY)
    target.refresh_from_db()
    return target.status


def test_a_target_due_beyond_the_at_risk_window_is_on_track(track):
    assert evaluated(make_target(track, due=days(91))) == S.ON_TRACK


def test_a_target_due_within_the_at_risk_window_is_at_risk(track):
    assert evaluated(make_target(track, due=days(90))) == S.AT_RISK


def test_a_target_due_today_and_not_reached_is_at_risk(track):
    assert evaluated(make_target(track, due=TODAY)) == S.AT_RISK


def test_the_at_risk_window_follows_the_setting(track, settings):
    settings.AT_RISK_DAYS = 10
    assert evaluated(make_target(track, due=days(30))) == S.ON_TRACK


@pytest.mark.parametrize("state", Assessment.IN_REVIEW_STATES)
def test_a_claim_for_the_level_in_review_keeps_a_target_due_soon_on_track(track, state):
    target = make_target(track, level=3, due=days(30))
    claim(track, 3, state=state)
    assert evaluated(target) == S.ON_TRACK


def test_a_claim_for_a_higher_level_in_review_also_counts(track):
    target = make_target(track, level=3, due=days(30))
    claim(track, 4)
    assert evaluated(target) == S.ON_TRACK


def test_a_claim_for_a_lower_level_does_not_keep_the_target_off_risk(track):
    target = make_target(track, level=3, due=days(30))
    claim(track, 2)
    assert evaluated(target) == S.AT_RISK


@pytest.mark.parametrize(
    "state",
    [
        Assessment.State.DRAFT,
        Assessment.State.RETURNED,
        Assessment.State.WITHDRAWN,
        Assessment.State.REJECTED,
    ],
)
def test_a_claim_that_is_not_in_review_does_not_count(track, state):
    target = make_target(track, level=3, due=days(30))
    claim(track, 3, state=state)
    assert evaluated(target) == S.AT_RISK


def test_a_claim_on_another_track_does_not_count(track, party_a):
    other = party_a.contract.tracks.exclude(pk=track.pk).first()
    target = make_target(track, level=3, due=days(30))
    claim(other, 3)
    assert evaluated(target) == S.AT_RISK


def test_a_reached_level_meets_the_target(track):
    target = make_target(track, level=3, due=days(30))
    reach_level(track, 3)
    assert evaluated(target) == S.MET


def test_a_level_above_the_target_meets_it(track):
    target = make_target(track, level=3, due=days(30))
    reach_level(track, 4)
    assert evaluated(target) == S.MET


def test_a_reached_and_sustained_level_is_met_and_sustained(track):
    target = make_target(track, level=3, due=days(30))
    reach_level(track, 3, sustained=True)
    assert evaluated(target) == S.MET_SUSTAINED


def test_a_target_requiring_sustained_stays_open_while_only_met(track):
    target = make_target(track, level=3, due=days(30), requires_sustained=True)
    reach_level(track, 3)
    assert evaluated(target) == S.AT_RISK


def test_a_target_requiring_sustained_is_on_track_while_only_met_and_due_later(track):
    target = make_target(track, level=3, due=days(200), requires_sustained=True)
    reach_level(track, 3)
    assert evaluated(target) == S.ON_TRACK


def test_a_target_requiring_sustained_is_met_once_sustained(track):
    target = make_target(track, level=3, due=days(30), requires_sustained=True)
    reach_level(track, 3, sustained=True)
    assert evaluated(target) == S.MET_SUSTAINED


def test_a_past_due_target_whose_cycle_is_still_open_is_overdue(track):
    cycle_covering(track.contract, days(-5), closes_on=days(10))
    assert evaluated(make_target(track, due=days(-5))) == S.OVERDUE


def test_a_past_due_target_with_a_claim_in_review_is_overdue(track):
    target = make_target(track, level=3, due=days(-200))
    claim(track, 3, state=Assessment.State.UNDER_REVIEW)
    assert evaluated(target) == S.OVERDUE


def test_a_past_due_target_whose_cycle_has_closed_is_missed(track):
    cycle_covering(track.contract, days(-50), closes_on=days(-1))
    assert evaluated(make_target(track, due=days(-50))) == S.MISSED


def test_a_past_due_target_with_no_cycle_covering_its_due_date_is_missed(track):
    assert evaluated(make_target(track, due=days(-200))) == S.MISSED


def test_an_overdue_target_becomes_missed_when_its_cycle_closes(track):
    cycle_covering(track.contract, days(-50), closes_on=days(3))
    target = make_target(track, due=days(-50))
    assert evaluated(target) == S.OVERDUE
    jobs.evaluate_targets(today=days(4))
    target.refresh_from_db()
    assert target.status == S.MISSED


def test_an_overdue_target_reached_late_is_met(track):
    target = make_target(track, level=3, due=days(-200))
    claim(track, 3, state=Assessment.State.UNDER_REVIEW)
    assert evaluated(target) == S.OVERDUE
    reach_level(track, 3)
    assert evaluated(target) == S.MET


def test_a_waived_target_is_never_recomputed(track):
    target = make_target(track, due=days(-200), status=S.WAIVED)
    reach_level(track, 5, sustained=True)
    assert evaluated(target) == S.WAIVED


def test_a_missed_target_stays_missed_when_the_level_is_reached_later(track):
    target = make_target(track, level=3, due=days(-200))
    assert evaluated(target) == S.MISSED
    reach_level(track, 3, sustained=True)
    assert evaluated(target) == S.MISSED


def test_a_target_met_by_its_due_date_stays_met_after_it_when_the_level_is_lost(track):
    target = make_target(track, level=3, due=days(-10), status=S.MET)
    reach_level(track, 1)
    assert evaluated(target) == S.MET


def test_a_target_met_by_its_due_date_becomes_met_and_sustained_later(track):
    target = make_target(track, level=3, due=days(-10), status=S.MET)
    reach_level(track, 3, sustained=True)
    assert evaluated(target) == S.MET_SUSTAINED


def test_a_met_target_not_yet_due_reopens_when_the_level_is_lost(track):
    target = make_target(track, level=3, due=days(30))
    reach_level(track, 3)
    assert evaluated(target) == S.MET
    reach_level(track, 2)
    assert evaluated(target) == S.AT_RISK


def test_a_missed_target_revised_to_a_later_date_opens_again(track, party_a):
    target = make_target(track, level=3, due=days(-200))
    assert evaluated(target) == S.MISSED
    revise_target(
        target=target,
        actor=party_a.users[Role.CLIENT_LEAD],
        level_rank=3,
        due_date=days(400),
        reason="Extension agreed by the board",
    )
    assert evaluated(target) == S.ON_TRACK


def test_a_met_target_revised_to_a_higher_level_opens_again(track, party_a):
    target = make_target(track, level=2, due=days(30))
    reach_level(track, 2)
    assert evaluated(target) == S.MET
    revise_target(
        target=target,
        actor=party_a.users[Role.CLIENT_LEAD],
        level_rank=4,
        due_date=days(300),
        reason="Raised after the annual review",
    )
    assert evaluated(target) == S.ON_TRACK


def test_targets_of_a_contract_that_is_no_longer_live_are_left_alone(track, party_a):
    target = make_target(track, due=days(10))
    terminate(contract=party_a.contract, actor=party_a.users[Role.CLIENT_LEAD], reason="Ended")
    assert evaluated(target) == S.ON_TRACK
