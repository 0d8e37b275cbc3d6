"""Operations on level claims and board decisions: one function per operation, each atomic.

Every operation checks the actor through `contracts.access` and the transition's own permission,
refuses bad input with a `ValidationError` that says what to fix, refuses a role that may not act
with `PermissionDenied`, and answers a concurrent change with `StaleEdit` (a
`django_fsm.ConcurrentTransition`; pages turn it into 409). Transitions are written to the audit
trail and StateLog by `audit.signals`; other events go through `audit.services.record`.
Notifications are queued in the same transaction and sent after it commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import record
from contracts.access import ContractAccess, contract_access
from contracts.models import Contract, ReviewCycle, Target, Track
from contracts.roles import CLIENT_ROLES, Action, Role
from evidence import packs
from evidence.models import EvidenceItem
from monitoring.services import queue_notification

from .models import Assessment, BoardDecision, BoardMeeting, StaleEdit, judgement_errors

__all__ = [
    "StaleEdit",
    "agree",
    "confirm",
    "create_meeting",
    "draft_claim",
    "edit_draft",
    "open_regression",
    "record_decision",
    "refer_back",
    "reject",
    "return_for_evidence",
    "start_review",
    "submit",
    "update_meeting",
    "withdraw",
]

#: How each transition reads in a sentence ("cannot be …", "… by someone").
PAST = {
    "submit": "submitted",
    "start_review": "taken into review",
    "return_for_evidence": "returned for evidence",
    "reopen": "reopened",
    "agree": "agreed",
    "reject": "rejected",
    "confirm": "confirmed",
    "refer_back": "referred back",
    "withdraw": "withdrawn",
}


# -- helpers ----------------------------------------------------------------------------------


def _access(actor, contract: Contract) -> ContractAccess:
    access = contract_access(actor, contract)
    if not access.roles:
        raise PermissionDenied("You are not a party to this contract.")
    return access


def _fresh(assessment: Assessment, expected_version: int | None) -> Assessment:
    """The assessment as stored now; `StaleEdit` when it moved on from what the person saw."""
    fresh = Assessment.objects.select_related(
        "track__contract", "track__focus_area", "cycle", "pack"
    ).get(pk=assessment.pk)
    if expected_version is not None and fresh.edit_version != int(expected_version):
        raise StaleEdit("The assessment was changed by someone else since you opened it.")
    return fresh


def _check_rank(track: Track, rank, *, regression: bool) -> int:
    try:
        rank = int(rank)
    except (TypeError, ValueError):
        raise ValidationError({"claimed_rank": "Choose the level being claimed."}) from None
    ranks = set(track.contract.framework.levels.values_list("rank", flat=True))
    if rank not in ranks:
        raise ValidationError({"claimed_rank": "Choose a level on the framework's scale."})
    if regression and rank >= track.level_rank:
        raise ValidationError(
            {
                "claimed_rank": f"A regression must claim a level below the current one "
                f"({track.level_rank})."
            }
        )
    if not regression and rank == track.level_rank:
        raise ValidationError(
            {"claimed_rank": f"The track is already at level {rank}; claim a different level."}
        )
    return rank


def _check_cycle(track: Track, cycle: ReviewCycle) -> None:
    if cycle.contract_id != track.contract_id:
        raise ValidationError({"cycle": "Choose a review cycle of this contract."})
    if not cycle.is_open_on(timezone.localdate()):
        raise ValidationError(
            {
                "cycle": f"Review cycle {cycle.name} is not open "
                f"({cycle.opens_on:%d %b %Y} to {cycle.closes_on:%d %b %Y})."
            }
        )


def _check_running(contract: Contract) -> None:
    if contract.state not in (Contract.State.LIVE, Contract.State.EXTENDED):
        raise ValidationError(
            f"Contract {contract.reference} is {contract.get_state_display().lower()}: claims "
            "are made only while it is live or extended."
        )


def _in_review_elsewhere(assessment: Assessment) -> Assessment | None:
    return (
        Assessment.objects.filter(
            track_id=assessment.track_id, state__in=Assessment.IN_REVIEW_STATES
        )
        .exclude(pk=assessment.pk)
        .first()
    )


def submit_problems(assessment: Assessment) -> list[str]:
    """Everything that stops a draft from being submitted now, each naming what to fix."""
    problems: list[str] = []
    contract = assessment.track.contract
    if contract.state not in (Contract.State.LIVE, Contract.State.EXTENDED):
        problems.append(
            f"Contract {contract.reference} is {contract.get_state_display().lower()}: claims "
            "are submitted only while it is live or extended."
        )
    cycle = assessment.cycle
    if not cycle.is_open_on(timezone.localdate()):
        problems.append(
            f"Review cycle {cycle.name} is not open ({cycle.opens_on:%d %b %Y} to "
            f"{cycle.closes_on:%d %b %Y})."
        )
    current = assessment.track.level_rank
    if assessment.is_regression and assessment.claimed_rank >= current:
        problems.append(f"A regression must claim a level below the current one ({current}).")
    elif not assessment.is_regression and assessment.claimed_rank == current:
        problems.append(f"The track is already at level {current}; claim a different level.")
    if not assessment.is_regression:
        if assessment.pack is None:
            problems.append("Add an evidence pack to the claim.")
        else:
            problems.extend(
                packs.missing_for_pack(assessment.pack, assessment.claimed_rank).messages()
            )
    other = _in_review_elsewhere(assessment)
    if other is not None:
        problems.append(
            f"Assessment #{other.pk} for this focus area is already in review; it must be "
            "decided or withdrawn first."
        )
    return problems


def _refusal(assessment: Assessment, name: str, actor) -> str:
    if name == "agree" and actor.pk == assessment.submitted_by_id:
        return "You submitted this claim, so someone else must agree it."
    if name == "confirm" and actor.pk == assessment.agreed_by_id:
        return "You agreed this level, so another board member must confirm it."
    return f"Your role on this contract does not allow this claim to be {PAST[name]}."


def _transition(
    assessment: Assessment, name: str, actor, *, description: str = "", **kwargs
) -> Assessment:
    """Runs one transition on a fresh row and saves it under the optimistic lock."""
    _access(actor, assessment.track.contract)
    method = getattr(assessment, name)
    meta = method._django_fsm
    if not meta.has_transition(assessment.state):
        raise ValidationError(
            f"A claim that is {assessment.get_state_display().lower()} cannot be {PAST[name]}."
        )
    if not meta.has_transition_perm(assessment, assessment.state, actor):
        raise PermissionDenied(_refusal(assessment, name, actor))
    if not meta.conditions_met(assessment, assessment.state):
        raise ValidationError(f"The claim cannot be {PAST[name]} yet.")
    method(by=actor, description=description.strip(), **kwargs)
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError as exc:  # another claim for the track went into review meanwhile
        raise StaleEdit("Another claim for this focus area went into review meanwhile.") from exc
    return assessment


def _users(qs) -> list:
    return list(qs.distinct().order_by("pk"))


def client_team(contract: Contract):
    User = get_user_model()
    return _users(
        User.objects.filter(
            is_active=True,
            memberships__role__in=CLIENT_ROLES,
            memberships__organisation__in=contract.authorities.all(),
        )
    )


def provider_leads(contract: Contract):
    User = get_user_model()
    return _users(
        User.objects.filter(
            is_active=True,
            memberships__role=Role.PROVIDER_LEAD,
            memberships__organisation_id=contract.provider_id,
        )
    )


def board(contract: Contract):
    return _users(contract.board_members.filter(is_active=True))


def _notify(assessment: Assessment, name: str, actor, recipients: Iterable, comment: str = ""):
    contract = assessment.track.contract
    url = reverse("workflows:assessment_detail", args=[assessment.pk])
    subject = (
        f"{contract.reference}: {assessment.get_kind_display().lower()} for "
        f"{assessment.track.focus_area.name} (level {assessment.claimed_rank}) {PAST[name]}"
    )
    body = f"{subject} by {actor.get_username()}."
    if comment:
        body += f"\n\n{comment}"
    seen = set()
    for user in recipients:
        if user.pk == actor.pk or user.pk in seen:
            continue
        seen.add(user.pk)
        queue_notification(
            recipient=user,
            kind=f"assessment_{name}",
            dedup_key=f"assessment:{assessment.pk}:v{assessment.edit_version}:{name}:{user.pk}",
            subject=subject,
            body=body,
            url=url,
            contract=contract,
        )


def _author_side(assessment: Assessment) -> list:
    """Who hears about the outcome: the provider's leads, and a regression's submitter."""
    people = provider_leads(assessment.track.contract)
    if assessment.is_regression and assessment.submitted_by is not None:
        people.append(assessment.submitted_by)
    return people


# -- drafting ---------------------------------------------------------------------------------


@transaction.atomic
def draft_claim(
    *,
    track: Track,
    cycle: ReviewCycle,
    claimed_rank: int,
    actor,
    summary: str = "",
    items: Iterable[EvidenceItem] = (),
) -> Assessment:
    """A provider's draft level claim with its (unlocked) evidence pack."""
    track = Track.objects.select_related("contract__framework", "focus_area").get(pk=track.pk)
    _access(actor, track.contract).require(Action.DRAFT_CLAIM)
    _check_running(track.contract)
    _check_cycle(track, cycle)
    rank = _check_rank(track, claimed_rank, regression=False)
    pack = packs.create_pack(track=track, cycle=cycle, actor=actor, items=items)
    assessment = Assessment.objects.create(
        track=track,
        cycle=cycle,
        kind=Assessment.Kind.CLAIM,
        claimed_rank=rank,
        from_rank=track.level_rank,
        pack=pack,
        summary=(summary or "").strip(),
        created_by=actor,
    )
    record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=assessment,
        to_state=assessment.state,
        comment=f"Claim for level {rank} drafted in {cycle.name} with "
        f"{pack.items.count()} evidence item(s).",
    )
    return assessment


