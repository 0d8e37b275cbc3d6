"""Assessments (level claims) and the board's meetings and decisions.

The assessment's transitions are django-fsm methods on the model, each with the roles allowed to
take it (`permission=`) and the conditions that must hold (`conditions=`). Services in
`workflows.services` call them inside a transaction after checking the actor; `audit.signals`
and django-fsm-log append one audit row and one StateLog row for every transition.

The transition table (DESIGN §3), with the diagram's "(edit)" arrow as `reopen`:

    transition           from                        to            who
    submit               draft                       submitted     provider lead (claim),
                                                                   client lead (regression)
    start_review         submitted                   under_review  client officer or lead
    return_for_evidence  under_review                returned      client officer or lead; a
                                                                   comment naming what is missing
    reopen               returned                    draft         provider contributor or lead
                                                                   (claim), client lead (regression)
    agree                under_review                agreed        client officer or lead, never
                                                                   the person who submitted
    reject               under_review                rejected      client lead; a reason
    confirm              agreed                      confirmed     board member, never the person
                                                                   who agreed; moves the track
    refer_back           agreed                      under_review  board member; a reason
    withdraw             draft, submitted, returned  withdrawn     provider lead (claim),
                                                                   client lead (regression)

A **regression** (the level should go down: achievement not sustained) is opened by a client lead
and walks the same table: the client lead who opened it submits, reopens and withdraws it (the
provider's steps); another client officer or lead reviews and agrees it (the submitter may never
agree); the board confirms it, which moves the track down. It claims a level below the current
one and needs no evidence pack: its case is the summary, judged against the lower level's
descriptor. The provider is told at every step that concerns them.

Optimistic locking: `ConcurrentTransitionMixin` refuses to save an assessment whose state changed
since it was read, and `edit_version` (bumped by every save) does the same for edits that leave
the state alone. Both raise `ConcurrentTransition`, which pages answer with 409.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django_fsm import ConcurrentTransition, ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from contracts.roles import Action


class StaleEdit(ConcurrentTransition):
    """The row changed (another edit or transition) since it was read: nothing was saved."""


def _can(instance: Assessment, user, action: str) -> bool:
    from contracts.access import contract_access

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return contract_access(user, instance.track.contract).can(action)


def may_author(instance: Assessment, user) -> bool:
    """Drafts and reopens: the provider's people for a claim, a client lead for a regression."""
    return _can(instance, user, Action.REJECT if instance.is_regression else Action.DRAFT_CLAIM)


def may_submit(instance: Assessment, user) -> bool:
    """Submits and withdraws: the provider lead for a claim, a client lead for a regression."""
    return _can(instance, user, Action.REJECT if instance.is_regression else Action.SUBMIT_CLAIM)


def may_review(instance: Assessment, user) -> bool:
    return _can(instance, user, Action.REVIEW)


def may_agree(instance: Assessment, user) -> bool:
    """Separation of duties: whoever submitted the claim cannot agree it."""
    return may_review(instance, user) and user.pk != instance.submitted_by_id


def may_reject(instance: Assessment, user) -> bool:
    return _can(instance, user, Action.REJECT)


def may_confirm(instance: Assessment, user) -> bool:
    """Separation of duties: whoever agreed the level cannot also confirm it for the board."""
    return _can(instance, user, Action.RATIFY) and user.pk != instance.agreed_by_id


def may_refer_back(instance: Assessment, user) -> bool:
    return _can(instance, user, Action.RATIFY)


def cycle_is_open(instance: Assessment) -> bool:
    return instance.cycle.is_open_on(timezone.localdate())


def contract_is_running(instance: Assessment) -> bool:
    from contracts.models import Contract

    return instance.track.contract.state in (Contract.State.LIVE, Contract.State.EXTENDED)


def level_moves(instance: Assessment) -> bool:
    """A claim must change the level; a regression must lower it."""
    current = instance.track.level_rank
    if instance.is_regression:
        return instance.claimed_rank < current
    return instance.claimed_rank != current


def evidence_complete(instance: Assessment) -> bool:
    if instance.is_regression:
        return True
    from evidence.packs import missing_for_pack

    if instance.pack is None:
        return False
    missing = missing_for_pack(instance.pack, instance.claimed_rank)
    return not missing.not_uploaded and not missing.not_in_pack


