"""GOV.UK Design System classes for Django forms, so every app's forms look and behave alike.

Forms inherit `GovUKFormMixin` (before `forms.Form`/`forms.ModelForm`) and templates render them
with `includes/form_fields.html`, which lays out labels, hints, errors and widgets the GOV.UK way.
"""

from __future__ import annotations

from django import forms

_WIDGET_CLASSES: list[tuple[type[forms.Widget], str, str]] = [
    # (widget type, class, error class) – the first match wins, so subclasses come first.
    (forms.CheckboxSelectMultiple, "govuk-checkboxes__input", ""),
    (forms.RadioSelect, "govuk-radios__input", ""),
    (forms.CheckboxInput, "govuk-checkboxes__input", ""),
    (forms.Textarea, "govuk-textarea", "govuk-textarea--error"),
    (forms.SelectMultiple, "govuk-select", "govuk-select--error"),
    (forms.Select, "govuk-select", "govuk-select--error"),
    (forms.FileInput, "govuk-file-upload", "govuk-file-upload--error"),
    (forms.widgets.Input, "govuk-input", "govuk-input--error"),
]


def _classes_for(widget: forms.Widget) -> tuple[str, str]:
    for widget_type, css, error_css in _WIDGET_CLASSES:
        if isinstance(widget, widget_type):
            return css, error_css
    return "", ""


class DateInput(forms.DateInput):
    """A native date picker; the value round-trips as ISO 8601."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class GovUKFormMixin:
    """Adds GOV.UK classes to every widget, and the error variant to fields that fail."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css, _ = _classes_for(field.widget)
            if css:
                existing = field.widget.attrs.get("class", "")
                field.widget.attrs["class"] = f"{css} {existing}".strip()
            if isinstance(field, forms.DateField) and type(field.widget) is forms.DateInput:
                field.widget = DateInput(attrs=field.widget.attrs)

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                _, error_css = _classes_for(widget)
                if error_css and error_css not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} {error_css}".strip()
                widget.attrs["aria-invalid"] = "true"


def add_service_errors(form: forms.BaseForm, exc) -> None:
    """Shows a service's ValidationError on the form: beside the field it names, else on top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def submitted(request, form: forms.BaseForm, action):
    """Runs `action(cleaned_data)` for a valid POSTed form and returns its result; on a GET, an
    invalid form or a service's ValidationError (shown on the form) returns None, so the view
    renders the form again."""
    from django.core.exceptions import ValidationError

    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return action(form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
