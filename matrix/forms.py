"""Forms for frameworks: the spreadsheet upload (admin) and checklist editing."""

from __future__ import annotations

from django import forms
from django.conf import settings

from .importer import FrameworkImportError, human_size, read_limited


class FrameworkImportForm(forms.Form):
    """Checks the upload's presence and size; the importer judges its content."""

    file = forms.FileField(
        label="Spreadsheet",
        help_text="A TSV, CSV or XLSX file laid out like the Strategic Performance Maturity "
        "Matrix: a header row naming the focus and level columns, one row per focus area.",
    )
    name = forms.CharField(
        label="Framework name",
        max_length=200,
        required=False,
        help_text="Leave blank to use the title above the table. The same name with different "
        "content becomes its next version.",
    )
    publish = forms.BooleanField(
        label="Publish it now",
        required=False,
        help_text="A published version can no longer be changed; tailor it to make a new one.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            upload.seek(0)
            self.cleaned_data["content"] = read_limited(upload, size=upload.size)
        except FrameworkImportError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return upload

    @property
    def max_size(self) -> str:
        return human_size(settings.FRAMEWORK_IMPORT_MAX_BYTES)


class CriteriaField(forms.CharField):
    """A checklist edited as one criterion per line, stored as a JSON list."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value) -> list[str]:
        if isinstance(value, list | tuple):
            return [str(item).strip() for item in value if str(item).strip()]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def has_changed(self, initial, data) -> bool:
        return self.to_python(initial or []) != self.to_python(data)