@transaction.atomic
def open_regression(
    *, track: Track, cycle: ReviewCycle, claimed_rank: int, summary: str, actor
) -> Assessment:
    """A client lead's case that the track's level was not sustained and should go down."""
    track = Track.objects.select_related("contract__framework", "focus_area").get(pk=track.pk)
    _access(actor, track.contract).require(Action.REJECT)
    _check_running(track.contract)
    _check_cycle(track, cycle)
    rank = _check_rank(track, claimed_rank, regression=True)
    if not (summary or "").strip():
        raise ValidationError({"summary": "Say why the level has not been sustained."})
    assessment = Assessment.objects.create(
        track=track,
        cycle=cycle,
        kind=Assessment.Kind.REGRESSION,
        claimed_rank=rank,
        from_rank=track.level_rank,
        summary=summary.strip(),
        created_by=actor,
    )
    record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=assessment,
        to_state=assessment.state,
        comment=f"Regression from level {track.level_rank} to {rank} opened in {cycle.name}.",
    )
    return assessment


@transaction.atomic
def edit_draft(
    *,
    assessment: Assessment,
    actor,
    expected_version: int,
    claimed_rank: int | None = None,
    summary: str | None = None,
    items: Iterable[EvidenceItem] | None = None,
) -> Assessment:
    """Changes a draft's claimed level, summary or pack; a returned claim goes back to draft.

    `expected_version` is the `edit_version` the person edited: a stale one raises `StaleEdit`.
    """
    assessment = _fresh(assessment, expected_version)
    _access(actor, assessment.track.contract)
    if not assessment.is_editable:
        raise ValidationError(
            f"A claim that is {assessment.get_state_display().lower()} cannot be edited."
        )
    from .models import may_author

    if not may_author(assessment, actor):
        raise PermissionDenied("Your role on this contract does not allow editing this claim.")
    changes = []
    rank = assessment.claimed_rank
    if claimed_rank is not None and int(claimed_rank) != assessment.claimed_rank:
        rank = _check_rank(assessment.track, claimed_rank, regression=assessment.is_regression)
        changes.append(f"level {assessment.claimed_rank} → {rank}")
    new_summary = assessment.summary if summary is None else summary.strip()
    if assessment.is_regression and not new_summary:
        raise ValidationError({"summary": "Say why the level has not been sustained."})
    if new_summary != assessment.summary:
        changes.append("summary changed")
    if items is not None and assessment.is_regression:
        raise ValidationError({"items": "A regression has no evidence pack."})
    if assessment.state == Assessment.State.RETURNED:
        _transition(assessment, "reopen", actor, description="Reopened to add evidence.")
    assessment.claimed_rank = rank
    assessment.summary = new_summary
    assessment.save()
    if items is not None and assessment.pack is not None:
        items = list(items)
        before = set(assessment.pack.items.values_list("pk", flat=True))
        packs.set_pack_items(pack=assessment.pack, actor=actor, items=items)
        after = {item.pk for item in items}
        if before != after:
            changes.append(f"pack now holds {len(after)} evidence item(s)")
    record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=assessment,
        comment="Draft edited: " + (", ".join(changes) or "no change"),
    )
    return assessment


