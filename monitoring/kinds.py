"""The kinds of notification the service sends, and which of them a person may switch off.

A *critical* kind always reaches the person (a missed target, an overdue one); the others can be
switched off on the notification preferences page. Apps that queue their own kinds register them
here (in their `AppConfig.ready`) so the preferences page can offer them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Flag


@dataclass(frozen=True)
class NotificationKind:
    code: str
    label: str
    critical: bool = False
    hint: str = ""


TARGET_AT_RISK = Flag.Kind.TARGET_AT_RISK.value
TARGET_OVERDUE = Flag.Kind.TARGET_OVERDUE.value
TARGET_MISSED = Flag.Kind.TARGET_MISSED.value
DEADLINE_REMINDER = "deadline_reminder"
EVIDENCE_STALE = Flag.Kind.EVIDENCE_STALE.value

_KINDS: dict[str, NotificationKind] = {}


def register_notification_kind(
    code: str, label: str, *, critical: bool = False, hint: str = ""
) -> NotificationKind:
    """Makes a kind known to the preferences page; registering the same code again replaces it."""
    kind = NotificationKind(code=code, label=label, critical=critical, hint=hint)
    _KINDS[code] = kind
    return kind


def notification_kinds() -> list[NotificationKind]:
    return sorted(_KINDS.values(), key=lambda k: k.label)


def optional_kinds() -> list[NotificationKind]:
    """The kinds a person may switch off (every kind that is not critical)."""
    return [k for k in notification_kinds() if not k.critical]


def is_critical(code: str) -> bool:
    kind = _KINDS.get(code)
    return kind is not None and kind.critical


register_notification_kind(
    TARGET_AT_RISK,
    "A target is at risk",
    hint="A target is due within the at-risk window and its level is not reached or claimed.",
)
register_notification_kind(
    TARGET_OVERDUE,
    "A target is overdue",
    critical=True,
    hint="The due date has passed but the target can still be met in the current cycle.",
)
register_notification_kind(
    TARGET_MISSED,
    "A target was missed",
    critical=True,
    hint="The due date has passed and the target can no longer be met.",
)
register_notification_kind(
    DEADLINE_REMINDER,
    "An evidence deadline is approaching",
    hint="Reminders 14, 7 and 1 days before a review cycle's evidence deadline.",
)
register_notification_kind(
    EVIDENCE_STALE,
    "Evidence has gone stale",
    hint="Evidence for a track's current level is older than its recency window.",
)
