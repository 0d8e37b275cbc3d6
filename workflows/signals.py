"""A recorded board decision's links to targets and assessments never change afterwards."""

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .models import BoardDecision, ImmutableDecision


@receiver(m2m_changed, sender=BoardDecision.targets.through)
@receiver(m2m_changed, sender=BoardDecision.assessments.through)
def _decision_links_are_fixed(sender, instance, action, reverse, **kwargs):
    if not action.startswith("pre_"):
        return
    if reverse or not getattr(instance, "_recording", False) or action != "pre_add":
        raise ImmutableDecision(
            "A recorded board decision's links cannot change; record a superseding decision."
        )
