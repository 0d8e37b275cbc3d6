"""Pages for level claims, the review queue and the board. Thin: every object is fetched through
the access rule (outsiders get 404), the role is checked (403), and a service does the work."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from audit.selectors import HISTORY_HEADER, history_for, history_rows
from config.forms import submitted
from config.http import conflict
from contracts.access import (
    contract_access,
    get_contract_for,
    get_scoped_or_404,
    get_track_for,
    visible_contracts,
)
from contracts.roles import Action
from evidence import packs
from reports.csv import csv_response, wants_csv

from . import selectors, services
from .forms import (
    ActionForm,
    AgreeForm,
    ClaimForm,
    CommentRequiredForm,
    DecisionForm,
    EditClaimForm,
    MeetingForm,
    RegressionForm,
    SubmitForm,
    add_service_errors,
)
from .models import Assessment, BoardDecision, BoardMeeting, StaleEdit, may_author

TRANSITIONS = [
    # (name, button label, form class)
    ("submit", "Submit the claim", SubmitForm),
    ("start_review", "Start the review", ActionForm),
    ("return_for_evidence", "Return for more evidence", CommentRequiredForm),
    ("agree", "Agree the level", AgreeForm),
    ("reject", "Reject the claim", CommentRequiredForm),
    ("confirm", "Confirm the level", ActionForm),
    ("refer_back", "Refer back to the client team", CommentRequiredForm),
    ("withdraw", "Withdraw the claim", ActionForm),
]
FORMS = {name: (label, form) for name, label, form in TRANSITIONS}


def _only(request: HttpRequest, *methods: str) -> HttpResponse | None:
    if request.method not in methods:
        return HttpResponseNotAllowed(methods)
    return None


def _assessment(request: HttpRequest, pk: int) -> Assessment:
    return get_scoped_or_404(
        request.user,
        Assessment.objects.select_related(
            "track__contract__framework",
            "track__focus_area__category",
            "cycle",
            "pack",
            "created_by",
            "submitted_by",
            "agreed_by",
            "confirmed_by",
        ),
        "track__contract",
        pk=pk,
    )


def allowed_actions(assessment: Assessment, user) -> list[str]:
    """The transitions this person may take on the claim in its current state."""
    out = []
    for name, _, _ in TRANSITIONS:
        meta = getattr(assessment, name)._django_fsm
        if meta.has_transition(assessment.state) and meta.has_transition_perm(
            assessment, assessment.state, user
        ):
            out.append(name)
    return out


def _action_form(name: str, assessment: Assessment, data=None, criteria=None):
    form_class = FORMS[name][1]
    kwargs = {"initial": {"edit_version": assessment.edit_version}}
    if form_class is SubmitForm:
        kwargs["attestation"] = (
            packs.attestation_text(assessment.pack) if assessment.pack_id else ""
        )
    if form_class is AgreeForm:
        kwargs["criteria"] = criteria if criteria is not None else assessment.criteria()
    return form_class(data, **kwargs)


def _detail(request, assessment: Assessment, bound: tuple | None = None, status: int = 200):
    user = request.user
    checklist = selectors.checklists([_with_pack_items(assessment)])[assessment.pk]
    actions = []
    for name in allowed_actions(assessment, user):
        if bound is not None and bound[0] == name:
            form = bound[1]
        else:
            form = _action_form(name, assessment, criteria=checklist.criteria)
        actions.append({"name": name, "label": FORMS[name][0], "form": form})
    judgements = list(
        assessment.judgements.select_related("judged_by").order_by("round", "position")
    )
    latest_round = max((j.round for j in judgements), default=0)
    context = {
        "assessment": assessment,
        "contract": assessment.track.contract,
        "track": assessment.track,
        "checklist": checklist,
        "pack_items": (
            list(assessment.pack.items.select_related("evidence_type")) if assessment.pack else []
        ),
        "earlier_packs": list(assessment.earlier_packs.order_by("created_at")),
        "actions": actions,
        "can_edit": assessment.is_editable and may_author(assessment, user),
        "judgements": [j for j in judgements if j.round == latest_round],
        "earlier_judgements": [j for j in judgements if j.round != latest_round],
        "history": list(history_for(assessment)),
        "submit_problems": (
            services.submit_problems(assessment) if "submit" in [a["name"] for a in actions] else []
        ),
    }
    return TemplateResponse(request, "workflows/assessment_detail.html", context, status=status)


def _with_pack_items(assessment: Assessment) -> Assessment:
    from django.db.models import prefetch_related_objects

    prefetch_related_objects([assessment], "pack__items")
    return assessment


# -- claims -----------------------------------------------------------------------------------


def claim_list(request: HttpRequest) -> HttpResponse:
    """Every claim on the person's contracts, with its state."""
    if refused := _only(request, "GET"):
        return refused
    from contracts.models import Track

    if wants_csv(request):
        return csv_response(
            "claims.csv",
            ["Contract", "Focus area", "Kind", "Level claimed", "Cycle", "State", "Submitted"],
            (
                [
                    a.track.contract.reference,
                    a.track.focus_area.name,
                    a.get_kind_display(),
                    a.claimed_rank,
                    a.cycle.name,
                    a.get_state_display(),
                    a.submitted_at.date() if a.submitted_at else "",
                ]
                for a in selectors.claims_for(request.user)
            ),
        )
    draftable = (
        Track.objects.filter(
            contract__in=selectors.contracts_where(request.user, Action.DRAFT_CLAIM),
            contract__state__in=("live", "extended"),
        )
        .select_related("contract", "focus_area")
        .order_by("contract__reference", "focus_area__order")
    )
    regressable = (
        Track.objects.filter(
            contract__in=selectors.contracts_where(request.user, Action.REJECT),
            contract__state__in=("live", "extended"),
            level_rank__gt=0,
        )
        .select_related("contract", "focus_area")
        .order_by("contract__reference", "focus_area__order")
    )
    return TemplateResponse(
        request,
        "workflows/claim_list.html",
        {
            "claims": list(selectors.claims_for(request.user)),
            "draftable": list(draftable),
            "regressable": list(regressable),
            "contracts": list(visible_contracts(request.user).order_by("reference")),
        },
    )


