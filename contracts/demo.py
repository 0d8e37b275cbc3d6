"""Demonstration data: two Authorities, two providers, three contracts on the SPMM and one person
for every role, built through the same services people use (go-live, uploads, claims, reviews,
board confirmations and decisions), so everything on screen is reachable the real way.

Dates are set relative to the day the data is loaded, so targets are met, at risk, overdue and
on track as the pages are first opened. Loading is idempotent: when the demo contracts exist,
nothing is changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .models import Contract, Membership, Organisation, ReviewCycle, Track
from .roles import Role

DEMO_PASSWORD = "demo-password-2025"  # noqa: S105 - printed for the demo users; never production
SPMM_NAME = "Strategic Performance Maturity Matrix"
SPMM_SEED = (
    Path(settings.BASE_DIR) / "matrix" / "seeds" / "strategic_performance_maturity_matrix.tsv"
)

AUTHORITIES = ["Northshire County Council", "Southvale Borough Council"]
PROVIDERS = ["Apex Highways Ltd", "Meridian Infrastructure Services"]

#: (username, organisation or None, role) – one person for every role, and a second client lead
#: and provider lead so that both live contracts have people on each side.
PEOPLE = [
    ("northshire.officer", "Northshire County Council", Role.CLIENT_OFFICER),
    ("northshire.lead", "Northshire County Council", Role.CLIENT_LEAD),
    ("southvale.lead", "Southvale Borough Council", Role.CLIENT_LEAD),
    ("apex.contributor", "Apex Highways Ltd", Role.PROVIDER_CONTRIBUTOR),
    ("apex.lead", "Apex Highways Ltd", Role.PROVIDER_LEAD),
    ("meridian.lead", "Meridian Infrastructure Services", Role.PROVIDER_LEAD),
    ("board.member", None, Role.BOARD_MEMBER),
    ("auditor", None, Role.AUDITOR),
]
ADMIN_USERNAME = "admin"

HIGHWAYS = "NHW-2023-001"
LIGHTING = "SVB-2024-002"
WINTER = "NHW-2026-003"


@dataclass
class DemoResult:
    created: bool
    people: list[tuple[str, str, str]]
    password: str


def load_demo(*, today: dt.date | None = None) -> DemoResult:
    """Creates the demonstration data unless it is already there."""
    people = [(username, _role_label(role), org or "") for username, org, role in PEOPLE]
    people.append((ADMIN_USERNAME, "Administrator", "all contracts (Django admin)"))
    if Contract.objects.filter(reference=HIGHWAYS).exists():
        return DemoResult(created=False, people=people, password=DEMO_PASSWORD)
    _build(today or timezone.localdate())
    from monitoring.jobs import refresh_and_evaluate_targets

    refresh_and_evaluate_targets(today=today or timezone.localdate())
    return DemoResult(created=True, people=people, password=DEMO_PASSWORD)


def _role_label(role: str) -> str:
    return Role(role).label


def _spmm():
    from matrix.models import Framework
    from matrix.services import import_framework

    framework = (
        Framework.objects.filter(name=SPMM_NAME, status=Framework.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )
    if framework is None:
        framework = import_framework(
            content=SPMM_SEED.read_bytes(), filename=SPMM_SEED.name, name=SPMM_NAME, publish=True
        ).framework
    return framework


@transaction.atomic
def _build(today: dt.date) -> None:
    from . import services

    framework = _spmm()
    orgs = {
        name: Organisation.objects.get_or_create(
            name=name, defaults={"kind": Organisation.Kind.AUTHORITY}
        )[0]
        for name in AUTHORITIES
    }
    orgs |= {
        name: Organisation.objects.get_or_create(
            name=name, defaults={"kind": Organisation.Kind.PROVIDER}
        )[0]
        for name in PROVIDERS
    }
    User = get_user_model()
    users = {}
    for username, org, role in PEOPLE:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.org"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if org:
            Membership.objects.get_or_create(
                user=user, organisation=orgs[org], defaults={"role": role}
            )
        users[username] = user
    admin, created = User.objects.get_or_create(
        username=ADMIN_USERNAME,
        defaults={"email": "admin@example.org", "is_staff": True, "is_superuser": True},
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()

    highways = services.create_contract(
        actor=users["northshire.lead"],
        reference=HIGHWAYS,
        title="Highways term maintenance",
        authorities=[orgs["Northshire County Council"], orgs["Southvale Borough Council"]],
        provider=orgs["Apex Highways Ltd"],
        framework=framework,
        start_date=dt.date(2023, 4, 1),
        end_date=today.replace(year=today.year + 5),
        extension_options="Two extensions of up to two years each, at the Authorities' discretion.",
        default_target_rank=3,
        default_target_date=today + dt.timedelta(days=60),
    )
    lighting = services.create_contract(
        actor=users["southvale.lead"],
        reference=LIGHTING,
        title="Street lighting maintenance and renewal",
        authorities=[orgs["Southvale Borough Council"]],
        provider=orgs["Meridian Infrastructure Services"],
        framework=framework,
        start_date=dt.date(2024, 4, 1),
        end_date=today.replace(year=today.year + 6),
        default_target_rank=3,
        default_target_date=today + dt.timedelta(days=400),
    )
    services.create_contract(
        actor=users["northshire.lead"],
        reference=WINTER,
        title="Winter service and gritting",
        authorities=[orgs["Northshire County Council"]],
        provider=orgs["Apex Highways Ltd"],
        framework=framework,
        start_date=today + dt.timedelta(days=120),
        end_date=today.replace(year=today.year + 4),
        default_target_rank=3,
        default_target_date=today.replace(year=today.year + 2),
    )
    highways.board_members.add(users["board.member"])
    lighting.board_members.add(users["board.member"])
    lighting.auditors.add(users["auditor"])
    for contract, lead in ((highways, "northshire.lead"), (lighting, "southvale.lead")):
        services.go_live(contract=contract, actor=users[lead])
        _cycles(contract, users[lead], today)

    _highways_story(highways, users, today)
    _lighting_story(lighting, users, today)


def _cycles(contract: Contract, lead, today: dt.date) -> None:
    from . import services

    starts = [today - dt.timedelta(days=120), today - dt.timedelta(days=30)]
    for name, opens in zip(("Previous quarter", "Current quarter"), starts, strict=True):
        services.create_cycle(
            contract=contract,
            actor=lead,
            name=name,
            opens_on=opens,
            evidence_deadline=opens + dt.timedelta(days=60),
            closes_on=opens + dt.timedelta(days=89),
        )


def _track(contract: Contract, focus: str) -> Track:
    return contract.tracks.select_related("focus_area").get(focus_area__name=focus)


def _evidence(track: Track, uploader, cycle: ReviewCycle) -> list:
    """One current text report per evidence type, as a provider would upload them."""
    from evidence.services import upload_evidence

    items = []
    for evidence_type in track.focus_area.evidence_types.order_by("order"):
        body = (
            f"{evidence_type.name}\n{track.contract.reference} {track.contract.title}\n"
            f"Focus area: {track.focus_area.name}\nPeriod: {cycle.opens_on} to "
            f"{cycle.evidence_deadline}\n\nSummary of progress against the plan for the period.\n"
        )
        slug = "".join(c if c.isalnum() else "-" for c in evidence_type.name.lower())[:60]
        items.append(
            upload_evidence(
                actor=uploader,
                track=track,
                evidence_type=evidence_type,
                file=ContentFile(body.encode(), name=f"{slug}.txt"),
                period_start=cycle.opens_on,
                period_end=cycle.evidence_deadline,
                description=f"{evidence_type.name} for {cycle.name}",
            )
        )
    return items


def _claim(track: Track, rank: int, users: dict, people: dict, *, until: str = "confirmed"):
    """A level claim taken through the real workflow as far as `until`."""
    from workflows import services as workflow

    cycle = track.contract.cycles.get(name="Current quarter")
    items = _evidence(track, people["provider"], cycle)
    claim = workflow.draft_claim(
        track=track,
        cycle=cycle,
        claimed_rank=rank,
        summary=f"The evidence pack shows {track.focus_area.name} at level {rank}.",
        items=items,
        actor=people["provider"],
    )
    claim = workflow.submit(assessment=claim, actor=people["provider"], attest=True)
    if until == "submitted":
        return claim
    claim = workflow.start_review(assessment=claim, actor=people["reviewer"])
    judgements = [
        {"verdict": "met", "comment": "Borne out by the evidence pack."} for _ in claim.criteria()
    ]
    claim = workflow.agree(
        assessment=claim,
        actor=people["reviewer"],
        judgements=judgements,
        comment="The pack supports the level.",
    )
    if until == "agreed":
        return claim
    return workflow.confirm(
        assessment=claim, actor=users["board.member"], comment="Ratified by the board."
    )


def _highways_story(contract: Contract, users: dict, today: dt.date) -> None:
    from workflows import services as workflow

    from . import services

    people = {"provider": users["apex.lead"], "reviewer": users["northshire.officer"]}
    met = []
    for focus, rank in (("Customer service", 3), ("Asset management", 3)):
        met.append(_claim(_track(contract, focus), rank, users, people))
    _claim(_track(contract, "Social Value"), 2, users, people)
    _claim(_track(contract, "Network management"), 1, users, people)
    _claim(_track(contract, "Day to day service delivery"), 2, users, people, until="agreed")
    _claim(
        _track(contract, "Innovation, improvement and value for money"),
        1,
        users,
        people,
        until="submitted",
    )
    lead = users["northshire.lead"]
    overdue = _track(contract, "Contract financial resilience").targets.get()
    services.revise_target(
        target=overdue,
        actor=lead,
        level_rank=3,
        due_date=today - dt.timedelta(days=20),
        reason="Brought forward under the financial recovery plan agreed at the last board.",
    )
    later = _track(contract, "Culture and collaborative benefit").targets.get()
    services.revise_target(
        target=later,
        actor=lead,
        level_rank=3,
        due_date=today + dt.timedelta(days=540),
        reason="Re-phased: the joint culture programme starts next year.",
    )
    meeting = workflow.create_meeting(
        contract=contract,
        actor=users["board.member"],
        held_on=today - dt.timedelta(days=7),
        attendees=[users["board.member"]],
        other_attendees="Northshire and Southvale client leads; Apex contract director",
        minutes="Reviewed the quarter's claims. Customer service and asset management reached "
        "level 3 ahead of the target date.",
    )
    workflow.record_decision(
        contract=contract,
        actor=users["board.member"],
        meeting=meeting,
        kind="reward",
        clause="Schedule 7, paragraph 4.2",
        rationale="Customer service and asset management reached level 3 ahead of the target "
        "date; the performance reward applies.",
        targets=[claim.track.targets.get() for claim in met],
        assessments=met,
    )
    workflow.create_meeting(
        contract=contract,
        actor=users["board.member"],
        held_on=today + dt.timedelta(days=14),
        attendees=[users["board.member"]],
        minutes="",
    )


def _lighting_story(contract: Contract, users: dict, today: dt.date) -> None:
    from . import services

    people = {"provider": users["meridian.lead"], "reviewer": users["southvale.lead"]}
    _claim(_track(contract, "Customer service"), 3, users, people)
    _claim(_track(contract, "Asset management"), 1, users, people)
    overdue = _track(contract, "Network management").targets.get()
    services.revise_target(
        target=overdue,
        actor=users["southvale.lead"],
        level_rank=2,
        due_date=today - dt.timedelta(days=10),
        reason="Interim milestone from the lighting renewal programme.",
    )
    at_risk = _track(contract, "Social Value").targets.get()
    services.revise_target(
        target=at_risk,
        actor=users["southvale.lead"],
        level_rank=2,
        due_date=today + dt.timedelta(days=45),
        reason="Social value commitments brought forward in the annual plan.",
    )
