"""Evidence items and packs. Items are immutable: superseded or withdrawn, never overwritten.

The stored file is addressed by a random key; the uploader's filename is metadata only.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class EvidenceItemQuerySet(models.QuerySet):
    def active(self) -> "EvidenceItemQuerySet":
        """Neither withdrawn nor superseded by a newer version."""
        return self.filter(withdrawn_at__isnull=True, superseded_by__isnull=True)


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
        ]
        indexes = [models.Index(fields=["track", "sha256"])]

    def __str__(self) -> str:
        return f"{self.original_filename} ({self.evidence_type})"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


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