def claim_new(request: HttpRequest, track_pk: int) -> HttpResponse:
    """Drafting a claim from a track: cycle, level, case and the evidence for the pack."""
    track, access = get_track_for(request.user, track_pk)
    if refused := _only(request, "GET", "POST"):
        return refused
    access.require(Action.DRAFT_CLAIM)
    form = ClaimForm(request.POST or None, track=track)
    assessment = submitted(
        request,
        form,
        lambda data: services.draft_claim(
            track=track,
            cycle=data["cycle"],
            claimed_rank=data["claimed_rank"],
            summary=data["summary"],
            items=data["items"],
            actor=request.user,
        ),
    )
    if assessment is not None:
        messages.success(request, "Draft claim saved. Check the evidence checklist, then submit.")
        return redirect("workflows:assessment_detail", pk=assessment.pk)
    from evidence.selectors import ALL_LEVELS, current_cycle, evidence_status

    cycle = current_cycle(track.contract)
    return TemplateResponse(
        request,
        "workflows/claim_form.html",
        {
            "form": form,
            "track": track,
            "contract": track.contract,
            "regression": False,
            "cycle": cycle,
            "evidence": evidence_status(track, cycle, ALL_LEVELS) if cycle else None,
        },
    )


def regression_new(request: HttpRequest, track_pk: int) -> HttpResponse:
    """A client lead opens a regression: the level was not sustained and should go down."""
    track, access = get_track_for(request.user, track_pk)
    if refused := _only(request, "GET", "POST"):
        return refused
    access.require(Action.REJECT)
    form = RegressionForm(request.POST or None, track=track)
    assessment = submitted(
        request,
        form,
        lambda data: services.open_regression(
            track=track,
            cycle=data["cycle"],
            claimed_rank=data["claimed_rank"],
            summary=data["summary"],
            actor=request.user,
        ),
    )
    if assessment is not None:
        messages.success(request, "Regression opened as a draft. Submit it for review.")
        return redirect("workflows:assessment_detail", pk=assessment.pk)
    return TemplateResponse(
        request,
        "workflows/claim_form.html",
        {"form": form, "track": track, "contract": track.contract, "regression": True},
    )


def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    if refused := _only(request, "GET"):
        return refused
    return _detail(request, assessment)


def assessment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edits a draft's level, case and pack; a stale edit answers 409 and saves nothing."""
    assessment = _assessment(request, pk)
    if refused := _only(request, "GET", "POST"):
        return refused
    if not may_author(assessment, request.user):
        raise PermissionDenied("Your role on this contract does not allow editing this claim.")
    if not assessment.is_editable:
        messages.error(
            request,
            f"A claim that is {assessment.get_state_display().lower()} can no longer be edited.",
        )
        return redirect("workflows:assessment_detail", pk=pk)
    initial = {
        "edit_version": assessment.edit_version,
        "claimed_rank": assessment.claimed_rank,
        "summary": assessment.summary,
    }
    if assessment.pack_id:
        initial["items"] = list(assessment.pack.items.values_list("pk", flat=True))
    form = EditClaimForm(request.POST or None, initial=initial, assessment=assessment)
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_draft(
                assessment=assessment,
                actor=request.user,
                expected_version=form.cleaned_data["edit_version"],
                claimed_rank=form.cleaned_data["claimed_rank"],
                summary=form.cleaned_data["summary"],
                items=form.cleaned_data.get("items") if "items" in form.fields else None,
            )
        except StaleEdit:
            return _conflict(request, assessment)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Claim updated.")
            return redirect("workflows:assessment_detail", pk=pk)
    checklist = selectors.checklists([_with_pack_items(assessment)])[assessment.pk]
    return TemplateResponse(
        request,
        "workflows/assessment_edit.html",
        {
            "form": form,
            "assessment": assessment,
            "track": assessment.track,
            "contract": assessment.track.contract,
            "checklist": checklist,
            "gaps": (
                packs.missing_for_pack(assessment.pack, assessment.claimed_rank)
                if assessment.pack_id
                else None
            ),
        },
    )


def transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """POST-only: takes one transition; the page re-renders with the refusal when it fails."""
    assessment = _assessment(request, pk)
    if refused := _only(request, "POST"):
        return refused
    posted_version = request.POST.get("edit_version", "")
    if posted_version.isdigit() and int(posted_version) != assessment.edit_version:
        return _conflict(request, assessment)
    meta = getattr(assessment, name)._django_fsm
    if meta.has_transition(assessment.state) and not meta.has_transition_perm(
        assessment, assessment.state, request.user
    ):
        raise PermissionDenied(services._refusal(assessment, name, request.user))
    form = _action_form(name, assessment, data=request.POST)
    if not form.is_valid():
        return _detail(request, assessment, bound=(name, form))
    data = form.cleaned_data
    kwargs = {
        "assessment": assessment,
        "actor": request.user,
        "expected_version": data["edit_version"],
    }
    if name in ("reject", "refer_back"):
        kwargs["reason"] = data["comment"]
    else:
        kwargs["comment"] = data["comment"]
    if name == "submit":
        kwargs["attest"] = data.get("attest", False)
    if name == "agree":
        kwargs["judgements"] = form.judgements()
    try:
        getattr(services, name)(**kwargs)
    except StaleEdit:
        return _conflict(request, assessment)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _detail(request, _assessment(request, pk), bound=(name, form))
    messages.success(request, f"The claim was {services.PAST[name]}.")
    return redirect("workflows:assessment_detail", pk=pk)


def _conflict(request: HttpRequest, assessment: Assessment) -> HttpResponse:
    """409, with the reload link pointing at the claim's page rather than the POST address."""
    response = conflict(request)
    response.context_data["reload_url"] = reverse(
        "workflows:assessment_detail", args=[assessment.pk]
    )
    return response


