"""Reading the audit trail: one object's history, a contract's, and their CSV rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Model, QuerySet

from .models import AuditEvent


def history_for(obj: Model) -> QuerySet[AuditEvent]:
    """The audit trail of one object, oldest first; for a contract, every event of every object
    that belongs to it."""
    if obj._meta.label_lower == "contracts.contract":
        return AuditEvent.objects.filter(contract_id=obj.pk).order_by("occurred_at", "id")
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("occurred_at", "id")


HISTORY_HEADER = [
    "When (UTC)",
    "Who",
    "Organisation",
    "What",
    "Object",
    "From",
    "To",
    "Comment",
    "Request id",
]


def history_rows(events: QuerySet[AuditEvent]) -> Iterator[list[str]]:
    """Rows for a history's CSV export, streamed from the database in chunks."""
    for e in events.iterator(chunk_size=500):
        yield [
            e.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor_name,
            e.organisation_name,
            e.get_action_display(),
            e.object_repr,
            e.from_state,
            e.to_state,
            e.comment,
            e.request_id,
        ]
