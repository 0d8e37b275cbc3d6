from django import template

from contracts.models import Target

register = template.Library()


@register.inclusion_tag("contracts/_rag_tag.html")
def target_rag(status: str | None) -> dict:
    """A target status as a RAG tag: colour and its text label together, never colour alone."""
    if not status:
        return {"status": None}
    return {
        "status": status,
        "rag": Target.RAG.get(status, "grey"),
        "label": Target.Status(status).label,
    }


@register.filter
def lookup(mapping: dict, key):
    """`{{ counts|lookup:level.rank }}`: a dictionary entry by a key computed in the template."""
    return mapping.get(key) if hasattr(mapping, "get") else None