def _required(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"comment": what})
    return text


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
    #: States whose content (claimed level, summary, pack) the author may still edit.
    EDITABLE_STATES = (State.DRAFT, State.RETURNED)

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
    #: Packs submitted earlier and returned for more evidence: kept locked, as they were attested.
    earlier_packs = models.ManyToManyField(
        "evidence.EvidencePack", blank=True, related_name="+", editable=False
    )
    summary = models.TextField(blank=True, help_text="The claimant's case for the level.")
    state = FSMField(default=State.DRAFT, choices=State.choices, protected=True)
    # Bumped by every save: two edits of a draft in the same state cannot both win.
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
        constraints = [
            # One claim at a time with the client team or the board for each track.
            models.UniqueConstraint(
                fields=["track"],
                condition=Q(state__in=["submitted", "under_review", "agreed"]),
                name="one_assessment_in_review_per_track",
            )
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored_version = self.__dict__.get("edit_version")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.track} → level {self.claimed_rank}"

    @property
    def is_regression(self) -> bool:
        return self.kind == self.Kind.REGRESSION

    @property
    def is_editable(self) -> bool:
        return self.state in self.EDITABLE_STATES

    # -- optimistic locking on the version column as well as the state ------------------------

    def save(self, *args, **kwargs):
        if self._state.adding:
            super().save(*args, **kwargs)
            self._stored_version = self.edit_version
            return
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "edit_version"}
        if self._stored_version is None:  # read with the version deferred
            self._stored_version = (
                type(self).objects.values_list("edit_version", flat=True).get(pk=self.pk)
            )
        self.edit_version = self._stored_version + 1
        try:
            super().save(*args, **kwargs)
        except BaseException:
            self.edit_version = self._stored_version
            raise
        self._stored_version = self.edit_version

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update, *a, **kw):
        try:
            updated = super()._do_update(
                base_qs.filter(edit_version=self._stored_version),
                using,
                pk_val,
                values,
                update_fields,
                forced_update,
                *a,
                **kw,
            )
        except ConcurrentTransition as exc:
            raise StaleEdit(str(exc)) from exc
        if not updated and base_qs.filter(pk=pk_val).using(using).exists():
            raise StaleEdit("The assessment was changed by someone else since it was read.")
        return updated

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._stored_version = self.edit_version

    def delete(self, *args, **kwargs):
        raise ValidationError("Assessments are never deleted; withdraw a claim instead.")

    # -- transitions ----------------------------------------------------------------------------

    def _stamp(self, comment: str = "") -> None:
        self.state_changed_at = timezone.now()
        self.last_comment = comment

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=State.DRAFT,
        target=State.SUBMITTED,
        conditions=[contract_is_running, cycle_is_open, level_moves, evidence_complete],
        permission=may_submit,
    )
    def submit(self, by=None, description=None) -> None:
        """The pack is locked with the submitter's attestation by `workflows.services.submit`."""
        self.submitted_by = by
        self.submitted_at = timezone.now()
        self.from_rank = self.track.level_rank
        self._stamp(description or "")

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=State.SUBMITTED, target=State.UNDER_REVIEW, permission=may_review
    )
    def start_review(self, by=None, description=None) -> None:
        self._stamp(description or "")

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=State.UNDER_REVIEW, target=State.RETURNED, permission=may_review
    )
    def return_for_evidence(self, by=None, description=None) -> None:
        self._stamp(_required(description, "Say what evidence is missing or needs changing."))

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=State.RETURNED, target=State.DRAFT, permission=may_author)
    def reopen(self, by=None, description=None) -> None:
        """Editing a returned claim puts it back in draft, with a new pack continuing the old."""
        from evidence.packs import continue_pack

        if self.pack is not None:
            self.earlier_packs.add(self.pack)
            self.pack = continue_pack(pack=self.pack, actor=by)
        self._stamp(description or "")

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=State.UNDER_REVIEW, target=State.AGREED, permission=may_agree)
    def agree(self, judgements=(), by=None, description=None) -> None:
        """Records a judgement on each criterion of the claimed level (`criteria()`)."""
        criteria = self.criteria()
        errors = judgement_errors(criteria, judgements)
        if errors:
            raise ValidationError(errors)
        round_no = (self.judgements.aggregate(n=Max("round"))["n"] or 0) + 1
        CriterionJudgement.objects.bulk_create(
            [
                CriterionJudgement(
                    assessment=self,
                    round=round_no,
                    position=i,
                    criterion=criterion,
                    verdict=judgement["verdict"],
                    comment=judgement["comment"].strip(),
                    judged_by=by,
                )
                for i, (criterion, judgement) in enumerate(
                    zip(criteria, judgements, strict=True), start=1
                )
            ]
        )
        self.agreed_by = by
        self.agreed_at = timezone.now()
        self._stamp(description or "")

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=State.UNDER_REVIEW, target=State.REJECTED, permission=may_reject
    )
    def reject(self, by=None, description=None) -> None:
        self._stamp(_required(description, "Give the reason for rejecting the claim."))

    @fsm_log_by
    @fsm_log_description
    @transition(field=state, source=State.AGREED, target=State.CONFIRMED, permission=may_confirm)
    def confirm(self, by=None, description=None) -> None:
        """Moves the track to the claimed level: the one place a level changes."""
        from contracts.models import Track

        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("Confirm an assessment inside a transaction (use the service).")
        track = Track.objects.select_for_update().get(pk=self.track_id)
        track.move_to_level(
            self.claimed_rank,
            cause=self,
            by=by,
            description=f"Assessment #{self.pk} confirmed: level {track.level_rank} → "
            f"{self.claimed_rank}.",
        )
        track.save()
        self.track = track
        self.confirmed_by = by
        self.confirmed_at = timezone.now()
        self._stamp(description or "")

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state, source=State.AGREED, target=State.UNDER_REVIEW, permission=may_refer_back
    )
    def refer_back(self, by=None, description=None) -> None:
        self._stamp(_required(description, "Give the board's reason for referring it back."))

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=[State.DRAFT, State.SUBMITTED, State.RETURNED],
        target=State.WITHDRAWN,
        permission=may_submit,
    )
    def withdraw(self, by=None, description=None) -> None:
        self._stamp(description or "")

    # -- what the claim is judged against ------------------------------------------------------

    def descriptor(self):
        from matrix.models import LevelDescriptor

        return (
            LevelDescriptor.objects.filter(
                focus_area_id=self.track.focus_area_id, level__rank=self.claimed_rank
            )
            .select_related("level")
            .first()
        )

    def criteria(self, descriptor=None) -> list[str]:
        """What the reviewer judges: the checklist, else the descriptor as a whole."""
        descriptor = descriptor if descriptor is not None else self.descriptor()
        return criteria_of(descriptor, self.claimed_rank)