def assessment_history_csv(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    if refused := _only(request, "GET"):
        return refused
    contract_access(request.user, assessment.track.contract).require(Action.EXPORT)
    return csv_response(
        f"assessment-{assessment.pk}-history.csv",
        HISTORY_HEADER,
        history_rows(history_for(assessment)),
    )


def review_queue(request: HttpRequest) -> HttpResponse:
    """Claims waiting for the client team, oldest first, checklist beside the descriptor."""
    if refused := _only(request, "GET"):
        return refused
    queue = list(selectors.review_queue(request.user))
    if wants_csv(request):
        return csv_response(
            "review-queue.csv",
            ["Contract", "Focus area", "Level claimed", "State", "Submitted", "Submitted by"],
            (
                [
                    a.track.contract.reference,
                    a.track.focus_area.name,
                    a.claimed_rank,
                    a.get_state_display(),
                    a.submitted_at.date() if a.submitted_at else "",
                    a.submitted_by.get_username() if a.submitted_by else "",
                ]
                for a in queue
            ),
        )
    checklists = selectors.checklists(queue)
    return TemplateResponse(
        request,
        "workflows/review_queue.html",
        {"entries": [(a, checklists[a.pk]) for a in queue]},
    )


# -- the board --------------------------------------------------------------------------------


def board_agenda(request: HttpRequest, contract_pk: int) -> HttpResponse:
    access = get_contract_for(request.user, contract_pk)
    if refused := _only(request, "GET"):
        return refused
    contract = access.contract
    return TemplateResponse(
        request,
        "workflows/board_agenda.html",
        {
            "contract": contract,
            "agenda": selectors.agenda(contract),
            "meetings": list(contract.board_meetings.order_by("-held_on", "-pk")),
            "can_decide": access.can(Action.DECIDE),
        },
    )


def _meeting(request: HttpRequest, pk: int) -> BoardMeeting:
    return get_scoped_or_404(
        request.user, BoardMeeting.objects.select_related("contract"), "contract", pk=pk
    )


def meeting_new(request: HttpRequest, contract_pk: int) -> HttpResponse:
    access = get_contract_for(request.user, contract_pk)
    if refused := _only(request, "GET", "POST"):
        return refused
    access.require(Action.DECIDE)
    contract = access.contract
    form = MeetingForm(request.POST or None, contract=contract)
    meeting = submitted(
        request,
        form,
        lambda data: services.create_meeting(contract=contract, actor=request.user, **data),
    )
    if meeting is not None:
        messages.success(request, "Board meeting recorded.")
        return redirect("workflows:meeting_detail", pk=meeting.pk)
    return TemplateResponse(
        request, "workflows/meeting_form.html", {"form": form, "contract": contract}
    )


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    if refused := _only(request, "GET"):
        return refused
    access = contract_access(request.user, meeting.contract)
    return TemplateResponse(
        request,
        "workflows/meeting_detail.html",
        {
            "meeting": meeting,
            "contract": meeting.contract,
            "attendees": list(meeting.attendees.order_by("username")),
            "decisions": list(selectors.ledger(meeting.contract).filter(meeting=meeting)),
            "agenda": selectors.agenda(meeting.contract),
            "can_decide": access.can(Action.DECIDE),
        },
    )


def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    if refused := _only(request, "GET", "POST"):
        return refused
    contract_access(request.user, meeting.contract).require(Action.DECIDE)
    initial = {
        "held_on": meeting.held_on,
        "attendees": list(meeting.attendees.values_list("pk", flat=True)),
        "other_attendees": meeting.other_attendees,
        "minutes": meeting.minutes,
    }
    form = MeetingForm(request.POST or None, initial=initial, contract=meeting.contract)
    form.fields["held_on"].disabled = True
    saved = submitted(
        request,
        form,
        lambda data: services.update_meeting(
            meeting=meeting,
            actor=request.user,
            minutes=data["minutes"],
            attendees=data["attendees"],
            other_attendees=data["other_attendees"],
        ),
    )
    if saved is not None:
        messages.success(request, "Minutes saved.")
        return redirect("workflows:meeting_detail", pk=pk)
    return TemplateResponse(
        request,
        "workflows/meeting_form.html",
        {"form": form, "contract": meeting.contract, "meeting": meeting},
    )


def decision_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Records a board decision at a meeting; only board members may."""
    meeting = _meeting(request, pk)
    if refused := _only(request, "GET", "POST"):
        return refused
    contract = meeting.contract
    contract_access(request.user, contract).require(Action.DECIDE)
    form = DecisionForm(request.POST or None, contract=contract)
    decision = submitted(
        request,
        form,
        lambda data: services.record_decision(
            contract=contract,
            actor=request.user,
            meeting=meeting,
            kind=data["kind"],
            clause=data["clause"],
            rationale=data["rationale"],
            targets=data["targets"],
            assessments=data["assessments"],
            supersedes=data["supersedes"],
            new_end_date=data["new_end_date"],
            target_track=data["target_track"],
            target_level_rank=data["target_level_rank"],
            target_due_date=data["target_due_date"],
            target_requires_sustained=data["target_requires_sustained"],
        ),
    )
    if decision is not None:
        messages.success(request, "Decision recorded.")
        return redirect("workflows:decision_detail", pk=decision.pk)
    return TemplateResponse(
        request,
        "workflows/decision_form.html",
        {"form": form, "contract": contract, "meeting": meeting},
    )


def decision_ledger(request: HttpRequest, contract_pk: int) -> HttpResponse:
    access = get_contract_for(request.user, contract_pk)
    if refused := _only(request, "GET"):
        return refused
    if wants_csv(request):
        return csv_response(
            f"contract-{access.contract.pk}-decisions.csv",
            ["Recorded", "Meeting", "Decision", "Clause", "Rationale", "By", "Superseded"],
            (
                [
                    d.recorded_at.date(),
                    d.meeting.held_on if d.meeting else "",
                    d.get_kind_display(),
                    d.clause,
                    d.rationale,
                    d.recorded_by.get_username(),
                    "yes" if d.is_superseded else "no",
                ]
                for d in selectors.ledger(access.contract)
            ),
        )
    return TemplateResponse(
        request,
        "workflows/decision_ledger.html",
        {"contract": access.contract, "decisions": list(selectors.ledger(access.contract))},
    )


def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_scoped_or_404(
        request.user,
        BoardDecision.objects.select_related(
            "contract", "meeting", "recorded_by", "supersedes", "superseded_by"
        ),
        "contract",
        pk=pk,
    )
    if refused := _only(request, "GET"):
        return refused
    return TemplateResponse(
        request,
        "workflows/decision_detail.html",
        {
            "decision": decision,
            "contract": decision.contract,
            "snapshot": decision.facts_snapshot,
            "targets": list(decision.targets.select_related("track__focus_area")),
            "assessments": list(decision.assessments.select_related("track__focus_area")),
            "history": list(history_for(decision)),
        },
    )
