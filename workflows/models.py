"""Assessments (level claims) and the board's meetings and decisions.

The assessment's transitions are django-fsm methods on the model; the services in
`workflows.services` call them inside a transaction and write the audit trail.
"""

from django.conf import settings
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField


class Assessment(ConcurrentTransitionMixin, models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        UNDER_REVIEW = "under_review", "Under review"
        RETURNED = "returned", "Returned for evidence"
        AGREED = "agreed", "Agreed"
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    #: States in which a claim is with the client team or the board (it is "in review").
    IN_REVIEW_STATES = (State.SUBMITTED, State.UNDER_REVIEW, State.AGREED)
    OPEN_STATES = (State.DRAFT, State.SUBMITTED, State.UNDER_REVIEW, State.RETURNED, State.AGREED)

    class Kind(models.TextChoices):
        CLAIM = "claim", "Level claim"
        REGRESSION = "regression", "Regression"

    track = models.ForeignKey(
        "contracts.Track", on_delete=models.PROTECT, related_name="assessments"
    )
    cycle = models.ForeignKey(
        "contracts.ReviewCycle", on_delete=models.PROTECT, related_name="assessments"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CLAIM)
    claimed_rank = models.PositiveSmallIntegerField()
    from_rank = models.PositiveSmallIntegerField(help_text="The track's level when opened.")
    pack = models.OneToOneField(
        "evidence.EvidencePack",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assessment",
    )
    summary = models.TextField(blank=True, help_text="The claimant's case for the level.")
    state = FSMField(default=State.DRAFT, choices=State.choices, protected=True)
    # Bumped by every content edit: two edits of a draft in the same state cannot both win.
    edit_version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agreed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_comment = models.TextField(blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.track} → level {self.claimed_rank}"


class CriterionJudgement(models.Model):
    """The reviewer's judgement on one checklist criterion (or the descriptor as a whole)."""

    class Verdict(models.TextChoices):
        MET = "met", "Met"
        NOT_MET = "not_met", "Not met"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="judgements")
    position = models.PositiveSmallIntegerField()
    criterion = models.TextField()
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    comment = models.TextField(blank=True)
    judged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    judged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment", "position", "judged_at"]

    def __str__(self) -> str:
        return f"{self.criterion[:60]}: {self.get_verdict_display()}"


class BoardMeeting(models.Model):
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="board_meetings"
    )
    held_on = models.DateField()
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    other_attendees = models.TextField(blank=True)
    minutes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "-held_on"]

    def __str__(self) -> str:
        return f"Board meeting {self.held_on:%d %b %Y}"


class BoardDecision(models.Model):
    """Immutable once recorded; a later decision may supersede it."""

    class Kind(models.TextChoices):
        REWARD = "reward", "Reward"
        SANCTION = "sanction", "Sanction"
        EXTENSION_GRANTED = "extension_granted", "Extension granted"
        EXTENSION_DECLINED = "extension_declined", "Extension declined"
        TARGET_SET = "target_set", "Target set"
        TARGET_WAIVED = "target_waived", "Target waived"
        NO_ACTION = "no_action", "No action"

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="board_decisions"
    )
    meeting = models.ForeignKey(
        BoardMeeting, on_delete=models.PROTECT, related_name="decisions", null=True, blank=True
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    clause = models.CharField(max_length=100, help_text="The contract clause applied.")
    rationale = models.TextField()
    targets = models.ManyToManyField("contracts.Target", blank=True, related_name="decisions")
    assessments = models.ManyToManyField(Assessment, blank=True, related_name="decisions")
    # The facts as they stood when decided: levels, target statuses, sustained or not.
    facts_snapshot = models.JSONField(default=dict, editable=False)
    new_end_date = models.DateField(null=True, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "-recorded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.clause})"