# -- transitions ------------------------------------------------------------------------------


@transaction.atomic
def submit(
    *,
    assessment: Assessment,
    actor,
    attest: bool = False,
    comment: str = "",
    expected_version: int | None = None,
) -> Assessment:
    """Submits a draft to the client team; a claim's pack is locked with the attestation."""
    assessment = _fresh(assessment, expected_version)
    if assessment.state == Assessment.State.DRAFT:
        _access(actor, assessment.track.contract)
        from .models import may_submit

        if not may_submit(assessment, actor):
            raise PermissionDenied(_refusal(assessment, "submit", actor))
        problems = submit_problems(assessment)
        if not assessment.is_regression and not attest:
            problems.append(
                "Confirm that the evidence pack relates to this contract and review cycle."
            )
        if problems:
            raise ValidationError(problems)
    description = comment.strip()
    if not assessment.is_regression:
        attestation = packs.attestation_text(assessment.pack)
        description = f"{description}\n{attestation}".strip()
    _transition(assessment, "submit", actor, description=description)
    if assessment.pack is not None:
        assessment.pack = packs.lock_pack(
            pack=assessment.pack, actor=actor, attestation=packs.attestation_text(assessment.pack)
        )
    _notify(assessment, "submit", actor, client_team(assessment.track.contract), comment)
    return assessment


