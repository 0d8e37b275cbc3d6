"""Evidence items and packs. Items are immutable: superseded or withdrawn, never overwritten.

The stored file is addressed by a random key; the uploader's filename is metadata only.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class ImmutableEvidenceError(Exception):
    """Raised when code tries to rewrite or delete an evidence item (or its stored file)."""


#: The only columns that may change once an item exists: its withdrawal (recorded once) and when
#: its stored file was last verified. Everything else, the file above all, is fixed at upload.
MUTABLE_FIELDS = frozenset(
    {"withdrawn_at", "withdrawn_by", "withdrawn_by_id", "withdrawal_reason", "last_verified_at"}
)


class EvidenceItemQuerySet(models.QuerySet):
    def active(self) -> "EvidenceItemQuerySet":
        """Neither withdrawn nor superseded by a newer version."""
        return self.filter(withdrawn_at__isnull=True, superseded_by__isnull=True)

    def update(self, **kwargs):
        # Bulk updates may only stamp verification times; withdrawal goes through `save()`,
        # which checks it is recorded once.
        if set(kwargs) - {"last_verified_at"}:
            raise ImmutableEvidenceError(
                "Evidence items cannot be changed in bulk; only last_verified_at may be updated."
            )
        return super().update(**kwargs)

    def delete(self):
        raise ImmutableEvidenceError("Evidence items are never deleted; withdraw them instead.")


class EvidenceItem(models.Model):
    track = models.ForeignKey(
        "contracts.Track", on_delete=models.PROTECT, related_name="evidence_items"
    )
    evidence_type = models.ForeignKey(
        "matrix.EvidenceType", on_delete=models.PROTECT, related_name="items"
    )
    period_start = models.DateField(help_text="First day of the period the evidence covers.")
    period_end = models.DateField(help_text="Last day of the period the evidence covers.")
    description = models.TextField(blank=True)
    storage_key = models.CharField(max_length=255, unique=True, editable=False)
    original_filename = models.CharField(max_length=255, editable=False)
    size_bytes = models.BigIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False, db_index=True)
    content_type = models.CharField(max_length=100, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        help_text="The earlier version this item replaces.",
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True)
    last_verified_at = models.DateTimeField(null=True, blank=True)

    objects = EvidenceItemQuerySet.as_manager()

    class Meta:
        ordering = ["track", "evidence_type", "-uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="evidence_period_ordered",
            ),
            # The same content twice on one track is a duplicate, whichever version it is; a
            # withdrawn item no longer counts, so a file withdrawn by mistake can be uploaded again.
            models.UniqueConstraint(
                fields=["track", "sha256"],
                condition=Q(withdrawn_at__isnull=True),
                name="evidence_unique_content_per_track",
            ),
        ]
        indexes = [models.Index(fields=["track", "sha256"])]

    def __str__(self) -> str:
        return f"{self.original_filename} ({self.evidence_type})"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def is_superseded(self) -> bool:
        try:
            return self.superseded_by is not None
        except EvidenceItem.DoesNotExist:
            return False

    @property
    def status_label(self) -> str:
        if self.is_withdrawn:
            return "Withdrawn"
        if self.is_superseded:
            return "Superseded"
        return "Current version"

    def save(self, *args, **kwargs):
        """Refuses any change to an existing item except recording its withdrawal once and
        stamping its verification time: evidence is immutable."""
        if self.pk is not None and not self._state.adding:
            names = [f.attname for f in self._meta.concrete_fields]
            stored = type(self)._base_manager.filter(pk=self.pk).values(*names).first()
            if stored is not None:
                changed = [
                    name
                    for name in names
                    if name not in MUTABLE_FIELDS and getattr(self, name) != stored[name]
                ]
                if changed:
                    raise ImmutableEvidenceError(
                        f"Evidence item {self.pk} cannot be changed ({', '.join(changed)}); "
                        "upload a new version that supersedes it instead."
                    )
                if stored["withdrawn_at"] is not None and any(
                    getattr(self, name) != stored[name]
                    for name in ("withdrawn_at", "withdrawn_by_id", "withdrawal_reason")
                ):
                    raise ImmutableEvidenceError(
                        f"Evidence item {self.pk} is already withdrawn; its withdrawal is final."
                    )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableEvidenceError("Evidence items are never deleted; withdraw them instead.")


class EvidencePack(models.Model):
    """The items a provider submits with a claim; locked (and attested) on submission."""

    track = models.ForeignKey(
        "contracts.Track", on_delete=models.PROTECT, related_name="evidence_packs"
    )
    cycle = models.ForeignKey(
        "contracts.ReviewCycle", on_delete=models.PROTECT, related_name="evidence_packs"
    )
    items = models.ManyToManyField(EvidenceItem, blank=True, related_name="packs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attestation = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Evidence pack for {self.track} ({self.cycle})"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None
