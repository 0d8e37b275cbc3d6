from django import template

register = template.Library()


@register.inclusion_tag("monitoring/includes/rag_tag.html")
def target_rag(status: str | None) -> dict:
    """A target status as a RAG tag: colour and its text label together, never colour alone."""
    from monitoring.selectors import rag_for_status

    return {"rag": rag_for_status(status)}


@register.filter
def lookup(mapping: dict, key):
    """`{{ counts|lookup:level.rank }}`: a dictionary entry by a key computed in the template."""
    return mapping.get(key) if hasattr(mapping, "get") else None