@transaction.atomic
def start_review(
    *, assessment: Assessment, actor, comment: str = "", expected_version: int | None = None
) -> Assessment:
    assessment = _fresh(assessment, expected_version)
    return _transition(assessment, "start_review", actor, description=comment)


@transaction.atomic
def return_for_evidence(
    *, assessment: Assessment, actor, comment: str, expected_version: int | None = None
) -> Assessment:
    """Sends the claim back to its author, naming the evidence that is missing."""
    assessment = _fresh(assessment, expected_version)
    _transition(assessment, "return_for_evidence", actor, description=comment)
    _notify(assessment, "return_for_evidence", actor, _author_side(assessment), comment)
    return assessment


@transaction.atomic
def agree(
    *,
    assessment: Assessment,
    actor,
    judgements: Sequence[dict],
    comment: str = "",
    expected_version: int | None = None,
) -> Assessment:
    """Agrees the level with a judgement (verdict and comment) on every criterion of it."""
    assessment = _fresh(assessment, expected_version)
    if assessment.state == Assessment.State.UNDER_REVIEW:
        _access(actor, assessment.track.contract)
        from .models import may_agree

        if may_agree(assessment, actor):
            errors = judgement_errors(assessment.criteria(), judgements)
            if errors:
                raise ValidationError(errors)
    _transition(assessment, "agree", actor, description=comment, judgements=list(judgements))
    _notify(assessment, "agree", actor, board(assessment.track.contract), comment)
    return assessment


@transaction.atomic
def reject(
    *, assessment: Assessment, actor, reason: str, expected_version: int | None = None
) -> Assessment:
    assessment = _fresh(assessment, expected_version)
    _transition(assessment, "reject", actor, description=reason)
    _notify(assessment, "reject", actor, _author_side(assessment), reason)
    return assessment


@transaction.atomic
def confirm(
    *, assessment: Assessment, actor, comment: str = "", expected_version: int | None = None
) -> Assessment:
    """The board ratifies an agreed level: the track moves to it, with this claim as the cause."""
    assessment = _fresh(assessment, expected_version)
    _transition(assessment, "confirm", actor, description=comment)
    _notify(assessment, "confirm", actor, _author_side(assessment), comment)
    return assessment


