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


def _is_client_lead_of(actor, authorities) -> bool:
    from .models import Membership
    from .roles import Role

    if actor.is_superuser:
        return True
    return Membership.objects.filter(
        user=actor, role=Role.CLIENT_LEAD, organisation__in=list(authorities)
    ).exists()


def _check_scale(framework, rank: int, field: str) -> None:
    if not framework.levels.filter(rank=rank).exists():
        raise ValidationError({field: "Choose a level on the framework's scale."})


def _check_contract_fields(
    *,
    authorities,
    provider,
    framework,
    start_date,
    end_date,
    default_target_rank,
    default_target_date,
) -> None:
    from .models import Organisation

    errors: dict[str, str] = {}
    if not authorities:
        errors["authorities"] = "Choose at least one Authority."
    elif any(a.kind != Organisation.Kind.AUTHORITY for a in authorities):
        errors["authorities"] = "Only Authorities can be the client side of a contract."
    if provider.kind != Organisation.Kind.PROVIDER:
        errors["provider"] = "The provider must be a provider organisation."
    if end_date < start_date:
        errors["end_date"] = "The end date must be on or after the start date."
    if default_target_date is not None and not (start_date <= default_target_date <= end_date):
        errors["default_target_date"] = "The default target date must fall within the contract."
    if errors:
        raise ValidationError(errors)
    _check_scale(framework, default_target_rank, "default_target_rank")


@transaction.atomic
def create_contract(
    *,
    actor,
    reference: str,
    title: str,
    authorities,
    provider,
    framework,
    start_date,
    end_date,
    default_target_rank: int,
    default_target_date=None,
    default_target_sustained: bool = False,
    extension_options: str = "",
    sustain_cycles: int | None = None,
) -> Contract:
    """Registers a contract, mobilising, on a published framework version. Only a client lead of
    one of its Authorities may do this."""
    authorities = list(authorities)
    if not _is_client_lead_of(actor, authorities):
        raise PermissionDenied(
            "Only a client lead of one of the contract's Authorities can add it."
        )
    if framework.status != framework.Status.PUBLISHED:
        raise ValidationError({"framework": "Choose a published framework version."})
    if Contract.objects.filter(reference__iexact=reference.strip()).exists():
        raise ValidationError({"reference": "A contract with this reference already exists."})
    _check_contract_fields(
        authorities=authorities,
        provider=provider,
        framework=framework,
        start_date=start_date,
        end_date=end_date,
        default_target_rank=default_target_rank,
        default_target_date=default_target_date,
    )
    contract = Contract.objects.create(
        reference=reference.strip(),
        title=title.strip(),
        provider=provider,
        framework=framework,
        start_date=start_date,
        end_date=end_date,
        extension_options=extension_options,
        default_target_rank=default_target_rank,
        default_target_date=default_target_date,
        default_target_sustained=default_target_sustained,
        sustain_cycles=sustain_cycles,
    )
    contract.authorities.set(authorities)
    record(actor=actor, action=AuditEvent.Action.CREATE, obj=contract, comment="Contract added.")
    return contract


#: What may still change once a contract has gone live (dates and framework are then settled;
#: the end date moves only through an extension decision).
LIVE_EDITABLE = {"title", "extension_options"}


