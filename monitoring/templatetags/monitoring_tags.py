"""Template pieces for flags and RAG status, for any page that shows targets or flags.

    {% load monitoring_tags %}
    {% rag_tag target %}            {# or a status code: {% rag_tag "at_risk" %} #}
    {% flag_tag flag %}
    {% flag_list flags caption="Open flags" show_track=True %}

Colour is never the only signal: every tag carries its text label.
"""

from __future__ import annotations

from django import template

from contracts.models import Target

from ..models import Flag
from ..selectors import Rag, rag_for_flag, rag_for_status

register = template.Library()


@register.inclusion_tag("monitoring/includes/rag_tag.html")
def rag_tag(subject) -> dict:
    """A RAG tag for a target (or a target status code), e.g. an amber "At risk"."""
    status = subject.status if isinstance(subject, Target) else str(subject)
    return {"rag": rag_for_status(status)}


@register.simple_tag
def rag_for(subject) -> Rag:
    """The Rag (colour, label, css_class) for a target or status code, for custom markup."""
    status = subject.status if isinstance(subject, Target) else str(subject)
    return rag_for_status(status)


@register.inclusion_tag("monitoring/includes/rag_tag.html")
def flag_tag(flag: Flag) -> dict:
    """A flag's kind as a tag: red or amber while open, grey once resolved."""
    return {"rag": rag_for_flag(flag)}


@register.inclusion_tag("monitoring/includes/flag_list.html")
def flag_list(
    flags,
    caption: str = "Flags",
    show_track: bool = True,
    empty: str = "There are no flags.",
) -> dict:
    """A table of flags: kind, focus area (optional), detail, raised, resolved.

    Pass a queryset from `monitoring.selectors` (it selects the related rows it shows)."""
    return {"flags": flags, "caption": caption, "show_track": show_track, "empty": empty}
