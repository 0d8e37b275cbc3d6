"""Operations on evidence: upload, supersede, withdraw, download, and the storage housekeeping.

Rules that hold whatever calls these (views, the API, commands, jobs):

- only a provider on the contract uploads or withdraws (`Action.UPLOAD_EVIDENCE`); the track, the
  uploader, the hash and the type come from the server, never from what the client posted;
- a refused file leaves nothing behind; a stored file whose row does not commit is removed at once,
  and `sweep_orphan_blobs` quarantines any blob that still ends up without a row (a crash between
  the two, or a caller's outer transaction that rolled back);
- nothing is overwritten or deleted: an item is superseded by a new version or withdrawn with a
  reason, and its file stays.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import record
from contracts.access import contract_access
from contracts.models import Contract, Track
from contracts.roles import Action
from matrix.models import EvidenceType
from monitoring.flags import raise_flag, resolve_flag
from monitoring.models import Flag

from .models import EvidenceItem
from .rules import Inspection, StreamScan, inspect_upload
from .storage import (
    QUARANTINE_PREFIX,
    evidence_storage,
    iter_blob,
    list_blobs,
    make_durable,
    new_storage_key,
)

logger = logging.getLogger(__name__)

#: Contract states in which evidence can still be added.
OPEN_CONTRACT_STATES = (Contract.State.LIVE, Contract.State.EXTENDED)


class DuplicateEvidence(ValidationError):
    """The same file is already on the track; `existing` is the item that holds it."""

    def __init__(self, existing: EvidenceItem):
        self.existing = existing
        super().__init__(
            {
                "file": ValidationError(
                    f"This file is already on this track as “{existing.original_filename}” "
                    f"(evidence item {existing.pk}, uploaded "
                    f"{timezone.localtime(existing.uploaded_at):%d %b %Y}). Upload a different "
                    "file, or a new version of that item.",
                    code="duplicate",
                )
            }
        )


def subject_key(item: EvidenceItem) -> str:
    """The flag condition key for one item's stored file."""
    return f"evidence_item:{item.pk}"


def _require_provider(actor, track: Track) -> None:
    contract_access(actor, track.contract).require(Action.UPLOAD_EVIDENCE)
    if track.contract.state not in OPEN_CONTRACT_STATES:
        raise ValidationError(
            f"The contract is {track.contract.get_state_display().lower()}, so it takes no new "
            "evidence."
        )


def _check_period(period_start: dt.date, period_end: dt.date) -> None:
    if period_start and period_end and period_end < period_start:
        raise ValidationError(
            {"period_end": "The last day of the period must be on or after its first day."}
        )


def _inspect(file) -> Inspection:
    raw_name = getattr(file, "raw_name", None) or file.name or ""
    scan: StreamScan | None = getattr(file, "scan", None)
    return inspect_upload(file, raw_name=raw_name, max_bytes=settings.EVIDENCE_MAX_BYTES, scan=scan)


def _duplicate_of(track: Track, sha256: str) -> EvidenceItem | None:
    return (
        EvidenceItem.objects.filter(track=track, sha256=sha256, withdrawn_at__isnull=True)
        .order_by("uploaded_at")
        .first()
    )


def _store(file) -> str:
    """Writes the file under a fresh random key, on disk before any row refers to it, and
    returns the key actually used (a streamed upload in the local evidence folder is renamed
    into place, not copied)."""
    file.seek(0)
    content = file if isinstance(file, File) else File(file)
    storage = evidence_storage()
    key = storage.save(new_storage_key(), content)
    try:
        make_durable(key, storage)
    except BaseException:
        _remove_blob(key)
        raise
    return key


def _remove_blob(key: str) -> None:
    """Removes a blob written for a row that did not commit (it never held evidence)."""
    try:
        evidence_storage().delete(key)
    except Exception:  # noqa: BLE001 - the orphan sweep finds it later
        logger.exception("Could not remove the uncommitted evidence blob %s", key)


def _create_item(
    *,
    actor,
    track: Track,
    evidence_type: EvidenceType,
    file,
    period_start: dt.date,
    period_end: dt.date,
    description: str,
    supersedes: EvidenceItem | None,
) -> EvidenceItem:
    inspection = _inspect(file)
    existing = _duplicate_of(track, inspection.sha256)
    if existing is not None:
        raise DuplicateEvidence(existing)
    key = _store(file)
    try:
        with transaction.atomic():
            if supersedes is not None:
                locked = EvidenceItem.objects.select_for_update().get(pk=supersedes.pk)
                _check_supersedable(locked)
            try:
                with transaction.atomic():
                    item = EvidenceItem.objects.create(
                        track=track,
                        evidence_type=evidence_type,
                        period_start=period_start,
                        period_end=period_end,
                        description=description.strip(),
                        storage_key=key,
                        original_filename=inspection.display_name,
                        size_bytes=inspection.size,
                        sha256=inspection.sha256,
                        content_type=inspection.content_type,
                        uploaded_by=actor,
                        supersedes=supersedes,
                    )
            except IntegrityError:
                existing = _duplicate_of(track, inspection.sha256)
                if existing is not None:
                    raise DuplicateEvidence(existing) from None
                raise
            comment = f"{inspection.display_name} ({inspection.size} bytes, sha256 "
            comment += f"{inspection.sha256})"
            if supersedes is not None:
                comment += f"; supersedes evidence item {supersedes.pk}"
            record(
                actor=actor,
                action=AuditEvent.Action.UPLOAD,
                obj=item,
                contract_id=track.contract_id,
                comment=comment,
            )
    except BaseException:
        _remove_blob(key)
        raise
    return item


