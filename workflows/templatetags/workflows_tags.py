"""Small presentation helpers for the claim and board pages."""

from django import template
from django.utils.html import format_html

register = template.Library()

#: GOV.UK tag colour per state; the state's name is always shown with it (never colour alone).
STATE_COLOURS = {
    "draft": "grey",
    "submitted": "blue",
    "under_review": "light-blue",
    "returned": "orange",
    "agreed": "turquoise",
    "confirmed": "green",
    "rejected": "red",
    "withdrawn": "grey",
    "on_track": "green",
    "at_risk": "yellow",
    "overdue": "orange",
    "met": "green",
    "met_sustained": "green",
    "missed": "red",
    "waived": "grey",
}


@register.simple_tag
def state_tag(value: str, label: str):
    """A GOV.UK tag: the label in words, coloured by state."""
    colour = STATE_COLOURS.get(str(value), "grey")
    return format_html('<strong class="govuk-tag govuk-tag--{}">{}</strong>', colour, label)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