@transaction.atomic
def update_contract(*, contract: Contract, actor, **changes) -> Contract:
    """Edits a contract's details: everything while mobilising, the title and extension options
    after that."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _require(actor, contract, Action.MANAGE_CONTRACT)
    authorities = changes.pop("authorities", None)
    if contract.state != Contract.State.MOBILISING:
        locked = (set(changes) - LIVE_EDITABLE) | ({"authorities"} if authorities else set())
        really_changed = {
            name
            for name in locked
            if name == "authorities" or getattr(contract, name) != changes[name]
        }
        if name_list := sorted(really_changed):
            raise ValidationError(
                f"Once a contract is {contract.get_state_display().lower()}, only its title and "
                f"extension options can change (not {', '.join(name_list)})."
            )
    reference = changes.get("reference", contract.reference).strip()
    if (
        reference != contract.reference
        and Contract.objects.filter(reference__iexact=reference).exclude(pk=contract.pk).exists()
    ):
        raise ValidationError({"reference": "A contract with this reference already exists."})
    for name, value in changes.items():
        setattr(contract, name, value.strip() if isinstance(value, str) else value)
    if contract.state == Contract.State.MOBILISING:
        if changes.get("framework") is not None and (
            contract.framework.status != contract.framework.Status.PUBLISHED
            and contract.framework.tailored_from_id is None
        ):
            raise ValidationError({"framework": "Choose a published framework version."})
        _check_contract_fields(
            authorities=list(authorities) if authorities else list(contract.authorities.all()),
            provider=contract.provider,
            framework=contract.framework,
            start_date=contract.start_date,
            end_date=contract.end_date,
            default_target_rank=contract.default_target_rank,
            default_target_date=contract.default_target_date,
        )
    contract.save()
    if authorities:
        contract.authorities.set(authorities)
    record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=contract,
        comment="Changed: "
        + ", ".join(sorted([*changes, *(["authorities"] if authorities else [])])),
    )
    return contract


@transaction.atomic
def expire(*, contract: Contract, actor, today) -> Contract:
    """Closes a contract whose end date has passed."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _require(actor, contract, Action.MANAGE_CONTRACT)
    if not can_proceed(contract.expire):
        raise ValidationError(
            f"A {contract.get_state_display().lower()} contract cannot be marked as expired."
        )
    if contract.end_date >= today:
        raise ValidationError(
            f"The contract runs until {contract.end_date:%d %B %Y}; it can be marked as expired "
            "after that date."
        )
    contract.expire(by=actor, description="End date passed.")
    contract.save()
    return contract


@transaction.atomic
def set_target(
    *,
    track: Track,
    actor,
    level_rank: int,
    due_date,
    reason: str,
    requires_sustained: bool = False,
    source: str = Target.Source.CLIENT_LEAD,
) -> Target:
    """Adds a target to a track (a client lead's, or one a board decision sets) with its first
    revision."""
    contract = track.contract
    _require(actor, contract, Action.DECIDE if source == Target.Source.BOARD else Action.SET_TARGET)
    if contract.state not in (Contract.State.LIVE, Contract.State.EXTENDED):
        raise ValidationError("Targets can be set only on a live or extended contract.")
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Give a reason for setting the target."})
    _check_scale(contract.framework, level_rank, "level_rank")
    target = Target.objects.create(
        track=track,
        level_rank=level_rank,
        due_date=due_date,
        requires_sustained=requires_sustained,
        source=source,
        set_by=actor,
        reason=reason.strip(),
    )
    TargetRevision.objects.create(
        target=target,
        level_rank=level_rank,
        due_date=due_date,
        requires_sustained=requires_sustained,
        reason=target.reason,
        revised_by=actor,
    )
    record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=target,
        contract_id=contract.pk,
        comment=f"Target set: level {level_rank} by {due_date}: {target.reason}",
    )
    return target


def _check_cycle(contract: Contract, *, opens_on, evidence_deadline, closes_on, exclude=None):
    from .models import ReviewCycle

    errors: dict[str, str] = {}
    if evidence_deadline < opens_on:
        errors["evidence_deadline"] = "The evidence deadline must be on or after the opening date."
    if closes_on < evidence_deadline:
        errors["closes_on"] = "The closing date must be on or after the evidence deadline."
    if opens_on < contract.start_date or closes_on > contract.end_date:
        errors["opens_on"] = (
            f"A review cycle must fall within the contract ({contract.start_date:%d %B %Y} to "
            f"{contract.end_date:%d %B %Y})."
        )
    if errors:
        raise ValidationError(errors)
    overlapping = ReviewCycle.objects.filter(
        contract=contract, opens_on__lte=closes_on, closes_on__gte=opens_on
    )
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude.pk)
    if clash := overlapping.first():
        raise ValidationError(
            f"Review cycles cannot overlap: '{clash.name}' runs from {clash.opens_on:%d %B %Y} to "
            f"{clash.closes_on:%d %B %Y}."
        )