def upload_evidence(
    *,
    actor,
    track: Track,
    evidence_type: EvidenceType,
    file,
    period_start: dt.date,
    period_end: dt.date,
    description: str = "",
) -> EvidenceItem:
    """Stores a new evidence item for one track and one of its focus area's evidence types.

    `file` is an upload (ideally streamed through `EvidenceUploadHandler`, which has already
    hashed it) or any Django `File`. Raises `ValidationError` naming the rule a refused file broke
    (nothing is stored then) and `PermissionDenied` for a role that may not upload. The row and its
    audit entry commit together; if they do not, the stored file is removed again.
    """
    track = Track.objects.select_related("contract").get(pk=track.pk)
    _require_provider(actor, track)
    if evidence_type.focus_area_id != track.focus_area_id:
        raise ValidationError(
            {"evidence_type": "Choose one of the evidence types of this track's focus area."}
        )
    _check_period(period_start, period_end)
    return _create_item(
        actor=actor,
        track=track,
        evidence_type=evidence_type,
        file=file,
        period_start=period_start,
        period_end=period_end,
        description=description or "",
        supersedes=None,
    )


def _check_supersedable(item: EvidenceItem) -> None:
    if item.withdrawn_at is not None:
        raise ValidationError("This item was withdrawn; upload new evidence instead.")
    if EvidenceItem.objects.filter(supersedes=item).exists():
        raise ValidationError(
            "This item has already been replaced by a newer version; open the newest version "
            "and upload there."
        )


def supersede(
    *,
    actor,
    item: EvidenceItem,
    file,
    period_start: dt.date,
    period_end: dt.date,
    description: str = "",
) -> EvidenceItem:
    """Uploads a new version of an item: same track and evidence type, linked to the old one,
    which stays stored and visible in the version chain."""
    item = EvidenceItem.objects.select_related("track__contract", "evidence_type").get(pk=item.pk)
    _require_provider(actor, item.track)
    _check_supersedable(item)
    _check_period(period_start, period_end)
    return _create_item(
        actor=actor,
        track=item.track,
        evidence_type=item.evidence_type,
        file=file,
        period_start=period_start,
        period_end=period_end,
        description=description or "",
        supersedes=item,
    )


@transaction.atomic
def withdraw(*, actor, item: EvidenceItem, reason: str) -> EvidenceItem:
    """Withdraws an item with a reason: it stops counting as evidence; row and file stay."""
    item = (
        EvidenceItem.objects.select_for_update().select_related("track__contract").get(pk=item.pk)
    )
    contract_access(actor, item.track.contract).require(Action.UPLOAD_EVIDENCE)
    if not reason or not reason.strip():
        raise ValidationError({"reason": "Give the reason for withdrawing this evidence."})
    if item.withdrawn_at is not None:
        raise ValidationError("This item is already withdrawn.")
    item.withdrawn_at = timezone.now()
    item.withdrawn_by = actor
    item.withdrawal_reason = reason.strip()
    item.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    record(
        actor=actor,
        action=AuditEvent.Action.CHANGE,
        obj=item,
        contract_id=item.track.contract_id,
        comment=f"Evidence withdrawn: {item.withdrawal_reason}",
    )
    return item


# --- Downloads ------------------------------------------------------------------------------


class ChecksumMismatch(Exception):
    """The stored file no longer matches the SHA-256 recorded at upload."""


def checked_blob(item: EvidenceItem, *, spool=None) -> None:
    """Re-hashes the item's stored file – copying it into `spool` (a writable binary file) on the
    way, if given – and raises `ChecksumMismatch` or `FileNotFoundError` (both flagged) when the
    bytes are not the ones uploaded, so a changed file is never served."""
    digest = hashlib.sha256()
    try:
        for chunk in iter_blob(item.storage_key):
            digest.update(chunk)
            if spool is not None:
                spool.write(chunk)
    except FileNotFoundError:
        _flag_missing(item)
        raise
    if digest.hexdigest() != item.sha256:
        _flag_mismatch(item, digest.hexdigest())
        raise ChecksumMismatch(item.pk)
    if spool is not None:
        spool.flush()
        spool.seek(0)


