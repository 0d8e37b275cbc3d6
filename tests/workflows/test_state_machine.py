"""A stateful property test: random transitions by random people (every role, several people per
role) against the transition table, checking the invariants after every step.

- no transition outside the table succeeds, and each allowed one lands in the table's state;
- a track's level changes only when a claim is confirmed;
- every successful transition writes exactly one audit row and one StateLog row;
- a refused transition changes nothing.
"""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm_log.models import StateLog
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from audit.models import AuditEvent
from contracts.roles import Role
from monitoring.models import Notification
from tests.factories import Party
from tests.workflows.factories import add_person, evidence_for, judgements_for
from workflows import services
from workflows.models import Assessment, CriterionJudgement

_labels = itertools.count(1)
#: States reached by successful transitions across the run (checked: the run went deep).
REACHED: set[str] = set()

#: The specification, written out independently of the model: name → (from states, to state).
TABLE = {
    "submit": ({"draft"}, "submitted"),
    "start_review": ({"submitted"}, "under_review"),
    "return_for_evidence": ({"under_review"}, "returned"),
    "reopen": ({"returned"}, "draft"),
    "agree": ({"under_review"}, "agreed"),
    "reject": ({"under_review"}, "rejected"),
    "confirm": ({"agreed"}, "confirmed"),
    "refer_back": ({"agreed"}, "under_review"),
    "withdraw": ({"draft", "submitted", "returned"}, "withdrawn"),
}
CLIENT = {Role.CLIENT_OFFICER, Role.CLIENT_LEAD}
PROVIDER = {Role.PROVIDER_CONTRIBUTOR, Role.PROVIDER_LEAD}


def roles_allowed(name: str, regression: bool) -> set[str]:
    if name in ("submit", "withdraw"):
        return {Role.CLIENT_LEAD} if regression else {Role.PROVIDER_LEAD}
    if name == "reopen":
        return {Role.CLIENT_LEAD} if regression else PROVIDER
    if name in ("start_review", "return_for_evidence", "agree"):
        return CLIENT
    if name == "reject":
        return {Role.CLIENT_LEAD}
    return {Role.BOARD_MEMBER}  # confirm, refer_back


NEEDS_COMMENT = {"return_for_evidence", "reject", "refer_back"}
TERMINAL = {"confirmed", "rejected", "withdrawn"}
PEOPLE = 9


class ClaimMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        party = Party(f"Prop{next(_labels)}")
        self.party = party
        self.track = party.track
        u = party.users
        extra_officer = add_person(party, Role.CLIENT_OFFICER, f"{party.contract.pk}_officer2")
        party.contract.board_members.add(extra_officer)  # client officer AND board member
        self.people = [
            (u[Role.CLIENT_OFFICER], {Role.CLIENT_OFFICER}),
            (u[Role.CLIENT_LEAD], {Role.CLIENT_LEAD}),
            (u[Role.PROVIDER_CONTRIBUTOR], {Role.PROVIDER_CONTRIBUTOR}),
            (u[Role.PROVIDER_LEAD], {Role.PROVIDER_LEAD}),
            (u[Role.BOARD_MEMBER], {Role.BOARD_MEMBER}),
            (u[Role.AUDITOR], {Role.AUDITOR}),
            (
                add_person(party, Role.PROVIDER_LEAD, f"{party.contract.pk}_plead2"),
                {Role.PROVIDER_LEAD},
            ),
            (extra_officer, {Role.CLIENT_OFFICER, Role.BOARD_MEMBER}),
            (
                add_person(party, Role.BOARD_MEMBER, f"{party.contract.pk}_board2"),
                {Role.BOARD_MEMBER},
            ),
        ]
        assert len(self.people) == PEOPLE
        evidence_for(self.track, cycle=party.cycle)
        self.assessment = None
        self.state = None
        self.level = self.track.level_rank
        self.successes = 0
        self.confirms = 0
        self.submitter = None
        self.agreer = None

    # -- helpers --------------------------------------------------------------------------------

    def _snapshot(self):
        a = self.assessment
        return (
            Assessment.objects.filter(pk=a.pk).values().first() if a else None,
            AuditEvent.objects.count(),
            StateLog.objects.count(),
            CriterionJudgement.objects.count(),
            Notification.objects.count(),
            Assessment.objects.count(),
            type(self.track).objects.filter(pk=self.track.pk).values().first(),
        )

    def _expect(self, name: str, person: int, comment: bool) -> bool:
        user, roles = self.people[person]
        if self.state not in TABLE[name][0]:
            return False
        if not roles & roles_allowed(name, self.assessment.is_regression):
            return False
        if name == "agree" and user.pk == self.submitter:
            return False
        if name == "confirm" and user.pk == self.agreer:
            return False
        return not (name in NEEDS_COMMENT and not comment)

    # -- rules ----------------------------------------------------------------------------------

    @rule(data=st.data(), regression=st.booleans())
    def open_assessment(self, data, regression):
        """A new claim (or regression) once the last one has ended."""
        if self.state is not None and self.state not in TERMINAL:
            return
        fitting = [
            i
            for i, (_, roles) in enumerate(self.people)
            if roles & ({Role.CLIENT_LEAD} if regression else PROVIDER)
        ]
        person = data.draw(
            st.sampled_from(fitting)
            if data.draw(st.integers(0, 9)) < 8
            else st.integers(0, PEOPLE - 1),
            label="person",
        )
        user, roles = self.people[person]
        before = self._snapshot()
        try:
            if regression:
                if self.level == 0:
                    return
                a = services.open_regression(
                    track=self.track,
                    cycle=self.party.cycle,
                    claimed_rank=self.level - 1,
                    summary="Not sustained.",
                    actor=user,
                )
            else:
                a = services.draft_claim(
                    track=self.track,
                    cycle=self.party.cycle,
                    claimed_rank=self.level + 1 if self.level < 5 else self.level - 1,
                    items=list(self.track.evidence_items.active()),
                    actor=user,
                )
        except (PermissionDenied, ValidationError):
            allowed = Role.CLIENT_LEAD if regression else PROVIDER
            assert not roles & ({allowed} if regression else allowed), "refused a permitted open"
            assert self._snapshot() == before, "a refused open changed something"
            return
        assert roles & ({Role.CLIENT_LEAD} if regression else PROVIDER)
        self.assessment, self.state = a, "draft"
        self.submitter = self.agreer = None

    @rule(data=st.data(), comment=st.booleans())
    def act(self, data, comment):
        """Mostly a transition the table has from here by someone whose role allows it (to get
        deep into the table), sometimes anything by anyone (to probe the refusals)."""
        if self.assessment is None or self.state in TERMINAL:
            return self.open_assessment(data, data.draw(st.booleans(), label="regression"))
        regression = self.assessment.is_regression
        likely = [n for n in sorted(TABLE) if self.state in TABLE[n][0]]
        name = data.draw(
            st.sampled_from(likely)
            if likely and data.draw(st.integers(0, 9)) < 8
            else st.sampled_from(sorted(TABLE)),
            label="transition",
        )
        fitting = [
            i for i, (_, roles) in enumerate(self.people) if roles & roles_allowed(name, regression)
        ]
        person = data.draw(
            st.sampled_from(fitting)
            if fitting and data.draw(st.integers(0, 9)) < 7
            else st.integers(0, PEOPLE - 1),
            label="person",
        )
        user, _ = self.people[person]
        expected = self._expect(name, person, comment)
        before = self._snapshot()
        a = Assessment.objects.get(pk=self.assessment.pk)
        text = "Because." if comment else ""
        try:
            if name == "reopen":
                services.edit_draft(
                    assessment=a,
                    actor=user,
                    expected_version=a.edit_version,
                    summary=f"Edited {self.successes}",
                )
            elif name == "submit":
                services.submit(assessment=a, actor=user, attest=True, comment=text)
            elif name == "agree":
                services.agree(assessment=a, actor=user, judgements=judgements_for(a), comment=text)
            elif name in ("reject", "refer_back"):
                getattr(services, name)(assessment=a, actor=user, reason=text)
            else:
                getattr(services, name)(assessment=a, actor=user, comment=text)
        except (PermissionDenied, ValidationError) as refusal:
            if name == "reopen" and self.state == "draft":
                # An edit of a draft is not a transition: refused only for the wrong role.
                assert not expected
            assert not expected, f"{name} by person {person} in {self.state} refused: {refusal}"
            assert self._snapshot() == before, f"refused {name} changed something"
            return
        if name == "reopen" and self.state == "draft":
            return  # an allowed edit of a draft: no transition
        assert expected, f"{name} by person {person} succeeded from {self.state}"
        self.state = TABLE[name][1]
        self.successes += 1
        if name == "submit":
            self.submitter = user.pk
        if name == "agree":
            self.agreer = user.pk
        if name == "confirm":
            self.level = a.claimed_rank
            self.confirms += 1
        REACHED.add(self.state)

    # -- invariants -----------------------------------------------------------------------------

    @invariant()
    def state_and_level_match_the_table(self):
        if self.assessment is not None:
            assert Assessment.objects.get(pk=self.assessment.pk).state == self.state
        self.track.refresh_from_db()
        assert self.track.level_rank == self.level

    @invariant()
    def one_audit_row_and_one_state_log_row_per_transition(self):
        ids = [
            str(pk)
            for pk in Assessment.objects.filter(track=self.track).values_list("pk", flat=True)
        ]
        audit = AuditEvent.objects.filter(
            object_type="workflows.assessment", object_id__in=ids, action="transition"
        ).count()
        logs = StateLog.objects.filter(
            content_type__model="assessment", object_id__in=[int(i) for i in ids]
        ).count()
        assert audit == logs == self.successes
        track_moves = AuditEvent.objects.filter(
            object_type="contracts.track", object_id=str(self.track.pk), action="transition"
        ).count()
        assert track_moves == StateLog.objects.for_(self.track).count() == self.confirms


@pytest.mark.django_db
def test_random_transitions_keep_to_the_table():
    run_state_machine_as_test(
        ClaimMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=35,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert {"submitted", "under_review", "agreed", "confirmed"} <= REACHED, REACHED
