"""Flags raised by the monitoring jobs, and the notification outbox.

A flag is raised once per condition (`subject_key`) and resolved when the condition clears: a
partial unique constraint makes a second open flag for one condition impossible. A notification is
written in the same transaction as the change that causes it, with a unique de-duplication key;
the sender delivers what is pending, so a re-run never sends twice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Flag(models.Model):
    class Kind(models.TextChoices):
        TARGET_AT_RISK = "target_at_risk", "Target at risk"
        TARGET_OVERDUE = "target_overdue", "Target overdue"
        TARGET_MISSED = "target_missed", "Target missed"
        EVIDENCE_STALE = "evidence_stale", "Evidence stale"
        DEADLINE_APPROACHING = "deadline_approaching", "Review deadline approaching"
        CHECKSUM_MISMATCH = "checksum_mismatch", "Checksum mismatch"
        FILE_MISSING = "file_missing", "Evidence file missing"

    class Severity(models.TextChoices):
        AMBER = "amber", "Amber"
        RED = "red", "Red"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.AMBER)
    subject_key = models.CharField(max_length=200, help_text="Identifies the condition.")
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="flags"
    )
    track = models.ForeignKey(
        "contracts.Track", null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    target = models.ForeignKey(
        "contracts.Target", null=True, blank=True, on_delete=models.CASCADE, related_name="flags"
    )
    evidence_item = models.ForeignKey(
        "evidence.EvidenceItem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="flags",
    )
    detail = models.TextField(blank=True)
    raised_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_key"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_flag_per_condition",
            )
        ]
        indexes = [models.Index(fields=["contract", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.detail[:60]}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Not sent (opted out)"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=50)
    critical = models.BooleanField(default=False, help_text="Critical kinds ignore opt-outs.")
    dedup_key = models.CharField(max_length=255, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=500, blank=True)
    contract = models.ForeignKey(
        "contracts.Contract",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # Delivery bookkeeping (monitoring.outbox): a failed attempt waits until `next_attempt_at`;
    # a sender claims rows by writing its `claim_token` and a lease (`claimed_until`), so two
    # senders never hold the same row and a crashed sender's rows come back when the lease ends.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, null=True, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["recipient", "read_at"]),
            models.Index(
                fields=["claim_token"],
                condition=Q(claim_token__isnull=False),
                name="notification_claimed",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class NotificationPreference(models.Model):
    """A person's opt-out from one non-critical kind of notification."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_opt_outs"
    )
    kind = models.CharField(max_length=50)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_opt_out_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} opted out of {self.kind}"


class ScheduledJob(models.Model):
    """One row per background job: serialises overlapping runs and records the last one.

    A run starts by updating its row inside the job's transaction, which holds a row lock on
    PostgreSQL (and the write lock on SQLite) until it commits: a second beat or a manual run
    waits, then finds nothing left to change.
    """

    name = models.CharField(max_length=100, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
