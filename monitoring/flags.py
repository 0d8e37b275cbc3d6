"""Raising and resolving flags: once per condition, resolved when the condition clears."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Flag


def raise_flag(
    *,
    kind: str,
    subject_key: str,
    contract,
    detail: str = "",
    severity: str = Flag.Severity.AMBER,
    track=None,
    target=None,
    evidence_item=None,
) -> tuple[Flag, bool]:
    """Returns the open flag for this condition and whether it was raised just now."""
    existing = Flag.objects.filter(kind=kind, subject_key=subject_key, resolved_at__isnull=True)
    flag = existing.first()
    if flag is not None:
        return flag, False
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                kind=kind,
                subject_key=subject_key,
                contract=contract,
                detail=detail,
                severity=severity,
                track=track,
                target=target,
                evidence_item=evidence_item,
            )
    except IntegrityError:  # raised concurrently by another run: that one stands
        return existing.get(), False
    return flag, True


def resolve_flag(*, kind: str, subject_key: str) -> int:
    """Resolves the open flag for a condition that has cleared; returns how many were resolved."""
    flags = Flag.objects.filter(kind=kind, subject_key=subject_key, resolved_at__isnull=True)
    count = 0
    for flag in flags:
        flag.resolved_at = timezone.now()
        flag.save(update_fields=["resolved_at"])
        count += 1
    return count
