"""One way to write to the audit trail, used by every service that changes state."""

import re

from django.db import models

from .context import client_ip_var, current_request_id
from .models import AuditEvent

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def escape_control(text: str) -> str:
    """Makes control and bidi-override characters visible so a log line cannot be forged."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text or "")


def record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    contract_id: int | None = None,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    organisation_name: str = "",
    actor_name: str = "",
) -> AuditEvent:
    user = actor if getattr(actor, "is_authenticated", False) else None
    if user is not None and not actor_name:
        actor_name = user.get_username()
    if obj is not None and contract_id is None:
        contract_id = _contract_id_of(obj)
    return AuditEvent.objects.create(
        actor=user,
        actor_name=escape_control(actor_name)[:150],
        organisation_name=escape_control(organisation_name)[:200],
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=escape_control(str(obj))[:300] if obj is not None else "",
        contract_id=contract_id,
        from_state=str(from_state),
        to_state=str(to_state),
        comment=escape_control(comment),
        request_id=current_request_id(),
        ip_address=client_ip_var.get(),
    )


def _contract_id_of(obj: models.Model) -> int | None:
    if obj._meta.label_lower == "contracts.contract":
        return obj.pk
    for attr in ("contract_id",):
        value = getattr(obj, attr, None)
        if value is not None:
            return value
    for rel in ("track", "assessment", "target"):
        related = getattr(obj, rel, None)
        if related is not None:
            return _contract_id_of(related)
    return None
