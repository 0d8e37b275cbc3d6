"""Factories and helpers for the claim workflow tests: evidence rows without files, people with
extra roles, and claims walked to a given state through the real services."""

from __future__ import annotations

import datetime as dt

from contracts.models import Membership
from contracts.roles import Role
from evidence.models import EvidenceItem
from tests.factories import EvidenceItemFactory, UserFactory
from workflows import services
from workflows.models import Assessment


def evidence_for(track, *, cycle=None, up_to_rank: int = 5, **kwargs) -> list[EvidenceItem]:
    """One current item for every evidence type of the track's focus area."""
    items = []
    for evidence_type in track.focus_area.evidence_types.order_by("order"):
        if evidence_type.applies_from is not None and evidence_type.applies_from.rank > up_to_rank:
            continue
        extra = dict(kwargs)
        if cycle is not None:
            extra.setdefault("period_start", cycle.opens_on)
            extra.setdefault("period_end", min(cycle.evidence_deadline, dt.date.today()))
        items.append(EvidenceItemFactory(track=track, evidence_type=evidence_type, **extra))
    return items


def add_person(party, role: str, username: str):
    """Another person with `role` on the party's contract (for separation-of-duty cases)."""
    user = UserFactory(username=username)
    if role in (Role.CLIENT_OFFICER, Role.CLIENT_LEAD):
        Membership.objects.create(user=user, organisation=party.authority, role=role)
    elif role in (Role.PROVIDER_CONTRIBUTOR, Role.PROVIDER_LEAD):
        Membership.objects.create(user=user, organisation=party.provider, role=role)
    elif role == Role.BOARD_MEMBER:
        party.contract.board_members.add(user)
    elif role == Role.AUDITOR:
        party.contract.auditors.add(user)
    return user


def judgements_for(assessment: Assessment, verdict: str = "met") -> list[dict]:
    return [
        {"verdict": verdict, "comment": f"Seen in the pack: {criterion[:30]}"}
        for criterion in assessment.criteria()
    ]


def draft(party, *, rank: int | None = None, with_evidence: bool = True) -> Assessment:
    track = party.track
    items = evidence_for(track, cycle=party.cycle) if with_evidence else []
    return services.draft_claim(
        track=track,
        cycle=party.cycle,
        claimed_rank=track.level_rank + 1 if rank is None else rank,
        summary="We meet the level.",
        items=items,
        actor=party.users[Role.PROVIDER_LEAD],
    )


STEPS = ["submitted", "under_review", "agreed", "confirmed"]


def walk(party, to: str, assessment: Assessment | None = None) -> Assessment:
    """A claim taken through the real services up to state `to`."""
    users = party.users
    a = assessment or draft(party)
    if to == "draft":
        return a
    a = services.submit(assessment=a, actor=users[Role.PROVIDER_LEAD], attest=True)
    if to == "submitted":
        return a
    a = services.start_review(assessment=a, actor=users[Role.CLIENT_OFFICER])
    if to == "under_review":
        return a
    if to == "returned":
        return services.return_for_evidence(
            assessment=a, actor=users[Role.CLIENT_OFFICER], comment="Add the survey."
        )
    if to == "rejected":
        return services.reject(assessment=a, actor=users[Role.CLIENT_LEAD], reason="Not there.")
    a = services.agree(assessment=a, actor=users[Role.CLIENT_OFFICER], judgements=judgements_for(a))
    if to == "agreed":
        return a
    a = services.confirm(assessment=a, actor=users[Role.BOARD_MEMBER])
    assert to == "confirmed", to
    return a