@transaction.atomic
def refer_back(
    *, assessment: Assessment, actor, reason: str, expected_version: int | None = None
) -> Assessment:
    assessment = _fresh(assessment, expected_version)
    _transition(assessment, "refer_back", actor, description=reason)
    people = [*_author_side(assessment)]
    if assessment.agreed_by is not None:
        people.append(assessment.agreed_by)
    _notify(assessment, "refer_back", actor, people, reason)
    return assessment


@transaction.atomic
def withdraw(
    *, assessment: Assessment, actor, comment: str = "", expected_version: int | None = None
) -> Assessment:
    assessment = _fresh(assessment, expected_version)
    was_with_client = assessment.state == Assessment.State.SUBMITTED
    _transition(assessment, "withdraw", actor, description=comment)
    if was_with_client:
        _notify(assessment, "withdraw", actor, client_team(assessment.track.contract), comment)
    return assessment


# -- the board --------------------------------------------------------------------------------


def _board_access(actor, contract: Contract) -> None:
    _access(actor, contract).require(Action.DECIDE)


@transaction.atomic
def create_meeting(
    *,
    contract: Contract,
    actor,
    held_on: dt.date,
    attendees: Iterable = (),
    other_attendees: str = "",
    minutes: str = "",
) -> BoardMeeting:
    """A board meeting of the contract; attendees must be on its board."""
    _board_access(actor, contract)
    attendees = list(attendees)
    members = set(contract.board_members.values_list("pk", flat=True))
    strangers = [u for u in attendees if u.pk not in members]
    if strangers:
        names = ", ".join(u.get_username() for u in strangers)
        raise ValidationError({"attendees": f"Not on this contract's board: {names}."})
    meeting = BoardMeeting.objects.create(
        contract=contract,
        held_on=held_on,
        other_attendees=(other_attendees or "").strip(),
        minutes=(minutes or "").strip(),
    )
    meeting.attendees.set(attendees)
    record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=meeting,
        contract_id=contract.pk,
        comment=f"Board meeting of {held_on:%d %b %Y} recorded.",
    )
    return meeting


@transaction.atomic
def update_meeting(
    *,
    meeting: BoardMeeting,
    actor,
    minutes: str,
    attendees: Iterable | None = None,
    other_attendees: str | None = None,
) -> BoardMeeting:
    """Adds or corrects a meeting's minutes and attendance (the change is on the audit trail)."""
    meeting = BoardMeeting.objects.select_for_update().get(pk=meeting.pk)
    _board_access(actor, meeting.contract)
    if attendees is not None:
        attendees = list(attendees)
        members = set(meeting.contract.board_members.values_list("pk", flat=True))
        strangers = [u for u in attendees if u.pk not in members]
        if strangers:
            names = ", ".join(u.get_username() for u in strangers)
            raise ValidationError({"attendees": f"Not on this contract's board: {names}."})
        meeting.attendees.set(attendees)
    meeting.minutes = (minutes or "").strip()
    if other_attendees is not None:
        meeting.other_attendees = other_attendees.strip()
    meeting.save()
    record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=meeting,
        contract_id=meeting.contract_id,
        comment="Minutes and attendance updated.",
    )
    return meeting


