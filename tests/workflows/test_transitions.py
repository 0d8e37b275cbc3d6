"""The assessment's transitions through the services: roles, guards and what each one records."""

import copy
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_fsm_log.models import StateLog

from audit.models import AuditEvent
from contracts.roles import Role
from matrix.models import EvidenceType, Level
from monitoring.models import Notification
from tests.factories import ReviewCycleFactory, build_framework, make_live_contract
from tests.workflows.factories import (
    EvidenceItemFactory,
    add_person,
    draft,
    evidence_for,
    judgements_for,
    walk,
)
from workflows import services
from workflows.models import Assessment, CriterionJudgement

pytestmark = pytest.mark.django_db


def transitions_of(assessment):
    return list(
        AuditEvent.objects.filter(
            object_type="workflows.assessment",
            object_id=str(assessment.pk),
            action=AuditEvent.Action.TRANSITION,
        ).values_list("from_state", "to_state", "actor_name")
    )


def test_submit_lists_exactly_the_evidence_types_that_lack_a_current_item(party_a):
    framework = build_framework(published=False)
    area = framework.focus_areas.order_by("order").first()
    level = Level.objects.filter(framework=framework)
    first, second = area.evidence_types.order_by("order")
    third, _ = EvidenceType.objects.bulk_create(
        [
            EvidenceType(
                focus_area=area,
                order=3,
                name="Customer satisfaction survey",
                applies_from=level.get(rank=1),
            ),
            EvidenceType(
                focus_area=area, order=4, name="Only from level 4", applies_from=level.get(rank=4)
            ),
        ]
    )
    framework.publish()
    framework.save()
    contract = make_live_contract(
        framework=framework, provider=party_a.provider, authorities=[party_a.authority]
    )
    track = contract.tracks.get(focus_area=area)
    cycle = ReviewCycleFactory(contract=contract)
    item = EvidenceItemFactory(track=track, evidence_type=first)
    a = services.draft_claim(
        track=track,
        cycle=cycle,
        claimed_rank=1,
        items=[item],
        actor=party_a.users[Role.PROVIDER_LEAD],
    )
    with pytest.raises(ValidationError) as refused:
        services.submit(assessment=a, actor=party_a.users[Role.PROVIDER_LEAD], attest=True)
    text = " ".join(refused.value.messages)
    assert f"for: {second.name}; {third.name}." in text
    assert first.name + ";" not in text and "Only from level 4" not in text
    a.refresh_from_db()
    assert a.state == "draft" and not a.pack.is_locked


def test_submit_names_current_evidence_left_out_of_the_pack(party_a):
    evidence_for(party_a.track, cycle=party_a.cycle)
    a = draft(party_a, with_evidence=False)
    with pytest.raises(ValidationError, match="Add the current evidence to the pack for: Evid"):
        services.submit(assessment=a, actor=party_a.users[Role.PROVIDER_LEAD], attest=True)


def test_evidence_older_than_its_recency_window_does_not_count(party_a):
    old = dt.date.today() - dt.timedelta(days=800)
    items = evidence_for(party_a.track, period_start=old, period_end=old + dt.timedelta(days=30))
    a = services.draft_claim(
        track=party_a.track,
        cycle=party_a.cycle,
        claimed_rank=1,
        items=items,
        actor=party_a.users[Role.PROVIDER_LEAD],
    )
    with pytest.raises(ValidationError, match="Upload current evidence"):
        services.submit(assessment=a, actor=party_a.users[Role.PROVIDER_LEAD], attest=True)


def test_a_claim_for_a_blank_descriptor_still_needs_its_evidence(party_a):
    framework = build_framework(published=False)
    area = framework.focus_areas.order_by("order").first()
    area.descriptors.filter(level__rank=1).update(text="", criteria=[])
    framework.publish()
    framework.save()
    party = copy.copy(party_a)
    party.contract = make_live_contract(
        framework=framework, provider=party_a.provider, authorities=[party_a.authority]
    )
    party.track = party.contract.tracks.get(focus_area=area)
    party.cycle = ReviewCycleFactory(contract=party.contract)
    a = draft(party, with_evidence=False)
    with pytest.raises(ValidationError, match="Upload current evidence"):
        services.submit(assessment=a, actor=party_a.users[Role.PROVIDER_LEAD], attest=True)
    assert a.criteria() == ["Level 1 has no descriptor yet: judge it on the evidence base."]


