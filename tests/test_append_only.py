"""Between transactional tests the flush lifts the audit tables' guards, and only then."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from audit.services import record
from tests.append_only import guards_lifted


def _raw_delete_events() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")


def test_the_guards_are_lifted_inside_and_back_after(db):
    record(actor=None, action=AuditEvent.Action.CREATE, comment="one")
    with guards_lifted():
        _raw_delete_events()
    assert not AuditEvent.objects.exists()
    record(actor=None, action=AuditEvent.Action.CREATE, comment="two")
    with pytest.raises(DatabaseError):
        _raw_delete_events()
    assert AuditEvent.objects.filter(comment="two").exists()
