"""Contracts, the parties to them, and what is tracked per focus area.

A track's level is a protected state field: it moves only through `Track.move_to_level`, which
the workflow calls when a board member confirms an assessment.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django_fsm import RETURN_VALUE, FSMField, FSMIntegerField, FSMModelMixin, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from .roles import ORGANISATION_ROLES, Role


class Organisation(models.Model):
    class Kind(models.TextChoices):
        AUTHORITY = "authority", "Authority"
        PROVIDER = "provider", "Provider"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A person's place in an organisation, with the role they play there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        max_length=30, choices=[(r.value, r.label) for r in Role if r in ORGANISATION_ROLES]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} at {self.organisation}"

    def clean(self) -> None:
        client = self.role in (Role.CLIENT_OFFICER, Role.CLIENT_LEAD)
        if self.organisation_id and client != (
            self.organisation.kind == Organisation.Kind.AUTHORITY
        ):
            raise ValidationError(
                {"role": "Client roles belong to Authorities; provider roles to providers."}
            )


class Contract(FSMModelMixin, models.Model):
    class State(models.TextChoices):
        MOBILISING = "mobilising", "Mobilising"
        LIVE = "live", "Live"
        EXTENDED = "extended", "Extended"
        EXPIRED = "expired", "Expired"
        TERMINATED = "terminated", "Terminated"

    reference = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=300)
    authorities = models.ManyToManyField(
        Organisation, related_name="contracts_as_authority", limit_choices_to={"kind": "authority"}
    )
    provider = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="contracts_as_provider",
        limit_choices_to={"kind": "provider"},
    )
    framework = models.ForeignKey(
        "matrix.Framework", on_delete=models.PROTECT, related_name="contracts"
    )
    start_date = models.DateField()
    end_date = models.DateField()
    extension_options = models.TextField(blank=True)
    state = FSMField(default=State.MOBILISING, choices=State.choices, protected=True)
    default_target_rank = models.PositiveSmallIntegerField(
        default=3, help_text="Rank of the level every track should reach, e.g. 3."
    )
    default_target_date = models.DateField(null=True, blank=True)
    default_target_sustained = models.BooleanField(default=False)
    sustain_cycles = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Consecutive cycles for a level to count as sustained."
    )
    termination_reason = models.TextField(blank=True)
    board_members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="boards"
    )
    auditors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="audited_contracts"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="contract_dates_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def sustain_cycles_required(self) -> int:
        return self.sustain_cycles or settings.SUSTAIN_CYCLES

    @property
    def can_tailor_framework(self) -> bool:
        return self.state == self.State.MOBILISING

    # Transitions take the acting user as `by` and a comment as `description`: both go to the
    # transition log (django-fsm-log) and the audit trail. Services in `contracts.services` call
    # them inside a transaction, after checking the actor's role.

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=State.MOBILISING, target=State.LIVE)
    def go_live(self, by=None, description=None) -> None:
        """Tracks and default targets are created by `contracts.services.go_live`."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=[State.LIVE, State.EXTENDED], target=State.EXTENDED)
    def extend(self, new_end_date, by=None, description=None) -> None:
        if new_end_date <= self.end_date:
            raise ValidationError("An extension must move the end date later.")
        self.end_date = new_end_date

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=[State.LIVE, State.EXTENDED], target=State.EXPIRED)
    def expire(self, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=[State.LIVE, State.EXTENDED], target=State.TERMINATED)
    def terminate(self, reason: str, by=None, description=None) -> None:
        if not reason.strip():
            raise ValidationError("A reason is required to terminate a contract.")
        self.termination_reason = reason.strip()


class Track(FSMModelMixin, models.Model):
    """One per contract × focus area: the level the contract has reached in that area."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="tracks")
    focus_area = models.ForeignKey(
        "matrix.FocusArea", on_delete=models.PROTECT, related_name="tracks"
    )
    level_rank = FSMIntegerField(default=0, protected=True)
    level_reached_at = models.DateTimeField(null=True, blank=True)
    sustained = models.BooleanField(default=False)
    sustained_since = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "focus_area__order"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "focus_area"], name="track_unique")
        ]

    def __str__(self) -> str:
        return f"{self.contract.reference} · {self.focus_area.name}"

    @fsm_log_by
    @fsm_log_description
    @transition(field=level_rank, source="*", target=RETURN_VALUE())
    def move_to_level(self, rank: int, cause=None, by=None, description=None) -> int:
        """The only way a level changes; `cause` is the confirmed assessment."""
        from django.utils import timezone

        if cause is None:
            raise ValidationError("A level changes only through a confirmed assessment.")
        self.level_reached_at = timezone.now()
        self.sustained = False
        self.sustained_since = None
        return rank


class ReviewCycle(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="cycles")
    name = models.CharField(max_length=100)
    opens_on = models.DateField()
    evidence_deadline = models.DateField()
    closes_on = models.DateField()

    class Meta:
        ordering = ["contract", "opens_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(evidence_deadline__gte=models.F("opens_on"))
                & Q(closes_on__gte=models.F("evidence_deadline")),
                name="cycle_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def is_open_on(self, day) -> bool:
        return self.opens_on <= day <= self.closes_on


class Target(models.Model):
    class Status(models.TextChoices):
        ON_TRACK = "on_track", "On track"
        AT_RISK = "at_risk", "At risk"
        OVERDUE = "overdue", "Overdue"
        MET = "met", "Met"
        MET_SUSTAINED = "met_sustained", "Met and sustained"
        MISSED = "missed", "Missed"
        WAIVED = "waived", "Waived"

    OPEN_STATUSES = (Status.ON_TRACK, Status.AT_RISK, Status.OVERDUE)
    #: Red/amber/green for each status; pages always show the status label beside the colour.
    RAG = {
        Status.ON_TRACK: "green",
        Status.MET: "green",
        Status.MET_SUSTAINED: "green",
        Status.AT_RISK: "amber",
        Status.OVERDUE: "red",
        Status.MISSED: "red",
        Status.WAIVED: "grey",
    }

    class Source(models.TextChoices):
        CONTRACT_DEFAULT = "default", "Contract default"
        CLIENT_LEAD = "client_lead", "Client lead"
        BOARD = "board", "Board decision"

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="targets")
    level_rank = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    requires_sustained = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ON_TRACK)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.CLIENT_LEAD)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["track", "due_date"]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return f"Level {self.level_rank} by {self.due_date:%d %b %Y}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def rag(self) -> str:
        return self.RAG.get(self.status, "grey")


class TargetRevision(models.Model):
    """Every version a target has had, the first one included; never edited."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="revisions")
    level_rank = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    requires_sustained = models.BooleanField(default=False)
    reason = models.TextField(blank=True)
    revised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["target", "revised_at", "id"]

    def __str__(self) -> str:
        return f"Level {self.level_rank} by {self.due_date:%d %b %Y}"


class AnnualPlan(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="annual_plans")
    year_starting = models.DateField()
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["contract", "year_starting"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "year_starting"], name="plan_year_unique")
        ]

    def __str__(self) -> str:
        return self.title


class Commitment(models.Model):
    plan = models.ForeignKey(AnnualPlan, on_delete=models.CASCADE, related_name="commitments")
    text = models.TextField()
    tracks = models.ManyToManyField(Track, blank=True, related_name="commitments")
    due_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "id"]

    def __str__(self) -> str:
        return self.text[:80]