def test_submit_refuses_a_claim_for_the_current_level(party_a):
    a = draft(party_a, rank=2)
    # The track reached level 2 since the draft was written (through a confirmed claim).
    other = walk(party_a, "confirmed", draft(party_a, rank=2))
    assert other.state == "confirmed"
    with pytest.raises(ValidationError, match="already at level 2"):
        services.submit(assessment=a, actor=party_a.users[Role.PROVIDER_LEAD], attest=True)


def test_submit_refuses_when_the_cycle_is_closed(party_a):
    a = draft(party_a)
    type(party_a.cycle).objects.filter(pk=party_a.cycle.pk).update(
        opens_on=dt.date.today() - dt.timedelta(days=90),
        evidence_deadline=dt.date.today() - dt.timedelta(days=10),
        closes_on=dt.date.today() - dt.timedelta(days=1),
    )
    with pytest.raises(ValidationError, match="is not open"):
        services.submit(assessment=a, actor=party_a.users[Role.PROVIDER_LEAD], attest=True)


def test_submit_needs_the_attestation(party_a):
    a = draft(party_a)
    with pytest.raises(ValidationError, match="relates to this contract and review cycle"):
        services.submit(assessment=a, actor=party_a.users[Role.PROVIDER_LEAD], attest=False)


def test_submit_locks_the_pack_with_the_attestation(party_a):
    a = walk(party_a, "submitted")
    a.pack.refresh_from_db()
    assert a.pack.is_locked
    assert a.pack.attested_by == party_a.users[Role.PROVIDER_LEAD]
    assert party_a.contract.reference in a.pack.attestation
    assert party_a.cycle.name in a.pack.attestation
    with pytest.raises(ValidationError, match="locked"):
        from evidence.packs import set_pack_items

        set_pack_items(pack=a.pack, actor=party_a.users[Role.PROVIDER_LEAD], items=[])


def test_only_the_provider_lead_submits_a_claim(party_a):
    a = draft(party_a)
    for role in (Role.PROVIDER_CONTRIBUTOR, Role.CLIENT_LEAD, Role.BOARD_MEMBER, Role.AUDITOR):
        with pytest.raises(PermissionDenied):
            services.submit(assessment=a, actor=party_a.users[role], attest=True)
    a.refresh_from_db()
    assert a.state == "draft"


def test_submit_queues_a_notification_for_each_client_team_member(party_a):
    walk(party_a, "submitted")
    recipients = set(
        Notification.objects.filter(kind="assessment_submit").values_list(
            "recipient__username", flat=True
        )
    )
    assert recipients == {"alpha_client_officer", "alpha_client_lead"}


def test_agree_queues_notifications_for_the_board(party_a):
    walk(party_a, "agreed")
    assert list(
        Notification.objects.filter(kind="assessment_agree").values_list(
            "recipient__username", flat=True
        )
    ) == ["alpha_board_member"]


@pytest.mark.parametrize("to", ["returned", "rejected", "confirmed"])
def test_the_provider_lead_hears_the_outcome(party_a, to):
    walk(party_a, to)
    kind = {"returned": "return_for_evidence", "rejected": "reject", "confirmed": "confirm"}[to]
    assert list(
        Notification.objects.filter(kind=f"assessment_{kind}").values_list(
            "recipient__username", flat=True
        )
    ) == ["alpha_provider_lead"]


def test_return_for_evidence_needs_a_comment(party_a):
    a = walk(party_a, "under_review")
    with pytest.raises(ValidationError, match="Say what evidence is missing"):
        services.return_for_evidence(
            assessment=a, actor=party_a.users[Role.CLIENT_OFFICER], comment="  "
        )
    a.refresh_from_db()
    assert a.state == "under_review"
    assert len(transitions_of(a)) == 2


