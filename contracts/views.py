"""Contract pages: portfolio, the contract's matrix, tracks, targets, review cycles, plans.

Views are thin: objects come through the access rule (404 outside the user's contracts), changes
go through `contracts.services`, and the role table decides which actions are offered.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import HISTORY_HEADER, history_for, history_rows
from config.forms import add_service_errors, submitted
from reports.csv import csv_response, wants_csv
from reports.selectors import level_distribution, track_chart

from . import selectors, services
from .access import get_contract_for, get_track_for
from .forms import (
    AnnualPlanForm,
    CommitmentForm,
    ContractForm,
    LiveContractForm,
    ReviewCycleForm,
    TargetForm,
    TerminateForm,
)
from .models import Contract, Membership, Target
from .roles import Action, Role


def _today() -> dt.date:
    return timezone.localdate()


def portfolio(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in Contract.State.values:
        state = ""
    # A search term is free text: NUL, which no database text column can hold, is dropped.
    search = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    contracts = selectors.portfolio(request.user, state=state, search=search)
    if wants_csv(request):
        return csv_response(
            "contracts.csv",
            ["Reference", "Title", "Authorities", "Provider", "Status", "Starts", "Ends"]
            + ["Focus areas", "At or above target"],
            (
                [
                    c.reference,
                    c.title,
                    "; ".join(a.name for a in c.authorities.all()),
                    c.provider.name,
                    c.get_state_display(),
                    c.start_date.isoformat(),
                    c.end_date.isoformat(),
                    c.track_count,
                    c.at_target_count,
                ]
                for c in contracts
            ),
        )
    can_create = Membership.objects.filter(user=request.user, role=Role.CLIENT_LEAD).exists()
    from monitoring.selectors import open_flag_counts, target_rag_counts

    contracts = list(contracts)
    rag, flags = target_rag_counts(contracts), open_flag_counts(contracts)
    for contract in contracts:
        contract.rag_counts = rag.get(contract.pk, {})
        contract.open_flags = flags.get(contract.pk, 0)
    return render(
        request,
        "contracts/portfolio.html",
        {
            "contracts": contracts,
            "states": Contract.State.choices,
            "state": state,
            "q": search,
            "can_create": can_create,
        },
    )


def contract_create(request: HttpRequest) -> HttpResponse:
    if not Membership.objects.filter(user=request.user, role=Role.CLIENT_LEAD).exists():
        raise PermissionDenied("Only a client lead of an Authority can add a contract.")
    form = ContractForm(request.POST or None)
    if (
        contract := submitted(
            request, form, lambda data: services.create_contract(actor=request.user, **data)
        )
    ) is not None:
        messages.success(request, f"{contract.reference} was added. It is mobilising.")
        return redirect("contracts:contract_detail", pk=contract.pk)
    return render(request, "contracts/contract_form.html", {"form": form, "contract": None})


def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_contract_for(request.user, pk)
    contract = access.contract
    return render(
        request,
        "contracts/contract_detail.html",
        {
            "contract": contract,
            "access": access,
            "grid": selectors.contract_grid(contract, _today()),
            "distribution": level_distribution(contract, _today()),
            "authorities": contract.authorities.all(),
            "open_cycle": selectors.open_cycle(contract, _today()),
            "can_manage": access.can(Action.MANAGE_CONTRACT),
            "can_manage_cycles": access.can(Action.MANAGE_CYCLES),
            "can_expire": contract.end_date < _today()
            and contract.state in (Contract.State.LIVE, Contract.State.EXTENDED),
        },
    )


def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_contract_for(request.user, pk)
    access.require(Action.MANAGE_CONTRACT)
    contract = access.contract
    mobilising = contract.state == Contract.State.MOBILISING
    form_class = ContractForm if mobilising else LiveContractForm
    form = form_class(request.POST or None, instance=contract)
    if (
        submitted(
            request,
            form,
            lambda data: services.update_contract(contract=contract, actor=request.user, **data),
        )
    ) is not None:
        messages.success(request, "The contract's details were saved.")
        return redirect("contracts:contract_detail", pk=contract.pk)
    return render(request, "contracts/contract_form.html", {"form": form, "contract": contract})


def contract_go_live(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_contract_for(request.user, pk)
    access.require(Action.MANAGE_CONTRACT)
    contract = access.contract
    error = None
    if request.method == "POST":
        try:
            services.go_live(contract=contract, actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request, f"{contract.reference} is live: its tracks and targets are set."
            )
            return redirect("contracts:contract_detail", pk=contract.pk)
    return render(
        request,
        "contracts/contract_go_live.html",
        {
            "contract": contract,
            "error": error,
            "focus_area_count": contract.framework.focus_areas.count(),
            "target_level": contract.framework.levels.filter(
                rank=contract.default_target_rank
            ).first(),
        },
        status=400 if error else 200,
    )


def contract_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_contract_for(request.user, pk)
    access.require(Action.MANAGE_CONTRACT)
    contract = access.contract
    form = TerminateForm(request.POST or None)
    if (
        submitted(
            request,
            form,
            lambda data: services.terminate(
                contract=contract, actor=request.user, reason=form.cleaned_data["reason"]
            ),
        )
    ) is not None:
        messages.success(request, f"{contract.reference} was terminated.")
        return redirect("contracts:contract_detail", pk=contract.pk)
    return render(
        request, "contracts/contract_terminate.html", {"contract": contract, "form": form}
    )


def contract_expire(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_contract_for(request.user, pk)  # outsiders get 404 whatever the method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    access.require(Action.MANAGE_CONTRACT)
    try:
        services.expire(contract=access.contract, actor=request.user, today=_today())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{access.contract.reference} is marked as expired.")
    return redirect("contracts:contract_detail", pk=pk)


def contract_tailor(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_contract_for(request.user, pk)  # outsiders get 404 whatever the method
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    access.require(Action.MANAGE_CONTRACT)
    try:
        contract = services.tailor_framework(contract=access.contract, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"The contract now uses {contract.framework}, a draft copy to tailor. An administrator "
            "edits and publishes it; the contract can go live once it is published.",
        )
    return redirect("contracts:contract_detail", pk=pk)


def _history(contract: Contract):
    return history_for(contract).order_by("-occurred_at", "-id")


def contract_history(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_contract_for(request.user, pk)
    page = Paginator(_history(access.contract), 50).get_page(request.GET.get("page"))
    return render(
        request, "contracts/contract_history.html", {"contract": access.contract, "page": page}
    )


def contract_history_csv(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_contract_for(request.user, pk)
    access.require(Action.EXPORT)
    return csv_response(
        f"contract-{access.contract.pk}-history.csv",
        HISTORY_HEADER,
        history_rows(history_for(access.contract)),
    )


def track_detail(request: HttpRequest, pk: int) -> HttpResponse:
    track, access = get_track_for(request.user, pk)
    contract = track.contract
    descriptors = {
        d.level_id: d for d in track.focus_area.descriptors.select_related("level").all()
    }
    levels = list(contract.framework.levels.order_by("rank"))
    targets = list(selectors.track_targets(track))
    if wants_csv(request):
        return csv_response(
            f"track-{track.pk}-targets.csv",
            ["Target", "Status", "Set by", "Revised", "Level", "Due", "Sustained", "By", "Reason"],
            (
                [
                    str(t),
                    t.get_status_display(),
                    t.get_source_display(),
                    r.revised_at.date(),
                    r.level_rank,
                    r.due_date,
                    "yes" if r.requires_sustained else "no",
                    r.revised_by.get_username() if r.revised_by else "",
                    r.reason,
                ]
                for t in targets
                for r in t.revisions.all()
            ),
        )
    headline = next((t for t in targets if t.is_open), targets[-1] if targets else None)
    level_history = AuditEvent.objects.filter(
        object_type="contracts.track", object_id=str(track.pk), action=AuditEvent.Action.TRANSITION
    ).order_by("occurred_at", "id")
    from evidence.selectors import ALL_LEVELS, current_cycle, evidence_status
    from workflows.models import Assessment

    cycle = current_cycle(contract)
    evidence = evidence_status(track, cycle, ALL_LEVELS) if cycle is not None else None
    return render(
        request,
        "contracts/track_detail.html",
        {
            "track": track,
            "cycle": cycle,
            "evidence": evidence,
            "evidence_missing": sum(1 for s in evidence if s.is_missing) if evidence else 0,
            "claims": Assessment.objects.filter(track=track)
            .select_related("cycle")
            .order_by("-created_at")[:20],
            "can_claim": access.can(Action.DRAFT_CLAIM),
            "can_open_regression": access.can(Action.REJECT),
            "contract": contract,
            "access": access,
            "levels": [(level, descriptors.get(level.pk)) for level in levels],
            "level_labels": {level.rank: level.label for level in levels},
            "targets": targets,
            "headline": headline,
            "level_history": level_history,
            "chart": track_chart(track, targets, _today()) if targets else None,
            "can_set_target": access.can(Action.SET_TARGET)
            and contract.state in (Contract.State.LIVE, Contract.State.EXTENDED),
        },
    )


def target_create(request: HttpRequest, pk: int) -> HttpResponse:
    track, access = get_track_for(request.user, pk)
    access.require(Action.SET_TARGET)
    form = TargetForm(request.POST or None, framework=track.contract.framework)
    if (
        submitted(
            request, form, lambda data: services.set_target(track=track, actor=request.user, **data)
        )
    ) is not None:
        messages.success(request, "The target was set.")
        return redirect("contracts:track_detail", pk=track.pk)
    return render(
        request, "contracts/target_form.html", {"form": form, "track": track, "target": None}
    )


def target_revise(request: HttpRequest, pk: int) -> HttpResponse:
    track_id = Target.objects.filter(pk=pk).values_list("track_id", flat=True).first()
    if track_id is None:
        raise Http404("No such target.")
    track, access = get_track_for(request.user, track_id)
    access.require(Action.SET_TARGET)
    target = track.targets.get(pk=pk)
    initial = {
        "level_rank": target.level_rank,
        "due_date": target.due_date,
        "requires_sustained": target.requires_sustained,
    }
    form = TargetForm(request.POST or None, initial=initial, framework=track.contract.framework)
    if (
        submitted(
            request,
            form,
            lambda data: services.revise_target(target=target, actor=request.user, **data),
        )
    ) is not None:
        messages.success(request, "The target was revised; its earlier version is kept.")
        return redirect("contracts:track_detail", pk=track.pk)
    return render(
        request, "contracts/target_form.html", {"form": form, "track": track, "target": target}
    )


def cycle_list(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_contract_for(request.user, pk)
    if wants_csv(request):
        return csv_response(
            f"contract-{pk}-review-cycles.csv",
            ["Cycle", "Opens", "Evidence deadline", "Closes", "Claims"],
            (
                [c.name, c.opens_on, c.evidence_deadline, c.closes_on, c.claim_count]
                for c in selectors.cycles_with_counts(access.contract)
            ),
        )
    return render(
        request,
        "contracts/cycle_list.html",
        {
            "contract": access.contract,
            "cycles": selectors.cycles_with_counts(access.contract),
            "today": _today(),
            "can_manage": access.can(Action.MANAGE_CYCLES),
        },
    )


def _cycle_form(request: HttpRequest, pk: int, cycle_pk: int | None) -> HttpResponse:
    access = get_contract_for(request.user, pk)
    access.require(Action.MANAGE_CYCLES)
    contract = access.contract
    cycle = None
    if cycle_pk is not None:
        cycle = contract.cycles.filter(pk=cycle_pk).first()
        if cycle is None:
            raise Http404("No such review cycle.")
    form = ReviewCycleForm(request.POST or None, instance=cycle)
    if request.method == "POST" and form.is_valid():
        try:
            if cycle is None:
                services.create_cycle(contract=contract, actor=request.user, **form.cleaned_data)
            else:
                services.update_cycle(cycle=cycle, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The review cycle was saved.")
            return redirect("contracts:cycle_list", pk=contract.pk)
    return render(
        request, "contracts/cycle_form.html", {"contract": contract, "form": form, "cycle": cycle}
    )


def cycle_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _cycle_form(request, pk, None)


def cycle_edit(request: HttpRequest, pk: int, cycle_pk: int) -> HttpResponse:
    return _cycle_form(request, pk, cycle_pk)


def plan_list(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_contract_for(request.user, pk)
    contract = access.contract
    form = None
    if access.can(Action.MANAGE_CYCLES):
        form = AnnualPlanForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                plan = services.create_plan(
                    contract=contract, actor=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"'{plan.title}' was added.")
                return redirect("contracts:plan_detail", pk=contract.pk, plan_pk=plan.pk)
    elif request.method == "POST":
        raise PermissionDenied("Your role on this contract does not allow this.")
    plans = contract.annual_plans.prefetch_related("commitments__tracks__focus_area")
    return render(
        request,
        "contracts/plan_list.html",
        {"contract": contract, "plans": plans, "form": form},
    )


def plan_detail(request: HttpRequest, pk: int, plan_pk: int) -> HttpResponse:
    access = get_contract_for(request.user, pk)
    contract = access.contract
    plan = contract.annual_plans.filter(pk=plan_pk).first()
    if plan is None:
        raise Http404("No such annual plan.")
    form = None
    if access.can(Action.MANAGE_CYCLES):
        form = CommitmentForm(request.POST or None, contract=contract)
        if request.method == "POST" and form.is_valid():
            try:
                services.add_commitment(plan=plan, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "The commitment was added.")
                return redirect(
                    reverse("contracts:plan_detail", args=[contract.pk, plan.pk]) + "#commitments"
                )
    elif request.method == "POST":
        raise PermissionDenied("Your role on this contract does not allow this.")
    commitments = plan.commitments.prefetch_related("tracks__focus_area")
    if wants_csv(request):
        return csv_response(
            f"annual-plan-{plan.pk}-commitments.csv",
            ["Commitment", "Focus areas", "Due"],
            (
                [c.text, "; ".join(t.focus_area.name for t in c.tracks.all()), c.due_date or ""]
                for c in commitments
            ),
        )
    return render(
        request,
        "contracts/plan_detail.html",
        {"contract": contract, "plan": plan, "commitments": commitments, "form": form},
    )
