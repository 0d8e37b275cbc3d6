"""Input for evidence uploads, new versions and withdrawals (validation of the file itself is
`evidence.rules`, applied by the services)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from config.forms import GovUKFormMixin
from matrix.models import EvidenceType

from .rules import ALLOWED_DESCRIPTION


def file_help() -> str:
    return (
        f"{ALLOWED_DESCRIPTION}; up to {filesizeformat(settings.EVIDENCE_MAX_BYTES)}. "
        "Files with macros are not accepted."
    )


class _VersionForm(forms.Form):
    period_start = forms.DateField(
        label="First day of the period the evidence covers",
        error_messages={"required": "Enter the first day of the period the evidence covers."},
    )
    period_end = forms.DateField(
        label="Last day of the period the evidence covers",
        error_messages={"required": "Enter the last day of the period the evidence covers."},
    )
    description = forms.CharField(
        label="Description",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the evidence shows, for the people reviewing it.",
        max_length=5000,
    )
    # The file goes last, so every other field is already read if the file is refused part-way
    # through (too large): nothing typed is lost.
    file = forms.FileField(
        label="File",
        error_messages={
            "required": "Choose the file to upload.",
            "empty": "The file is empty. Upload a file that has content.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = file_help()

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error(
                "period_end", "The last day of the period must be on or after its first day."
            )
        return data


class EvidenceUploadForm(GovUKFormMixin, _VersionForm):
    evidence_type = forms.ModelChoiceField(
        label="Evidence type",
        queryset=EvidenceType.objects.none(),
        empty_label="Choose the evidence type",
        error_messages={"required": "Choose the evidence type this file is for."},
    )

    field_order = ["evidence_type", "period_start", "period_end", "description", "file"]

    def __init__(self, *args, track, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the track's own focus area: a type from elsewhere is refused as an invalid choice.
        self.fields["evidence_type"].queryset = EvidenceType.objects.filter(
            focus_area_id=track.focus_area_id
        ).order_by("order")


class SupersedeForm(GovUKFormMixin, _VersionForm):
    """A new version keeps the item's track and evidence type; only the file and period change."""


class WithdrawForm(GovUKFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why is this evidence being withdrawn?",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages={"required": "Give the reason for withdrawing this evidence."},
    )