def test_the_submitter_cannot_agree(party_a):
    a = walk(party_a, "under_review")
    both = party_a.users[Role.PROVIDER_LEAD]
    from contracts.models import Membership

    Membership.objects.create(user=both, organisation=party_a.authority, role=Role.CLIENT_OFFICER)
    with pytest.raises(PermissionDenied, match="someone else must agree"):
        services.agree(assessment=a, actor=both, judgements=judgements_for(a))
    a.refresh_from_db()
    assert a.state == "under_review"


def test_agree_records_a_judgement_on_each_criterion_of_a_checklist_level(party_a):
    a = walk(party_a, "under_review", draft(party_a, rank=2))
    assert a.criteria() == ["Level 1 completed", "Authority confidence in progress"]
    services.agree(
        assessment=a, actor=party_a.users[Role.CLIENT_OFFICER], judgements=judgements_for(a)
    )
    rows = list(CriterionJudgement.objects.filter(assessment=a).order_by("position"))
    assert [(j.criterion, j.verdict) for j in rows] == [
        ("Level 1 completed", "met"),
        ("Authority confidence in progress", "met"),
    ]
    assert all(j.comment and j.judged_by == party_a.users[Role.CLIENT_OFFICER] for j in rows)


def test_agree_judges_a_prose_descriptor_as_a_whole(party_a):
    a = walk(party_a, "under_review")
    assert a.criteria() == ["Area 1 at level 1."]


def test_agree_refuses_a_missing_comment_or_an_unmet_criterion(party_a):
    a = walk(party_a, "under_review", draft(party_a, rank=2))
    officer = party_a.users[Role.CLIENT_OFFICER]
    incomplete = [{"verdict": "met", "comment": "ok"}]
    with pytest.raises(ValidationError, match="each of the 2 criteria"):
        services.agree(assessment=a, actor=officer, judgements=incomplete)
    no_comment = [{"verdict": "met", "comment": "ok"}, {"verdict": "met", "comment": ""}]
    with pytest.raises(ValidationError, match="Criterion 2 .*add a comment"):
        services.agree(assessment=a, actor=officer, judgements=no_comment)
    not_met = [{"verdict": "met", "comment": "ok"}, {"verdict": "not_met", "comment": "no"}]
    with pytest.raises(ValidationError, match="judged not met"):
        services.agree(assessment=a, actor=officer, judgements=not_met)
    a.refresh_from_db()
    assert a.state == "under_review" and not a.judgements.exists()


def test_only_a_client_lead_rejects_and_needs_a_reason(party_a):
    a = walk(party_a, "under_review")
    with pytest.raises(PermissionDenied):
        services.reject(assessment=a, actor=party_a.users[Role.CLIENT_OFFICER], reason="No.")
    with pytest.raises(ValidationError, match="reason"):
        services.reject(assessment=a, actor=party_a.users[Role.CLIENT_LEAD], reason="")
    a = services.reject(
        assessment=a, actor=party_a.users[Role.CLIENT_LEAD], reason="Not there yet."
    )
    assert a.state == "rejected" and a.last_comment == "Not there yet."


def test_confirm_moves_the_track_with_the_assessment_as_its_cause(party_a):
    a = walk(party_a, "confirmed")
    track = party_a.track
    track.refresh_from_db()
    assert track.level_rank == 1
    logs = list(StateLog.objects.for_(track).values_list("source_state", "state", "description"))
    assert logs == [("0", "1", f"Assessment #{a.pk} confirmed: level 0 → 1.")]
    assert (
        AuditEvent.objects.filter(object_type="contracts.track", action="transition").count() == 1
    )


def test_the_agreer_cannot_confirm_as_a_board_member(party_a):
    officer = party_a.users[Role.CLIENT_OFFICER]
    party_a.contract.board_members.add(officer)
    a = walk(party_a, "agreed")
    assert a.agreed_by == officer
    with pytest.raises(PermissionDenied, match="another board member must confirm"):
        services.confirm(assessment=a, actor=officer)
    party_a.track.refresh_from_db()
    assert party_a.track.level_rank == 0
    services.confirm(assessment=a, actor=party_a.users[Role.BOARD_MEMBER])
    party_a.track.refresh_from_db()
    assert party_a.track.level_rank == 1


