"""Evidence packs for level claims: built and changed while the claim is a draft, locked with the
provider lead's attestation when it is submitted, and never changed after that.

A claim returned for more evidence keeps its locked pack as it was attested; `continue_pack`
starts a new draft pack holding the same items, so what was submitted each time stays on record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from contracts.models import ReviewCycle, Track
from matrix.models import EvidenceType

from .models import EvidenceItem, EvidencePack
from .selectors import evidence_status


@dataclass(frozen=True)
class PackGaps:
    """What stops a pack from supporting a claim, by evidence type."""

    #: No current item has been uploaded for the cycle at all.
    not_uploaded: list[EvidenceType] = field(default_factory=list)
    #: Current items exist, but none of them is in the pack.
    not_in_pack: list[EvidenceType] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.not_uploaded or self.not_in_pack)

    @property
    def missing(self) -> list[EvidenceType]:
        return [*self.not_uploaded, *self.not_in_pack]

    def messages(self) -> list[str]:
        """One sentence per kind of gap, naming every evidence type concerned."""
        out = []
        if self.not_uploaded:
            names = "; ".join(t.name for t in self.not_uploaded)
            out.append(f"Upload current evidence for this review cycle for: {names}.")
        if self.not_in_pack:
            names = "; ".join(t.name for t in self.not_in_pack)
            out.append(f"Add the current evidence to the pack for: {names}.")
        return out


def missing_for_pack(pack: EvidencePack, up_to_rank: int) -> PackGaps:
    """The evidence types applying up to `up_to_rank` that the pack does not yet cover.

    Three queries, whatever the number of types and items.
    """
    in_pack = set(pack.items.values_list("pk", flat=True))
    not_uploaded, not_in_pack = [], []
    for status in evidence_status(pack.track, pack.cycle, up_to_rank):
        if status.is_missing:
            not_uploaded.append(status.evidence_type)
        elif not any(item.pk in in_pack for item in status.current_items):
            not_in_pack.append(status.evidence_type)
    return PackGaps(not_uploaded=not_uploaded, not_in_pack=not_in_pack)


def attestation_text(pack: EvidencePack) -> str:
    """The statement the provider lead makes when submitting the pack."""
    contract = pack.track.contract
    return (
        f"I confirm that this evidence pack relates to contract {contract.reference} "
        f"({contract.title}), focus area “{pack.track.focus_area.name}”, and review cycle "
        f"“{pack.cycle.name}”."
    )


def _checked_items(track: Track, items: Iterable[EvidenceItem]) -> list[EvidenceItem]:
    items = list(items)
    ids = {item.pk for item in items}
    valid = set(
        EvidenceItem.objects.active().filter(pk__in=ids, track=track).values_list("pk", flat=True)
    )
    wrong = [item for item in items if item.pk not in valid]
    if wrong:
        names = ", ".join(str(item.original_filename or item.pk) for item in wrong)
        raise ValidationError(
            {
                "items": "Only current evidence uploaded for this focus area can go in the pack "
                f"(not: {names})."
            }
        )
    return items


@transaction.atomic
def create_pack(
    *, track: Track, cycle: ReviewCycle, actor, items: Iterable[EvidenceItem] = ()
) -> EvidencePack:
    """A new, unlocked pack for a claim on `track` in `cycle`."""
    if cycle.contract_id != track.contract_id:
        raise ValidationError({"cycle": "Choose a review cycle of this contract."})
    items = _checked_items(track, items)
    pack = EvidencePack.objects.create(track=track, cycle=cycle, created_by=actor)
    pack.items.set(items)
    return pack


@transaction.atomic
def set_pack_items(*, pack: EvidencePack, actor, items: Iterable[EvidenceItem]) -> EvidencePack:
    """Replaces the pack's items; refused once the pack is locked."""
    pack = EvidencePack.objects.select_for_update().get(pk=pack.pk)
    if pack.is_locked:
        raise ValidationError("This evidence pack was submitted and is locked.")
    pack.items.set(_checked_items(pack.track, items))
    return pack


@transaction.atomic
def lock_pack(*, pack: EvidencePack, actor, attestation: str | None = None) -> EvidencePack:
    """Locks the pack with the submitter's attestation that it is for this contract and cycle."""
    pack = EvidencePack.objects.select_for_update().get(pk=pack.pk)
    if pack.is_locked:
        raise ValidationError("This evidence pack is already locked.")
    pack.locked_at = timezone.now()
    pack.attested_by = actor
    pack.attestation = attestation or attestation_text(pack)
    pack.save(update_fields=["locked_at", "attested_by", "attestation"])
    return pack


@transaction.atomic
def continue_pack(*, pack: EvidencePack, actor) -> EvidencePack:
    """A new draft pack with the same items as a locked one, which stays as it was attested."""
    new = EvidencePack.objects.create(track=pack.track, cycle=pack.cycle, created_by=actor)
    new.items.set(pack.items.active())
    return new
