"""Operations that change contracts, tracks and targets.

Views, admin, commands and tasks all call these, so each rule lives in one place.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_fsm import can_proceed

from audit.models import AuditEvent
from audit.services import record

from .access import contract_access
from .models import Contract, Target, TargetRevision, Track
from .roles import Action


def _require(actor, contract: Contract, action: str) -> None:
    if actor is None:  # system jobs and commands act without a person
        return
    if not contract_access(actor, contract).can(action):
        raise PermissionDenied("Your role on this contract does not allow this action.")


@transaction.atomic
def go_live(*, contract: Contract, actor) -> Contract:
    """Moves a mobilising contract live: one track per focus area at the lowest level, each with
    the contract's default target."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _require(actor, contract, Action.MANAGE_CONTRACT)
    if not can_proceed(contract.go_live):
        raise ValidationError(
            f"Only a mobilising contract can go live; this one is {contract.state}."
        )
    if contract.framework.status != contract.framework.Status.PUBLISHED:
        raise ValidationError("The contract's framework version must be published before go-live.")
    if contract.default_target_date is None:
        raise ValidationError("Set the default target date before going live.")
    lowest = contract.framework.levels.order_by("rank").values_list("rank", flat=True).first() or 0
    focus_areas = list(contract.framework.focus_areas.order_by("order"))
    contract.go_live(
        by=actor, description=f"{len(focus_areas)} tracks created with default targets."
    )
    contract.save()
    tracks = Track.objects.bulk_create(
        [Track(contract=contract, focus_area=area, level_rank=lowest) for area in focus_areas]
    )
    targets = Target.objects.bulk_create(
        [
            Target(
                track=track,
                level_rank=contract.default_target_rank,
                due_date=contract.default_target_date,
                requires_sustained=contract.default_target_sustained,
                source=Target.Source.CONTRACT_DEFAULT,
                set_by=actor,
                reason="Default target set when the contract went live.",
            )
            for track in tracks
        ]
    )
    TargetRevision.objects.bulk_create(
        [
            TargetRevision(
                target=target,
                level_rank=target.level_rank,
                due_date=target.due_date,
                requires_sustained=target.requires_sustained,
                reason=target.reason,
                revised_by=actor,
            )
            for target in targets
        ]
    )
    return contract


@transaction.atomic
def terminate(*, contract: Contract, actor, reason: str) -> Contract:
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _require(actor, contract, Action.MANAGE_CONTRACT)
    if not can_proceed(contract.terminate):
        raise ValidationError(
            f"A {contract.get_state_display().lower()} contract cannot be terminated."
        )
    contract.terminate(reason, by=actor, description=reason)
    contract.save()
    return contract


@transaction.atomic
def revise_target(
    *,
    target: Target,
    actor,
    level_rank: int,
    due_date,
    reason: str,
    requires_sustained: bool | None = None,
) -> Target:
    """Changes a target's level or date; the previous values stay in its revision history."""
    target = Target.objects.select_for_update().select_related("track__contract").get(pk=target.pk)
    _require(actor, target.track.contract, Action.SET_TARGET)
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Give a reason for revising the target."})
    if target.status == Target.Status.WAIVED:
        raise ValidationError("A waived target cannot be revised.")
    ranks = set(target.track.contract.framework.levels.values_list("rank", flat=True))
    if level_rank not in ranks:
        raise ValidationError({"level_rank": "Choose a level on the framework's scale."})
    target.level_rank = level_rank
    target.due_date = due_date
    if requires_sustained is not None:
        target.requires_sustained = requires_sustained
    target.reason = reason.strip()
    target.set_by = actor
    target.save()
    TargetRevision.objects.create(
        target=target,
        level_rank=target.level_rank,
        due_date=target.due_date,
        requires_sustained=target.requires_sustained,
        reason=target.reason,
        revised_by=actor,
    )
    record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=target,
        contract_id=target.track.contract_id,
        comment=f"Target revised to level {level_rank} by {due_date}: {reason.strip()}",
    )
    return target