def record_download(*, actor, item: EvidenceItem) -> None:
    record(
        actor=actor,
        action=AuditEvent.Action.DOWNLOAD,
        obj=item,
        contract_id=item.track.contract_id,
        comment=item.original_filename,
    )


def _flag_file(item: EvidenceItem, kind: str, problem: str) -> None:
    """A red flag on an item whose stored file is not what was uploaded."""
    raise_flag(
        kind=kind,
        subject_key=subject_key(item),
        contract=item.track.contract,
        track=item.track,
        evidence_item=item,
        severity=Flag.Severity.RED,
        detail=f"The stored file of evidence item {item.pk} ({item.original_filename}) {problem}.",
    )


def _flag_mismatch(item: EvidenceItem, found: str) -> None:
    _flag_file(
        item, Flag.Kind.CHECKSUM_MISMATCH, f"has SHA-256 {found}, not {item.sha256} as uploaded"
    )


def _flag_missing(item: EvidenceItem) -> None:
    _flag_file(item, Flag.Kind.FILE_MISSING, "is missing")


# --- Verification and the orphan sweep ------------------------------------------------------


@dataclass
class VerificationReport:
    checked: int = 0
    ok: int = 0
    changed: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    flags_raised: int = 0
    flags_resolved: int = 0

    @property
    def problems(self) -> int:
        return len(self.changed) + len(self.missing)


def _hash_stored(key: str) -> str | None:
    digest = hashlib.sha256()
    try:
        for chunk in iter_blob(key):
            digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def verify_stored_evidence(
    *, progress: Callable[[EvidenceItem], None] | None = None
) -> VerificationReport:
    """Re-reads every stored evidence file and compares its SHA-256 with the one recorded.

    A changed or missing file raises a flag (once per item, however often this runs); a file that
    is good again resolves its flag; every good file gets `last_verified_at`. The database work is
    a fixed number of queries plus one per problem found, whatever the number of items.
    """
    report = VerificationReport()
    started = timezone.now()
    open_flags = set(
        Flag.objects.filter(
            kind__in=(Flag.Kind.CHECKSUM_MISMATCH, Flag.Kind.FILE_MISSING),
            resolved_at__isnull=True,
            evidence_item__isnull=False,
        ).values_list("kind", "evidence_item_id")
    )
    bad: set[int] = set()
    items = EvidenceItem.objects.select_related("track__contract").order_by("pk")
    for item in items.iterator(chunk_size=500):
        report.checked += 1
        found = _hash_stored(item.storage_key)
        problem = None
        if found is None:
            problem = Flag.Kind.FILE_MISSING
            report.missing.append(item.pk)
        elif found != item.sha256:
            problem = Flag.Kind.CHECKSUM_MISMATCH
            report.changed.append(item.pk)
        else:
            report.ok += 1
        if problem is not None:
            bad.add(item.pk)
            if (problem, item.pk) not in open_flags:
                if problem == Flag.Kind.FILE_MISSING:
                    _flag_missing(item)
                else:
                    _flag_mismatch(item, found)
                report.flags_raised += 1
        for kind in (Flag.Kind.CHECKSUM_MISMATCH, Flag.Kind.FILE_MISSING):
            if kind != problem and (kind, item.pk) in open_flags:
                report.flags_resolved += resolve_flag(kind=kind, subject_key=subject_key(item))
        if progress is not None:
            progress(item)
    EvidenceItem.objects.filter(uploaded_at__lte=started).exclude(pk__in=bad).update(
        last_verified_at=timezone.now()
    )
    return report


@dataclass
class SweepReport:
    scanned: int = 0
    quarantined: list[str] = field(default_factory=list)
    too_recent: int = 0


def orphan_blobs(*, older_than: dt.timedelta = dt.timedelta(hours=1)) -> Iterator[tuple[str, bool]]:
    """Stored keys that no evidence item points to, each with whether it is old enough to act
    on (a blob written moments ago may belong to an upload whose row is about to commit)."""
    storage = evidence_storage()
    known = set(EvidenceItem.objects.values_list("storage_key", flat=True))
    cutoff = timezone.now() - older_than
    for key in list_blobs(storage):
        if key in known:
            continue
        yield key, storage.get_modified_time(key) <= cutoff


def sweep_orphan_blobs(
    *, older_than: dt.timedelta = dt.timedelta(hours=1), dry_run: bool = False
) -> SweepReport:
    """Moves every stored blob that has no evidence item (and is older than `older_than`) under
    ``quarantine/``, where an operator can inspect it; nothing is deleted outright."""
    storage = evidence_storage()
    report = SweepReport()
    for key, old_enough in orphan_blobs(older_than=older_than):
        report.scanned += 1
        if not old_enough:
            report.too_recent += 1
            continue
        report.quarantined.append(key)
        if dry_run:
            continue
        with storage.open(key, "rb") as handle:
            storage.save(f"{QUARANTINE_PREFIX}/{key}", handle)
        storage.delete(key)
        logger.warning("Quarantined evidence blob %s: no evidence item refers to it", key)
    return report
