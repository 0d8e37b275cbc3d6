"""Board meetings and decisions: who may record them, what each kind does, the facts kept with
them, their immutability, supersession and the ledger."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from audit.models import AuditEvent
from contracts.models import Contract, Target
from contracts.roles import Role
from tests.factories import TargetFactory
from tests.workflows.factories import walk
from workflows import selectors, services
from workflows.models import BoardDecision, ImmutableDecision

pytestmark = pytest.mark.django_db


def decide(party, **kwargs):
    kwargs.setdefault("kind", BoardDecision.Kind.REWARD)
    kwargs.setdefault("clause", "Schedule 7, 4.2")
    kwargs.setdefault("rationale", "Level 3 reached early in every area.")
    return services.record_decision(
        contract=party.contract, actor=party.users[Role.BOARD_MEMBER], **kwargs
    )


@pytest.mark.parametrize(
    "role", [Role.CLIENT_OFFICER, Role.CLIENT_LEAD, Role.PROVIDER_LEAD, Role.AUDITOR]
)
def test_only_board_members_record_decisions(party_a, role):
    with pytest.raises(PermissionDenied):
        services.record_decision(
            contract=party_a.contract,
            actor=party_a.users[role],
            kind=BoardDecision.Kind.SANCTION,
            clause="9.1",
            rationale="Missed.",
        )
    assert not BoardDecision.objects.exists()


def test_a_decision_needs_its_clause_and_rationale(party_a):
    with pytest.raises(ValidationError) as refused:
        decide(party_a, clause=" ", rationale="")
    assert set(refused.value.message_dict) == {"clause", "rationale"}
    assert not BoardDecision.objects.exists()


def test_a_decision_links_only_targets_and_assessments_of_its_contract(party_a, party_b):
    foreign_target = party_b.track.targets.first()
    foreign_claim = walk(party_b, "agreed")
    with pytest.raises(ValidationError) as refused:
        decide(party_a, targets=[foreign_target], assessments=[foreign_claim])
    assert set(refused.value.message_dict) == {"targets", "assessments"}
    assert not BoardDecision.objects.exists()


def test_a_decision_keeps_the_facts_as_they_stood(party_a):
    claim = walk(party_a, "confirmed")
    target = party_a.track.targets.first()
    decision = decide(party_a, targets=[target], assessments=[claim])
    snapshot = decision.facts_snapshot
    assert snapshot["targets"][0]["level"] == 3
    assert snapshot["targets"][0]["track_level"] == 1
    assert snapshot["targets"][0]["reached"] is False
    assert snapshot["assessments"][0]["state"] == "confirmed"
    area = next(t for t in snapshot["tracks"] if t["id"] == party_a.track.pk)
    assert area["level"] == 1 and area["sustained"] is False
    # Later changes never rewrite it.
    party_a.track.refresh_from_db()
    walk(party_a, "confirmed")
    decision.refresh_from_db()
    assert decision.facts_snapshot == snapshot


def test_a_recorded_decision_cannot_be_changed_or_deleted(party_a):
    decision = decide(party_a)
    decision.rationale = "Rewritten."
    with pytest.raises(ImmutableDecision), transaction.atomic():
        decision.save()
    with pytest.raises(ImmutableDecision):
        decision.delete()
    with pytest.raises(ImmutableDecision):
        BoardDecision.objects.filter(pk=decision.pk).update(rationale="Rewritten.")
    with pytest.raises(ImmutableDecision):
        BoardDecision.objects.filter(pk=decision.pk).delete()
    with pytest.raises(ImmutableDecision), transaction.atomic():
        decision.targets.add(party_a.track.targets.first())
    fresh = BoardDecision.objects.get(pk=decision.pk)
    with pytest.raises(ImmutableDecision), transaction.atomic():
        fresh.targets.add(party_a.track.targets.first())
    with pytest.raises(ImmutableDecision), transaction.atomic():
        party_a.track.targets.first().decisions.add(fresh)
    assert BoardDecision.objects.get(pk=decision.pk).rationale.startswith("Level 3")


def test_a_later_decision_supersedes_an_earlier_one_once(party_a):
    first = decide(party_a)
    second = decide(party_a, kind=BoardDecision.Kind.NO_ACTION, supersedes=first)
    first.refresh_from_db()
    assert first.is_superseded and first.superseded_by == second
    with pytest.raises(ValidationError, match="already been superseded"):
        decide(party_a, supersedes=first)


def test_a_decision_cannot_supersede_one_on_another_contract(party_a, party_b):
    other = decide(party_b)
    with pytest.raises(ValidationError, match="same contract"):
        decide(party_a, supersedes=other)


def test_extension_granted_moves_the_contract_to_extended_with_the_new_end_date(party_a):
    new_end = party_a.contract.end_date + dt.timedelta(days=365)
    decision = decide(party_a, kind=BoardDecision.Kind.EXTENSION_GRANTED, new_end_date=new_end)
    contract = Contract.objects.get(pk=party_a.contract.pk)
    assert contract.state == "extended" and contract.end_date == new_end
    assert decision.facts_snapshot["contract"]["state"] == "live"
    assert AuditEvent.objects.filter(
        object_type="contracts.contract", to_state="extended", action="transition"
    ).exists()


def test_an_extension_needs_a_later_end_date(party_a):
    with pytest.raises(ValidationError, match="must be after"):
        decide(
            party_a,
            kind=BoardDecision.Kind.EXTENSION_GRANTED,
            new_end_date=party_a.contract.end_date,
        )
    assert Contract.objects.get(pk=party_a.contract.pk).state == "live"


def test_extension_declined_leaves_the_contract_as_it_is(party_a):
    decide(party_a, kind=BoardDecision.Kind.EXTENSION_DECLINED)
    contract = Contract.objects.get(pk=party_a.contract.pk)
    assert contract.state == "live" and contract.end_date == party_a.contract.end_date


def test_target_set_creates_a_board_target_with_its_first_revision(party_a):
    due = dt.date.today() + dt.timedelta(days=700)
    decision = decide(
        party_a,
        kind=BoardDecision.Kind.TARGET_SET,
        target_track=party_a.track,
        target_level_rank=5,
        target_due_date=due,
    )
    target = party_a.track.targets.get(level_rank=5)
    assert target.source == Target.Source.BOARD and target.due_date == due
    assert [(r.level_rank, r.due_date) for r in target.revisions.all()] == [(5, due)]
    assert list(decision.targets.all()) == [target]


def test_target_waived_waives_each_linked_open_target(party_a):
    target = party_a.track.targets.first()
    decide(party_a, kind=BoardDecision.Kind.TARGET_WAIVED, targets=[target])
    target.refresh_from_db()
    assert target.status == Target.Status.WAIVED
    assert AuditEvent.objects.filter(
        object_type="contracts.target", object_id=str(target.pk), to_state="waived"
    ).exists()
    with pytest.raises(ValidationError, match="Only open targets"):
        decide(party_a, kind=BoardDecision.Kind.TARGET_WAIVED, targets=[target])


def test_each_decision_is_on_the_audit_trail(party_a):
    decision = decide(party_a)
    event = AuditEvent.objects.get(action=AuditEvent.Action.DECISION)
    assert event.object_id == str(decision.pk) and event.contract_id == party_a.contract.pk
    assert "Schedule 7, 4.2" in event.comment


def test_the_agenda_holds_agreed_claims_and_targets_due_or_missed(party_a, settings):
    settings.AT_RISK_DAYS = 90
    agreed = walk(party_a, "agreed")
    due_soon = TargetFactory(track=party_a.track, due_date=dt.date.today() + dt.timedelta(days=30))
    TargetFactory(track=party_a.track, due_date=dt.date.today() + dt.timedelta(days=400))
    missed = TargetFactory(
        track=party_a.track, due_date=dt.date.today() - dt.timedelta(days=3), status="missed"
    )
    agenda = selectors.agenda(party_a.contract)
    assert agenda["awaiting_confirmation"] == [agreed]
    assert agenda["targets_due"] == [due_soon]
    assert agenda["targets_missed"] == [missed]


def test_board_meeting_attendees_must_sit_on_the_board(party_a):
    with pytest.raises(ValidationError, match="Not on this contract's board"):
        services.create_meeting(
            contract=party_a.contract,
            actor=party_a.users[Role.BOARD_MEMBER],
            held_on=dt.date.today(),
            attendees=[party_a.users[Role.CLIENT_LEAD]],
        )


def test_the_ledger_lists_every_decision_in_fixed_queries(party_a, django_assert_max_num_queries):
    def ledger_size():
        with django_assert_max_num_queries(6):
            rows = list(selectors.ledger(party_a.contract))
            for decision in rows:
                list(decision.targets.all())
                list(decision.assessments.all())
                decision.is_superseded  # noqa: B018
        return len(rows)

    target = party_a.track.targets.first()
    decide(party_a, targets=[target])
    assert ledger_size() == 1
    earlier = None
    for _ in range(8):
        earlier = decide(party_a, targets=[target], supersedes=earlier)
    assert ledger_size() == 9