def test_refer_back_needs_a_reason_and_returns_the_claim_to_review(party_a):
    a = walk(party_a, "agreed")
    board = party_a.users[Role.BOARD_MEMBER]
    with pytest.raises(ValidationError, match="reason"):
        services.refer_back(assessment=a, actor=board, reason="")
    a = services.refer_back(assessment=a, actor=board, reason="Check the survey dates.")
    assert a.state == "under_review"
    second = add_person(party_a, Role.CLIENT_LEAD, "second_lead")
    services.agree(assessment=a, actor=second, judgements=judgements_for(a))
    assert sorted(a.judgements.values_list("round", flat=True)) == [1, 2]


@pytest.mark.parametrize("state", ["draft", "submitted", "returned"])
def test_the_provider_lead_withdraws_from_draft_submitted_or_returned(party_a, state):
    a = walk(party_a, state)
    with pytest.raises(PermissionDenied):
        services.withdraw(assessment=a, actor=party_a.users[Role.PROVIDER_CONTRIBUTOR])
    a = services.withdraw(assessment=a, actor=party_a.users[Role.PROVIDER_LEAD])
    assert a.state == "withdrawn"


@pytest.mark.parametrize("state", ["under_review", "agreed"])
def test_a_claim_in_review_cannot_be_withdrawn(party_a, state):
    a = walk(party_a, state)
    with pytest.raises(ValidationError, match="cannot be withdrawn"):
        services.withdraw(assessment=a, actor=party_a.users[Role.PROVIDER_LEAD])


def test_every_transition_writes_one_audit_row_and_one_state_log_row(party_a):
    a = walk(party_a, "confirmed")
    assert [(f, t) for f, t, _ in transitions_of(a)] == [
        ("draft", "submitted"),
        ("submitted", "under_review"),
        ("under_review", "agreed"),
        ("agreed", "confirmed"),
    ]
    assert list(StateLog.objects.for_(a).values_list("state", flat=True)) == [
        "submitted",
        "under_review",
        "agreed",
        "confirmed",
    ]


def test_editing_a_returned_claim_reopens_it_with_a_new_pack(party_a):
    a = walk(party_a, "returned")
    first_pack = a.pack
    lead = party_a.users[Role.PROVIDER_LEAD]
    extra = EvidenceItemFactory(track=party_a.track)
    items = [*first_pack.items.all(), extra]
    a = services.edit_draft(assessment=a, actor=lead, expected_version=a.edit_version, items=items)
    assert a.state == "draft"
    assert a.pack != first_pack and not a.pack.is_locked
    assert set(a.pack.items.all()) == set(items)
    first_pack.refresh_from_db()
    assert first_pack.is_locked and extra not in first_pack.items.all()
    assert list(a.earlier_packs.all()) == [first_pack]
    a = services.submit(assessment=a, actor=lead, attest=True)
    assert a.state == "submitted"


def test_a_stale_draft_edit_is_refused_and_saves_nothing(party_a):
    a = draft(party_a)
    lead = party_a.users[Role.PROVIDER_LEAD]
    version = a.edit_version
    services.edit_draft(assessment=a, actor=lead, expected_version=version, summary="First.")
    with pytest.raises(services.StaleEdit):
        services.edit_draft(assessment=a, actor=lead, expected_version=version, summary="Second.")
    a.refresh_from_db()
    assert a.summary == "First."


def test_a_stale_instance_cannot_overwrite_a_newer_edit(party_a):
    a = draft(party_a)
    stale = Assessment.objects.get(pk=a.pk)
    services.edit_draft(
        assessment=a,
        actor=party_a.users[Role.PROVIDER_LEAD],
        expected_version=a.edit_version,
        summary="Newer.",
    )
    stale.summary = "Older."
    with pytest.raises(services.StaleEdit), transaction.atomic():
        stale.save()
    a.refresh_from_db()
    assert a.summary == "Newer."


