"""Input for the contract pages; the rules themselves live in `contracts.services`."""

from __future__ import annotations

from django import forms

from config.forms import DateInput, GovUKFormMixin
from matrix.models import Framework

from .models import AnnualPlan, Contract, Organisation, ReviewCycle, Track


class ContractForm(GovUKFormMixin, forms.ModelForm):
    class Meta:
        model = Contract
        fields = [
            "reference",
            "title",
            "authorities",
            "provider",
            "framework",
            "start_date",
            "end_date",
            "extension_options",
            "default_target_rank",
            "default_target_date",
            "default_target_sustained",
            "sustain_cycles",
        ]
        widgets = {
            "authorities": forms.CheckboxSelectMultiple,
            "start_date": DateInput,
            "end_date": DateInput,
            "default_target_date": DateInput,
            "extension_options": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "default_target_rank": "Default target level",
            "default_target_date": "Default target date",
            "default_target_sustained": "The default target requires the level to be sustained",
            "sustain_cycles": "Cycles for a level to count as sustained",
        }
        help_texts = {
            "reference": "For example, HWY-2023-001.",
            "default_target_rank": "Every focus area gets this target when the contract goes live.",
            "sustain_cycles": "Leave blank for the service default.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["authorities"].queryset = Organisation.objects.filter(
            kind=Organisation.Kind.AUTHORITY
        )
        self.fields["provider"].queryset = Organisation.objects.filter(
            kind=Organisation.Kind.PROVIDER
        )
        frameworks = Framework.objects.filter(status=Framework.Status.PUBLISHED)
        if self.instance.pk:
            frameworks = frameworks | Framework.objects.filter(pk=self.instance.framework_id)
        self.fields["framework"].queryset = frameworks.order_by("name", "-version")
        self.fields["default_target_rank"].widget = forms.NumberInput(attrs={"min": 0})
        self.fields["default_target_date"].required = True

    def _post_clean(self):
        # Validation belongs to the service; skip the model's own full_clean on unsaved relations.
        pass


class LiveContractForm(GovUKFormMixin, forms.ModelForm):
    """What may change once a contract has gone live."""

    class Meta:
        model = Contract
        fields = ["title", "extension_options"]
        widgets = {"extension_options": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self):
        pass


class TerminateForm(GovUKFormMixin, forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Cite the contract clause and the circumstances.",
    )


def level_choices(framework: Framework) -> list[tuple[int, str]]:
    return [(level.rank, level.label) for level in framework.levels.order_by("rank")]


class TargetForm(GovUKFormMixin, forms.Form):
    level_rank = forms.TypedChoiceField(coerce=int, label="Target level")
    due_date = forms.DateField(widget=DateInput, label="Due date")
    requires_sustained = forms.BooleanField(
        required=False, label="The level must be sustained, not just reached"
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Reason")

    def __init__(self, *args, framework: Framework, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level_rank"].choices = level_choices(framework)


class ReviewCycleForm(GovUKFormMixin, forms.ModelForm):
    class Meta:
        model = ReviewCycle
        fields = ["name", "opens_on", "evidence_deadline", "closes_on"]
        widgets = {
            "opens_on": DateInput,
            "evidence_deadline": DateInput,
            "closes_on": DateInput,
        }
        labels = {"opens_on": "Opens on", "closes_on": "Closes on"}
        help_texts = {"name": "For example, 2025/26 Q1."}

    def _post_clean(self):
        pass


class AnnualPlanForm(GovUKFormMixin, forms.ModelForm):
    class Meta:
        model = AnnualPlan
        fields = ["title", "year_starting"]
        widgets = {"year_starting": DateInput}
        labels = {"year_starting": "Plan year starts on"}

    def _post_clean(self):
        pass


class CommitmentForm(GovUKFormMixin, forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Commitment")
    due_date = forms.DateField(widget=DateInput, required=False, label="Due date")
    tracks = forms.ModelMultipleChoiceField(
        queryset=Track.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Focus areas it serves",
    )

    def __init__(self, *args, contract: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tracks"].queryset = contract.tracks.select_related("focus_area").order_by(
            "focus_area__order"
        )
        self.fields["tracks"].label_from_instance = lambda track: track.focus_area.name