@transaction.atomic
def record_decision(
    *,
    contract: Contract,
    actor,
    kind: str,
    clause: str,
    rationale: str,
    meeting: BoardMeeting | None = None,
    targets: Iterable[Target] = (),
    assessments: Iterable[Assessment] = (),
    supersedes: BoardDecision | None = None,
    new_end_date: dt.date | None = None,
    target_track: Track | None = None,
    target_level_rank: int | None = None,
    target_due_date: dt.date | None = None,
    target_requires_sustained: bool = False,
) -> BoardDecision:
    """Records a board decision with the facts it rests on, and carries out what it decides.

    - extension granted: the contract moves to *extended* with `new_end_date`;
    - target set: a new board target on `target_track` (its first revision included);
    - target waived: each linked open target is waived.
    The decision is immutable; a later one may supersede it.
    """
    from .selectors import facts_snapshot

    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _board_access(actor, contract)
    errors: dict[str, list[str]] = {}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if kind not in BoardDecision.Kind.values:
        err("kind", "Choose the kind of decision.")
    clause = (clause or "").strip()
    rationale = (rationale or "").strip()
    if not clause:
        err("clause", "Cite the contract clause the decision applies.")
    if not rationale:
        err("rationale", "State the rationale for the decision.")
    targets = list(targets)
    assessments = list(assessments)
    foreign_targets = [t for t in targets if t.track.contract_id != contract.pk]
    if foreign_targets:
        err("targets", "Link only targets of this contract.")
    foreign = [a for a in assessments if a.track.contract_id != contract.pk]
    if foreign:
        err("assessments", "Link only assessments of this contract.")
    if meeting is not None and meeting.contract_id != contract.pk:
        err("meeting", "The meeting must be one of this contract's board meetings.")
    if supersedes is not None:
        if supersedes.contract_id != contract.pk:
            err("supersedes", "A decision can only supersede one on the same contract.")
        elif BoardDecision.objects.filter(supersedes=supersedes).exists():
            err("supersedes", "That decision has already been superseded.")
    if kind == BoardDecision.Kind.EXTENSION_GRANTED:
        if new_end_date is None:
            err("new_end_date", "Give the new end date of the extended contract.")
        elif new_end_date <= contract.end_date:
            err("new_end_date", f"The new end date must be after {contract.end_date:%d %b %Y}.")
        if contract.state not in (Contract.State.LIVE, Contract.State.EXTENDED):
            err("kind", f"A {contract.get_state_display().lower()} contract cannot be extended.")
    elif new_end_date is not None:
        err("new_end_date", "A new end date goes only with an extension granted.")
    if kind == BoardDecision.Kind.TARGET_SET:
        if target_track is None or target_track.contract_id != contract.pk:
            err("target_track", "Choose the focus area of this contract the target is for.")
        ranks = set(contract.framework.levels.values_list("rank", flat=True))
        if target_level_rank is None or int(target_level_rank) not in ranks:
            err("target_level_rank", "Choose a level on the framework's scale.")
        if target_due_date is None:
            err("target_due_date", "Give the date the level is due by.")
        elif target_due_date <= timezone.localdate():
            err("target_due_date", "The due date must be in the future.")
    if kind == BoardDecision.Kind.TARGET_WAIVED:
        if not targets:
            err("targets", "Choose the target(s) to waive.")
        closed = [t for t in targets if t.status not in Target.OPEN_STATUSES]
        if closed:
            err("targets", "Only open targets can be waived (not met, missed or waived ones).")
    if errors:
        raise ValidationError(errors)

    if kind == BoardDecision.Kind.TARGET_SET:
        from contracts.services import set_target

        targets.append(
            set_target(
                track=target_track,
                actor=actor,
                level_rank=int(target_level_rank),
                due_date=target_due_date,
                requires_sustained=bool(target_requires_sustained),
                reason=f"Board decision under clause {clause}: {rationale}",
                source=Target.Source.BOARD,
            )
        )

    # The snapshot is taken before the decision changes anything.
    snapshot = facts_snapshot(contract, targets=targets, assessments=assessments)
    decision = BoardDecision.objects.create(
        contract=contract,
        meeting=meeting,
        kind=kind,
        clause=clause,
        rationale=rationale,
        facts_snapshot=snapshot,
        new_end_date=new_end_date,
        supersedes=supersedes,
        recorded_by=actor,
    )
    decision.targets.set(targets)
    decision.assessments.set(assessments)
    decision.seal()

    summary = f"{decision.get_kind_display()} under clause {clause}: {rationale}"
    if kind == BoardDecision.Kind.EXTENSION_GRANTED:
        contract.extend(new_end_date, by=actor, description=f"Board decision #{decision.pk}.")
        contract.save()
    elif kind == BoardDecision.Kind.TARGET_WAIVED:
        now = timezone.now()
        for target in targets:
            Target.objects.filter(pk=target.pk).update(
                status=Target.Status.WAIVED, status_changed_at=now
            )
            record(
                actor=actor,
                action=AuditEvent.Action.CHANGE,
                obj=target,
                contract_id=contract.pk,
                from_state=target.status,
                to_state=Target.Status.WAIVED,
                comment=f"Waived by board decision #{decision.pk}.",
            )
    if supersedes is not None:
        summary += f" (supersedes decision #{supersedes.pk})"
    record(
        actor=actor,
        action=AuditEvent.Action.DECISION,
        obj=decision,
        contract_id=contract.pk,
        comment=summary,
    )
    return decision
