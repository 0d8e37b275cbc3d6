from django import forms

from config.forms import GovUKFormMixin

from .kinds import optional_kinds


class EmailPreferencesForm(GovUKFormMixin, forms.Form):
    """Which non-critical notifications a person wants by email (ticked = send them)."""

    email_kinds = forms.MultipleChoiceField(
        label="Email me when",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "Untick what you do not want by email. You still see every notification in the "
            "service, and important ones (overdue or missed targets) are always emailed."
        ),
        error_messages={
            "invalid_choice": "Choose only from the notifications listed.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email_kinds"].choices = [(k.code, k.label) for k in optional_kinds()]

    def opted_out(self) -> set[str]:
        """The kinds left unticked."""
        wanted = set(self.cleaned_data["email_kinds"])
        return {code for code, _ in self.fields["email_kinds"].choices} - wanted
