"""Input validation for the claim and board pages; the rules themselves live in the services."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from config.forms import GovUKFormMixin, add_service_errors  # noqa: F401 (re-exported)
from contracts.models import Contract, ReviewCycle, Target, Track
from evidence.models import EvidenceItem

from .models import Assessment, BoardDecision, CriterionJudgement


class ItemChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, item: EvidenceItem) -> str:
        return (
            f"{item.evidence_type.name}: {item.original_filename} "
            f"({item.period_start:%d %b %Y} to {item.period_end:%d %b %Y})"
        )


def level_choices(contract: Contract, *, below: int | None = None, exclude: int | None = None):
    levels = contract.framework.levels.order_by("rank")
    return [
        (level.rank, level.label)
        for level in levels
        if (below is None or level.rank < below) and level.rank != exclude
    ]


def open_cycles(contract: Contract):
    today = timezone.localdate()
    return ReviewCycle.objects.filter(
        contract=contract, opens_on__lte=today, closes_on__gte=today
    ).order_by("opens_on")


def track_items(track: Track):
    return (
        EvidenceItem.objects.active()
        .filter(track=track)
        .select_related("evidence_type")
        .order_by("evidence_type__order", "-period_end", "pk")
    )


class ClaimForm(GovUKFormMixin, forms.Form):
    cycle = forms.ModelChoiceField(
        queryset=ReviewCycle.objects.none(), label="Review cycle", empty_label=None
    )
    claimed_rank = forms.TypedChoiceField(coerce=int, label="Level claimed")
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        label="Your case for the level",
        help_text="How the evidence shows the focus area is at this level.",
    )
    items = ItemChoiceField(
        queryset=EvidenceItem.objects.none(),
        required=False,
        label="Evidence for the pack",
        help_text="Choose the current evidence for each evidence type of the level.",
    )

    def __init__(self, *args, track: Track, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = open_cycles(track.contract)
        self.fields["claimed_rank"].choices = level_choices(
            track.contract, exclude=track.level_rank
        )
        self.fields["items"].queryset = track_items(track)


class EditClaimForm(GovUKFormMixin, forms.Form):
    edit_version = forms.IntegerField(widget=forms.HiddenInput)
    claimed_rank = forms.TypedChoiceField(coerce=int, label="Level claimed")
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), required=False, label="Your case for the level"
    )
    items = ItemChoiceField(
        queryset=EvidenceItem.objects.none(), required=False, label="Evidence for the pack"
    )

    def __init__(self, *args, assessment: Assessment, **kwargs):
        super().__init__(*args, **kwargs)
        contract = assessment.track.contract
        if assessment.is_regression:
            self.fields["claimed_rank"].choices = level_choices(
                contract, below=assessment.track.level_rank
            )
            self.fields["summary"].required = True
            self.fields["summary"].label = "Why the level has not been sustained"
            del self.fields["items"]
        else:
            self.fields["claimed_rank"].choices = level_choices(
                contract, exclude=assessment.track.level_rank
            )
            self.fields["items"].queryset = track_items(assessment.track)


class RegressionForm(GovUKFormMixin, forms.Form):
    cycle = forms.ModelChoiceField(
        queryset=ReviewCycle.objects.none(), label="Review cycle", empty_label=None
    )
    claimed_rank = forms.TypedChoiceField(coerce=int, label="Level it should go down to")
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Why the level has not been sustained",
        help_text="The evidence (or lack of it) that shows the achievement was not sustained.",
    )

    def __init__(self, *args, track: Track, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = open_cycles(track.contract)
        self.fields["claimed_rank"].choices = level_choices(track.contract, below=track.level_rank)


class ActionForm(GovUKFormMixin, forms.Form):
    """A transition with an optional comment."""

    edit_version = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Comment"
    )


class CommentRequiredForm(ActionForm):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Comment")


class SubmitForm(ActionForm):
    attest = forms.BooleanField(required=False, label="I confirm this")

    def __init__(self, *args, attestation: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if attestation:
            self.fields["attest"].label = attestation
            self.fields["attest"].required = True
            self.fields["attest"].error_messages["required"] = (
                "Confirm that the evidence pack relates to this contract and review cycle."
            )
        else:
            del self.fields["attest"]


class AgreeForm(ActionForm):
    """A verdict and a comment for each criterion of the claimed level."""

    def __init__(self, *args, criteria: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        self.fields["comment"].label = "Overall comment"
        for i, criterion in enumerate(criteria, start=1):
            self.fields[f"verdict_{i}"] = forms.ChoiceField(
                choices=CriterionJudgement.Verdict.choices,
                widget=forms.RadioSelect(attrs={"class": "govuk-radios__input"}),
                label=f"Criterion {i}: {criterion}",
                error_messages={"required": f"Choose met or not met for criterion {i}."},
            )
            self.fields[f"comment_{i}"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 2, "class": "govuk-textarea"}),
                label=f"Comment on criterion {i}",
                error_messages={"required": f"Add a comment on criterion {i}."},
            )

    def judgements(self) -> list[dict]:
        return [
            {
                "verdict": self.cleaned_data[f"verdict_{i}"],
                "comment": self.cleaned_data[f"comment_{i}"],
            }
            for i in range(1, len(self.criteria) + 1)
        ]


class MeetingForm(GovUKFormMixin, forms.Form):
    held_on = forms.DateField(label="Date of the meeting")
    attendees = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Board members"
    )
    other_attendees = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Other attendees"
    )
    minutes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), required=False, label="Minutes"
    )

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = contract.board_members.order_by("username")


class DecisionForm(GovUKFormMixin, forms.Form):
    kind = forms.ChoiceField(
        choices=BoardDecision.Kind.choices, widget=forms.RadioSelect, label="Decision"
    )
    clause = forms.CharField(max_length=100, label="Contract clause applied")
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), label="Rationale")
    targets = forms.ModelMultipleChoiceField(
        queryset=Target.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Targets the decision rests on (or waives)",
    )
    assessments = forms.ModelMultipleChoiceField(
        queryset=Assessment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Assessments the decision rests on",
    )
    supersedes = forms.ModelChoiceField(
        queryset=BoardDecision.objects.none(),
        required=False,
        label="Supersedes an earlier decision",
    )
    new_end_date = forms.DateField(
        required=False, label="New end date", help_text="For an extension granted."
    )
    target_track = forms.ModelChoiceField(
        queryset=Track.objects.none(),
        required=False,
        label="Focus area of the new target",
        help_text="For a target set.",
    )
    target_level_rank = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Target level"
    )
    target_due_date = forms.DateField(required=False, label="Target due by")
    target_requires_sustained = forms.BooleanField(
        required=False, label="The level must be sustained"
    )

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["targets"].queryset = (
            Target.objects.filter(track__contract=contract)
            .select_related("track__focus_area")
            .order_by("track__focus_area__order", "due_date")
        )
        self.fields["targets"].label_from_instance = lambda t: (
            f"{t.track.focus_area.name}: level {t.level_rank} by {t.due_date:%d %b %Y} "
            f"({t.get_status_display()})"
        )
        self.fields["assessments"].queryset = (
            Assessment.objects.filter(track__contract=contract)
            .select_related("track__focus_area")
            .order_by("-created_at")
        )
        self.fields["assessments"].label_from_instance = lambda a: (
            f"#{a.pk} {a.track.focus_area.name}: {a.get_kind_display().lower()} level "
            f"{a.claimed_rank} ({a.get_state_display().lower()})"
        )
        self.fields["supersedes"].queryset = BoardDecision.objects.filter(
            contract=contract, superseded_by__isnull=True
        ).order_by("-recorded_at")
        self.fields["supersedes"].label_from_instance = lambda d: (
            f"#{d.pk} {d.get_kind_display()} ({d.clause}), {d.recorded_at:%d %b %Y}"
        )
        self.fields["target_track"].queryset = (
            Track.objects.filter(contract=contract)
            .select_related("focus_area")
            .order_by("focus_area__order")
        )
        self.fields["target_track"].label_from_instance = lambda t: t.focus_area.name
        self.fields["target_level_rank"].choices = [("", "Choose a level")] + level_choices(
            contract
        )
