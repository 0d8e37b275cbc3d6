"""Two people acting on one assessment at once, on PostgreSQL with real concurrent connections:
exactly one wins, the other is told it changed (409), nothing is half-saved, and the loser
queues no notification."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction
from django_fsm_log.models import StateLog

from audit.models import AuditEvent
from contracts.roles import Role
from monitoring.models import Notification
from tests.factories import Party
from tests.services import require_postgres
from tests.workflows.factories import draft, judgements_for, walk
from workflows import services
from workflows.models import Assessment, CriterionJudgement, StaleEdit


def run_together(*calls):
    """Runs each call in its own thread (own connection), released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i, call):
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", call())
        except StaleEdit as exc:
            results[i] = ("conflict", exc)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()
    return results


def transition_rows(assessment):
    return AuditEvent.objects.filter(
        object_type="workflows.assessment", object_id=str(assessment.pk), action="transition"
    )


@pytest.fixture
def race_party(committed_db):
    require_postgres()
    return Party("Race")


def test_two_reviewers_at_once_exactly_one_wins(race_party):
    a = walk(race_party, "under_review")
    version = a.edit_version
    officer, lead = race_party.users[Role.CLIENT_OFFICER], race_party.users[Role.CLIENT_LEAD]
    judgements = judgements_for(a)
    before = transition_rows(a).count()
    results = run_together(
        lambda: services.agree(
            assessment=a, actor=officer, judgements=judgements, expected_version=version
        ),
        lambda: services.return_for_evidence(
            assessment=a, actor=lead, comment="Add the survey.", expected_version=version
        ),
    )
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["conflict", "ok"], results
    a.refresh_from_db()
    winner = "agreed" if results[0][0] == "ok" else "returned"
    assert a.state == winner
    assert transition_rows(a).count() == before + 1
    assert StateLog.objects.for_(a).count() == before + 1
    # Nothing of the loser's is left: no judgements from a lost agree, no notification.
    assert CriterionJudgement.objects.filter(assessment=a).exists() == (winner == "agreed")
    loser_kind = "assessment_return_for_evidence" if winner == "agreed" else "assessment_agree"
    assert not Notification.objects.filter(kind=loser_kind).exists()


def test_stale_instances_saved_at_once_are_refused_by_the_database(race_party):
    """The optimistic lock itself: both read the row, both transition, both save together."""
    a = walk(race_party, "under_review")
    officer, lead = race_party.users[Role.CLIENT_OFFICER], race_party.users[Role.CLIENT_LEAD]
    first = Assessment.objects.get(pk=a.pk)
    second = Assessment.objects.get(pk=a.pk)

    def take(instance, name, actor, **kwargs):
        def call():
            with transaction.atomic():
                getattr(instance, name)(by=actor, description="At once.", **kwargs)
                instance.save()
            return instance.state

        return call

    results = run_together(
        take(first, "reject", lead),
        take(second, "return_for_evidence", officer),
    )
    assert sorted(r[0] for r in results) == ["conflict", "ok"], results
    a.refresh_from_db()
    assert a.state in ("rejected", "returned")
    assert transition_rows(a).count() == 3  # submit, start_review and the one winner


def test_twenty_identical_submits_make_one_transition(race_party):
    a = draft(race_party)
    version = a.edit_version
    lead = race_party.users[Role.PROVIDER_LEAD]
    results = run_together(
        *[
            lambda: services.submit(assessment=a, actor=lead, attest=True, expected_version=version)
            for _ in range(20)
        ]
    )
    outcomes = [r[0] for r in results]
    assert outcomes.count("ok") == 1, results
    assert outcomes.count("conflict") == 19, results
    a.refresh_from_db()
    assert a.state == "submitted"
    assert transition_rows(a).count() == 1
    assert StateLog.objects.for_(a).count() == 1
    assert Notification.objects.filter(kind="assessment_submit").count() == 2  # client team
    a.pack.refresh_from_db()
    assert a.pack.is_locked


def test_two_edits_of_a_draft_at_once_one_wins(race_party):
    a = draft(race_party)
    version = a.edit_version
    lead = race_party.users[Role.PROVIDER_LEAD]
    contributor = race_party.users[Role.PROVIDER_CONTRIBUTOR]
    results = run_together(
        lambda: services.edit_draft(
            assessment=a, actor=lead, expected_version=version, summary="From the lead."
        ),
        lambda: services.edit_draft(
            assessment=a, actor=contributor, expected_version=version, summary="From a colleague."
        ),
    )
    assert sorted(r[0] for r in results) == ["conflict", "ok"], results
    a.refresh_from_db()
    winner = results[0][1] if results[0][0] == "ok" else results[1][1]
    assert a.summary == winner.summary
    assert a.edit_version == version + 1