def criteria_of(descriptor, rank: int) -> list[str]:
    if descriptor is not None and descriptor.criteria:
        return [str(c) for c in descriptor.criteria]
    if descriptor is not None and descriptor.text.strip():
        return [descriptor.text.strip()]
    return [f"Level {rank} has no descriptor yet: judge it on the evidence base."]


def judgement_errors(criteria: list[str], judgements) -> list[str]:
    """Why a set of judgements cannot agree a level; empty when it can."""
    judgements = list(judgements or ())
    if len(judgements) != len(criteria):
        return [f"Give a judgement on each of the {len(criteria)} criteria of the level."]
    errors = []
    for i, (criterion, judgement) in enumerate(zip(criteria, judgements, strict=True), start=1):
        verdict = judgement.get("verdict")
        if verdict not in CriterionJudgement.Verdict.values:
            errors.append(f"Criterion {i} ({criterion[:60]}): choose met or not met.")
        elif verdict == CriterionJudgement.Verdict.NOT_MET:
            errors.append(
                f"Criterion {i} ({criterion[:60]}) is judged not met: a level is agreed only "
                "when every criterion is met – return the claim for evidence or reject it."
            )
        if not (judgement.get("comment") or "").strip():
            errors.append(f"Criterion {i} ({criterion[:60]}): add a comment.")
    return errors


class CriterionJudgement(models.Model):
    """The reviewer's judgement on one checklist criterion (or the descriptor as a whole)."""

    class Verdict(models.TextChoices):
        MET = "met", "Met"
        NOT_MET = "not_met", "Not met"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="judgements")
    #: Each agreement is a round; a claim referred back and agreed again keeps both rounds.
    round = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveSmallIntegerField()
    criterion = models.TextField()
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    comment = models.TextField(blank=True)
    judged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    judged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment", "round", "position", "judged_at"]

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


class ImmutableDecision(Exception):
    """Raised on any attempt to change or remove a recorded board decision."""


class BoardDecisionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableDecision("Board decisions cannot be changed; record a superseding one.")

    def delete(self):
        raise ImmutableDecision("Board decisions cannot be deleted; record a superseding one.")


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

    objects = BoardDecisionQuerySet.as_manager()

    class Meta:
        ordering = ["contract", "-recorded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.clause})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableDecision("Board decisions cannot be changed; record a superseding one.")
        super().save(*args, **kwargs)
        # Links may be attached only while the decision is being recorded (see the services).
        self._recording = True

    def delete(self, *args, **kwargs):
        raise ImmutableDecision("Board decisions cannot be deleted; record a superseding one.")

    def seal(self) -> None:
        """Ends the recording: from now on its links to targets and assessments are fixed."""
        self._recording = False

    @property
    def is_superseded(self) -> bool:
        try:
            return self.superseded_by is not None
        except BoardDecision.DoesNotExist:
            return False