def test_the_state_field_cannot_be_assigned(party_a):
    a = draft(party_a)
    with pytest.raises(AttributeError):
        a.state = "confirmed"
    with pytest.raises(AttributeError):
        party_a.track.level_rank = 5


def test_a_second_claim_cannot_go_into_review_for_the_same_track(party_a):
    walk(party_a, "submitted")
    second = draft(party_a, rank=2)
    with pytest.raises(ValidationError, match="already in review"):
        services.submit(assessment=second, actor=party_a.users[Role.PROVIDER_LEAD], attest=True)


def test_a_claim_needs_an_open_cycle_of_the_same_contract(party_a, party_b):
    with pytest.raises(ValidationError, match="review cycle of this contract"):
        services.draft_claim(
            track=party_a.track,
            cycle=party_b.cycle,
            claimed_rank=1,
            actor=party_a.users[Role.PROVIDER_LEAD],
        )
    closed = ReviewCycleFactory(
        contract=party_a.contract,
        opens_on=dt.date(2024, 1, 1),
        evidence_deadline=dt.date(2024, 2, 1),
        closes_on=dt.date(2024, 3, 1),
    )
    with pytest.raises(ValidationError, match="is not open"):
        services.draft_claim(
            track=party_a.track,
            cycle=closed,
            claimed_rank=1,
            actor=party_a.users[Role.PROVIDER_LEAD],
        )


def test_the_pack_takes_only_evidence_of_the_same_track(party_a, party_b):
    foreign = EvidenceItemFactory(track=party_b.track)
    with pytest.raises(ValidationError, match="Only current evidence uploaded for this focus"):
        services.draft_claim(
            track=party_a.track,
            cycle=party_a.cycle,
            claimed_rank=1,
            items=[foreign],
            actor=party_a.users[Role.PROVIDER_LEAD],
        )
    assert not Assessment.objects.exists()


# -- regressions ------------------------------------------------------------------------------


def _at_level_one(party):
    walk(party, "confirmed")
    party.track.refresh_from_db()
    return party.track


def test_a_regression_walks_the_table_and_moves_the_level_down(party_a):
    track = _at_level_one(party_a)
    lead = party_a.users[Role.CLIENT_LEAD]
    officer = party_a.users[Role.CLIENT_OFFICER]
    a = services.open_regression(
        track=track,
        cycle=party_a.cycle,
        claimed_rank=0,
        summary="No survey for two cycles.",
        actor=lead,
    )
    a = services.submit(assessment=a, actor=lead)
    a = services.start_review(assessment=a, actor=officer)
    with pytest.raises(PermissionDenied, match="someone else must agree"):
        services.agree(assessment=a, actor=lead, judgements=judgements_for(a))
    a = services.agree(assessment=a, actor=officer, judgements=judgements_for(a))
    a = services.confirm(assessment=a, actor=party_a.users[Role.BOARD_MEMBER])
    track.refresh_from_db()
    assert track.level_rank == 0
    assert a.state == "confirmed" and a.pack is None


def test_only_a_client_lead_opens_a_regression_and_only_downwards(party_a):
    track = _at_level_one(party_a)
    with pytest.raises(PermissionDenied):
        services.open_regression(
            track=track,
            cycle=party_a.cycle,
            claimed_rank=0,
            summary="x",
            actor=party_a.users[Role.CLIENT_OFFICER],
        )
    with pytest.raises(ValidationError, match="below the current one"):
        services.open_regression(
            track=track,
            cycle=party_a.cycle,
            claimed_rank=2,
            summary="x",
            actor=party_a.users[Role.CLIENT_LEAD],
        )


def test_the_provider_cannot_submit_or_withdraw_a_regression(party_a):
    track = _at_level_one(party_a)
    a = services.open_regression(
        track=track,
        cycle=party_a.cycle,
        claimed_rank=0,
        summary="Lapsed.",
        actor=party_a.users[Role.CLIENT_LEAD],
    )
    for name in ("submit", "withdraw"):
        with pytest.raises(PermissionDenied):
            getattr(services, name)(assessment=a, actor=party_a.users[Role.PROVIDER_LEAD])
    a.refresh_from_db()
    assert a.state == "draft"
