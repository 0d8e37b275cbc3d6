"""Review-cycle reminders: 14/7/1 days before an evidence deadline, to provider leads, while no
claim has been submitted in the cycle; one per cycle, person and window; the deadline flag."""

import datetime as dt

import pytest

from contracts.models import ReviewCycle
from contracts.roles import Role
from monitoring import jobs, kinds
from monitoring.models import Flag, Notification
from tests.factories import Party
from tests.monitoring.factories import claim
from workflows.models import Assessment

TODAY = dt.date.today()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def make_cycle(contract, deadline: dt.date) -> ReviewCycle:
    return ReviewCycle.objects.create(
        contract=contract,
        name=f"Cycle to {deadline}",
        opens_on=deadline - dt.timedelta(days=80),
        evidence_deadline=deadline,
        closes_on=deadline + dt.timedelta(days=20),
    )


@pytest.fixture
def contract(party_a):
    ReviewCycle.objects.filter(contract=party_a.contract).delete()
    return party_a.contract


def reminders():
    return Notification.objects.filter(kind=kinds.DEADLINE_REMINDER)


@pytest.mark.parametrize(
    ("days_left", "window"), [(14, 14), (10, 14), (8, 14), (7, 7), (2, 7), (1, 1), (0, 1)]
)
def test_a_reminder_goes_out_in_the_window_the_deadline_falls_in(contract, days_left, window):
    cycle = make_cycle(contract, days(days_left))
    jobs.send_review_reminders(today=TODAY)
    assert [n.dedup_key.split(":window:")[1].split(":")[0] for n in reminders()] == [str(window)]
    assert reminders().get().dedup_key.startswith(f"reminder:cycle:{cycle.pk}:")


@pytest.mark.parametrize("days_left", [15, 30, -1])
def test_no_reminder_outside_the_fourteen_days_before_the_deadline(contract, days_left):
    make_cycle(contract, days(days_left))
    jobs.send_review_reminders(today=TODAY)
    assert not reminders().exists()


def test_only_provider_leads_are_reminded(contract, party_a):
    make_cycle(contract, days(7))
    jobs.send_review_reminders(today=TODAY)
    assert [n.recipient for n in reminders()] == [party_a.users[Role.PROVIDER_LEAD]]


def test_the_reminder_names_the_cycle_and_its_deadline(contract, party_a):
    cycle = make_cycle(contract, days(7))
    jobs.send_review_reminders(today=TODAY)
    note = reminders().get()
    assert note.subject == f"{contract.reference}: evidence deadline {days(7):%Y-%m-%d}"
    assert cycle.name in note.body and not note.critical


@pytest.mark.parametrize(
    "state",
    [
        Assessment.State.SUBMITTED,
        Assessment.State.UNDER_REVIEW,
        Assessment.State.AGREED,
        Assessment.State.CONFIRMED,
    ],
)
def test_no_reminder_once_a_claim_is_submitted_in_the_cycle(contract, party_a, state):
    cycle = make_cycle(contract, days(7))
    claim(party_a.track, 3, state=state, cycle=cycle)
    jobs.send_review_reminders(today=TODAY)
    assert not reminders().exists()


@pytest.mark.parametrize("state", [Assessment.State.DRAFT, Assessment.State.WITHDRAWN])
def test_a_draft_or_withdrawn_claim_does_not_stop_the_reminder(contract, party_a, state):
    cycle = make_cycle(contract, days(7))
    claim(party_a.track, 3, state=state, cycle=cycle)
    jobs.send_review_reminders(today=TODAY)
    assert reminders().count() == 1


def test_a_claim_in_another_cycle_does_not_stop_the_reminder(contract, party_a):
    make_cycle(contract, days(7))
    claim(party_a.track, 3, cycle=make_cycle(contract, days(200)))
    jobs.send_review_reminders(today=TODAY)
    assert reminders().count() == 1


def test_one_reminder_per_cycle_person_and_window_however_often_it_runs(contract):
    make_cycle(contract, days(14))
    for offset in range(15):  # daily runs from 14 days before to the deadline, twice a day
        jobs.send_review_reminders(today=days(offset))
        jobs.send_review_reminders(today=days(offset))
    windows = sorted(int(n.dedup_key.split(":window:")[1].split(":")[0]) for n in reminders())
    assert windows == [1, 7, 14]


def test_a_deadline_flag_is_open_while_within_fourteen_days(contract):
    cycle = make_cycle(contract, days(10))
    jobs.send_review_reminders(today=TODAY)
    jobs.send_review_reminders(today=TODAY)
    [flag] = Flag.objects.filter(kind=Flag.Kind.DEADLINE_APPROACHING)
    assert flag.subject_key == f"cycle:{cycle.pk}" and flag.contract == contract
    assert flag.resolved_at is None


def test_the_deadline_flag_is_resolved_once_a_claim_is_submitted(contract, party_a):
    cycle = make_cycle(contract, days(10))
    jobs.send_review_reminders(today=TODAY)
    claim(party_a.track, 3, cycle=cycle)
    jobs.send_review_reminders(today=TODAY)
    assert Flag.objects.get(kind=Flag.Kind.DEADLINE_APPROACHING).resolved_at is not None


def test_the_deadline_flag_is_resolved_when_the_deadline_has_passed(contract):
    make_cycle(contract, days(1))
    jobs.send_review_reminders(today=TODAY)
    jobs.send_review_reminders(today=days(2))
    assert Flag.objects.get(kind=Flag.Kind.DEADLINE_APPROACHING).resolved_at is not None


def test_an_opted_out_provider_lead_gets_a_suppressed_reminder(contract, party_a):
    from monitoring.models import NotificationPreference

    lead = party_a.users[Role.PROVIDER_LEAD]
    NotificationPreference.objects.create(user=lead, kind=kinds.DEADLINE_REMINDER)
    make_cycle(contract, days(7))
    jobs.send_review_reminders(today=TODAY)
    assert reminders().get().status == Notification.Status.SUPPRESSED


def _cycles(party: Party, count: int) -> None:
    ReviewCycle.objects.filter(contract=party.contract).delete()
    for i in range(count):
        make_cycle(party.contract, days(i % 15))
    claim(party.track, 3, cycle=ReviewCycle.objects.filter(contract=party.contract).first())


@pytest.mark.parametrize("count", [3, 60])
def test_the_query_count_does_not_grow_with_the_number_of_cycles(
    party_a, count, django_assert_max_num_queries
):
    _cycles(party_a, count)
    with django_assert_max_num_queries(10):
        result = jobs.send_review_reminders(today=TODAY)
    assert result["notifications_queued"] == count - 1
    assert result["flags_raised"] == count - 1
