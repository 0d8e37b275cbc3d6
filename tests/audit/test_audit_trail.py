"""The audit trail and the transition log are append-only, in the models and in the database."""

import pytest
from django.db import DatabaseError, connection, transaction
from django_fsm_log.models import StateLog

from audit.models import AppendOnlyError, AuditEvent
from audit.services import escape_control, record


@pytest.fixture
def event(db):
    return record(actor=None, action=AuditEvent.Action.CREATE, comment="original")


def test_a_transition_writes_one_audit_row_and_one_state_log_row(party_a):
    contract = party_a.contract
    events = AuditEvent.objects.filter(
        object_type="contracts.contract", object_id=str(contract.pk), action="transition"
    )
    assert [(e.from_state, e.to_state, e.actor_name) for e in events] == [
        ("mobilising", "live", "alpha_client_lead")
    ]
    logs = StateLog.objects.for_(contract)
    assert [(log.source_state, log.state, log.by.username) for log in logs] == [
        ("mobilising", "live", "alpha_client_lead")
    ]


def test_saving_an_existing_event_is_refused(event):
    event.comment = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()


def test_queryset_update_and_delete_are_refused(event):
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(comment="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).comment == "original"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET comment = 'rewritten'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_the_database_refuses_raw_sql_that_rewrites_the_audit_trail(event, sql):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.get(pk=event.pk).comment == "original"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE django_fsm_log_statelog SET state = 'expired'",
        "DELETE FROM django_fsm_log_statelog",
    ],
)
def test_the_database_refuses_raw_sql_that_rewrites_the_transition_log(party_a, sql):
    before = list(StateLog.objects.values_list("pk", "state"))
    assert before
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert list(StateLog.objects.values_list("pk", "state")) == before


def test_control_and_bidi_characters_are_made_visible():
    assert escape_control("evil\nname\u202e") == "evil\\u000aname\\u202e"


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_still_meet_the_guards_until_the_flush():
    event = record(actor=None, action=AuditEvent.Action.CREATE, comment="committed")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.get(pk=event.pk).comment == "committed"


def test_an_outsiders_request_is_recorded_as_an_access_denial(client, party_a, party_b):
    outsider = party_b.users["provider_lead"]
    client.force_login(outsider)
    response = client.post(f"/contracts/{party_a.contract.pk}/terminate/", {"reason": "x"})
    assert response.status_code == 404
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCESS_DENIED)
    assert event.actor == outsider
    assert event.comment == f"POST /contracts/{party_a.contract.pk}/terminate/: not found"
    assert event.request_id


def test_a_refused_role_is_recorded_as_an_access_denial(client, party_a):
    officer = party_a.users["client_officer"]
    client.force_login(officer)
    response = client.get(f"/contracts/{party_a.contract.pk}/terminate/")
    assert response.status_code == 403
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCESS_DENIED)
    assert (event.actor, event.comment.endswith(": refused")) == (officer, True)
