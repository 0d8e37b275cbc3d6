"""Targets are revised with a reason and keep every version; review cycles never overlap."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from contracts import services
from contracts.models import AnnualPlan, Commitment, ReviewCycle, Target
from contracts.roles import Role

pytestmark = pytest.mark.django_db


def test_revising_a_target_keeps_the_earlier_version(client, party_a):
    target = party_a.track.targets.get()
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    response = client.post(
        reverse("contracts:target_revise", args=[target.pk]),
        {"level_rank": "4", "due_date": "2027-03-31", "reason": "Bidder committed to more"},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.level_rank, target.due_date) == (4, dt.date(2027, 3, 31))
    assert [(r.level_rank, r.reason) for r in target.revisions.all()] == [
        (3, "Default target set when the contract went live."),
        (4, "Bidder committed to more"),
    ]


def test_revising_a_target_without_a_reason_is_refused(client, party_a):
    target = party_a.track.targets.get()
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    response = client.post(
        reverse("contracts:target_revise", args=[target.pk]),
        {"level_rank": "4", "due_date": "2027-03-31", "reason": ""},
    )
    assert response.context["form"].errors["reason"]
    target.refresh_from_db()
    assert target.level_rank == 3
    assert target.revisions.count() == 1


def test_a_client_officer_cannot_revise_a_target(client, party_a):
    target = party_a.track.targets.get()
    client.force_login(party_a.users[Role.CLIENT_OFFICER])
    response = client.post(
        reverse("contracts:target_revise", args=[target.pk]),
        {"level_rank": "1", "due_date": "2027-03-31", "reason": "Lower"},
    )
    assert response.status_code == 403
    target.refresh_from_db()
    assert target.level_rank == 3


def test_a_waived_target_cannot_be_revised(party_a):
    target = party_a.track.targets.get()
    Target.objects.filter(pk=target.pk).update(status=Target.Status.WAIVED)
    with pytest.raises(ValidationError, match="waived"):
        services.revise_target(
            target=target,
            actor=party_a.users[Role.CLIENT_LEAD],
            level_rank=4,
            due_date=dt.date(2028, 1, 1),
            reason="x",
        )


def test_a_client_lead_sets_another_target_on_a_track(client, party_a):
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    client.post(
        reverse("contracts:target_create", args=[party_a.track.pk]),
        {
            "level_rank": "5",
            "due_date": "2029-03-31",
            "reason": "Stretch",
            "requires_sustained": "on",
        },
    )
    target = party_a.track.targets.get(level_rank=5)
    assert target.requires_sustained
    assert target.revisions.count() == 1


def test_a_board_target_needs_a_board_member(party_a):
    with pytest.raises(PermissionDenied):
        services.set_target(
            track=party_a.track,
            actor=party_a.users[Role.CLIENT_LEAD],
            level_rank=5,
            due_date=dt.date(2029, 3, 31),
            reason="Board asked",
            source=Target.Source.BOARD,
        )
    target = services.set_target(
        track=party_a.track,
        actor=party_a.users[Role.BOARD_MEMBER],
        level_rank=5,
        due_date=dt.date(2029, 3, 31),
        reason="Board asked",
        source=Target.Source.BOARD,
    )
    assert target.source == Target.Source.BOARD


def _cycle_post(client, party, **data):
    return client.post(reverse("contracts:cycle_create", args=[party.contract.pk]), data)


def test_a_client_lead_adds_a_review_cycle(client, party_a):
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    response = _cycle_post(
        client,
        party_a,
        name="2028 Q1",
        opens_on="2028-01-01",
        evidence_deadline="2028-02-15",
        closes_on="2028-03-31",
    )
    assert response.status_code == 302
    assert ReviewCycle.objects.filter(contract=party_a.contract, name="2028 Q1").exists()


def test_overlapping_review_cycles_are_refused(client, party_a):
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    existing = party_a.cycle
    response = _cycle_post(
        client,
        party_a,
        name="Clash",
        opens_on=existing.closes_on.isoformat(),
        evidence_deadline=(existing.closes_on + dt.timedelta(days=10)).isoformat(),
        closes_on=(existing.closes_on + dt.timedelta(days=20)).isoformat(),
    )
    assert f"'{existing.name}'" in response.context["form"].non_field_errors()[0]
    assert not ReviewCycle.objects.filter(name="Clash").exists()


def test_review_cycle_dates_must_be_in_order(client, party_a):
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    response = _cycle_post(
        client,
        party_a,
        name="Backwards",
        opens_on="2028-03-01",
        evidence_deadline="2028-02-01",
        closes_on="2028-03-31",
    )
    assert response.context["form"].errors["evidence_deadline"]
    assert not ReviewCycle.objects.filter(name="Backwards").exists()


def test_a_review_cycle_must_fall_within_the_contract(client, party_a):
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    response = _cycle_post(
        client,
        party_a,
        name="Too late",
        opens_on="2031-01-01",
        evidence_deadline="2031-02-01",
        closes_on="2031-03-31",
    )
    assert "within the contract" in str(response.context["form"].errors["opens_on"])


def test_a_commitment_cannot_link_another_contracts_track(party_a, party_b):
    lead = party_a.users[Role.CLIENT_LEAD]
    plan = services.create_plan(
        contract=party_a.contract, actor=lead, year_starting=dt.date(2025, 4, 1), title="Plan"
    )
    with pytest.raises(ValidationError, match="only focus areas of this contract"):
        services.add_commitment(plan=plan, actor=lead, text="Pothole app", tracks=[party_b.track])
    assert not Commitment.objects.exists()


def test_commitments_are_listed_with_their_focus_areas(client, party_a):
    lead = party_a.users[Role.CLIENT_LEAD]
    plan = services.create_plan(
        contract=party_a.contract, actor=lead, year_starting=dt.date(2025, 4, 1), title="Plan"
    )
    client.force_login(lead)
    client.post(
        reverse("contracts:plan_detail", args=[party_a.contract.pk, plan.pk]),
        {"text": "Launch a pothole reporting app", "tracks": [party_a.track.pk]},
    )
    client.force_login(party_a.users[Role.PROVIDER_CONTRIBUTOR])
    body = client.get(reverse("contracts:plan_detail", args=[party_a.contract.pk, plan.pk]))
    assert "Launch a pothole reporting app" in body.content.decode()
    assert party_a.track.focus_area.name in body.content.decode()
    assert AnnualPlan.objects.get().commitments.get().tracks.get() == party_a.track


def test_posting_to_a_plan_as_a_provider_is_refused(client, party_a):
    lead = party_a.users[Role.CLIENT_LEAD]
    plan = services.create_plan(
        contract=party_a.contract, actor=lead, year_starting=dt.date(2025, 4, 1), title="Plan"
    )
    client.force_login(party_a.users[Role.PROVIDER_LEAD])
    response = client.post(
        reverse("contracts:plan_detail", args=[party_a.contract.pk, plan.pk]), {"text": "Mine"}
    )
    assert response.status_code == 403
    assert not Commitment.objects.exists()