@transaction.atomic
def create_cycle(*, contract: Contract, actor, name: str, opens_on, evidence_deadline, closes_on):
    from .models import ReviewCycle

    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    _require(actor, contract, Action.MANAGE_CYCLES)
    _check_cycle(
        contract, opens_on=opens_on, evidence_deadline=evidence_deadline, closes_on=closes_on
    )
    cycle = ReviewCycle.objects.create(
        contract=contract,
        name=name.strip(),
        opens_on=opens_on,
        evidence_deadline=evidence_deadline,
        closes_on=closes_on,
    )
    record(actor=actor, action=AuditEvent.Action.CREATE, obj=cycle, contract_id=contract.pk)
    return cycle


@transaction.atomic
def update_cycle(*, cycle, actor, name: str, opens_on, evidence_deadline, closes_on):
    from .models import ReviewCycle

    contract = Contract.objects.select_for_update().get(pk=cycle.contract_id)
    _require(actor, contract, Action.MANAGE_CYCLES)
    cycle = ReviewCycle.objects.get(pk=cycle.pk)
    _check_cycle(
        contract,
        opens_on=opens_on,
        evidence_deadline=evidence_deadline,
        closes_on=closes_on,
        exclude=cycle,
    )
    before = f"{cycle.opens_on} – {cycle.evidence_deadline} – {cycle.closes_on}"
    cycle.name = name.strip()
    cycle.opens_on, cycle.evidence_deadline, cycle.closes_on = (
        opens_on,
        evidence_deadline,
        closes_on,
    )
    cycle.save()
    record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=cycle,
        contract_id=contract.pk,
        comment=f"Dates were {before}; now {opens_on} – {evidence_deadline} – {closes_on}.",
    )
    return cycle


@transaction.atomic
def create_plan(*, contract: Contract, actor, year_starting, title: str):
    from .models import AnnualPlan

    _require(actor, contract, Action.MANAGE_CYCLES)
    if AnnualPlan.objects.filter(contract=contract, year_starting=year_starting).exists():
        raise ValidationError({"year_starting": "This contract already has a plan for that year."})
    plan = AnnualPlan.objects.create(contract=contract, year_starting=year_starting, title=title)
    record(actor=actor, action=AuditEvent.Action.CREATE, obj=plan, contract_id=contract.pk)
    return plan


@transaction.atomic
def add_commitment(*, plan, actor, text: str, tracks, due_date=None):
    from .models import Commitment

    _require(actor, plan.contract, Action.MANAGE_CYCLES)
    tracks = list(tracks)
    if any(track.contract_id != plan.contract_id for track in tracks):
        raise ValidationError({"tracks": "Link only focus areas of this contract."})
    if not text.strip():
        raise ValidationError({"text": "Describe the commitment."})
    commitment = Commitment.objects.create(plan=plan, text=text.strip(), due_date=due_date)
    commitment.tracks.set(tracks)
    record(
        actor=actor,
        action=AuditEvent.Action.CREATE,
        obj=commitment,
        contract_id=plan.contract_id,
        comment=text.strip()[:200],
    )
    return commitment


@transaction.atomic
def tailor_framework(*, contract: Contract, actor) -> Contract:
    """Gives a mobilising contract its own draft version of its framework, to refine with the
    winning bidder's commitments; an administrator edits and publishes it before go-live."""
    from matrix import services as matrix_services

    contract = Contract.objects.select_for_update().select_related("framework").get(pk=contract.pk)
    _require(actor, contract, Action.MANAGE_CONTRACT)
    if not contract.can_tailor_framework:
        raise ValidationError(
            "The framework can be tailored only while the contract is mobilising; this one is "
            f"{contract.get_state_display().lower()}."
        )
    if contract.framework.status != contract.framework.Status.PUBLISHED:
        raise ValidationError(
            f"{contract.framework} is already a draft being tailored; publish it before going live."
        )
    source = contract.framework
    draft = matrix_services.tailor_framework(framework=source, actor=None)
    contract.framework = draft
    contract.save(update_fields=["framework"])
    record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=contract,
        comment=f"Framework tailored: {source} copied to the draft {draft}.",
    )
    return contract
