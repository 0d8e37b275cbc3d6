"""Fixtures for tests that need committed data seen by several connections at once."""

import pytest
from django.db import connection

#: Statement-level triggers that refuse TRUNCATE on the append-only tables (audit migrations).
_TRUNCATE_GUARDS = [
    ("audit_auditevent", "audit_event_no_truncate"),
    ("django_fsm_log_statelog", "statelog_no_truncate"),
]


def _set_truncate_guards(enabled: bool) -> None:
    if connection.vendor != "postgresql":
        return
    verb = "ENABLE" if enabled else "DISABLE"
    with connection.cursor() as cursor:
        for table, trigger in _TRUNCATE_GUARDS:
            cursor.execute(f"ALTER TABLE {table} {verb} TRIGGER {trigger}")  # noqa: S608


@pytest.fixture
def _restore_truncate_guards(django_db_blocker):
    """Set up before the database fixture, so it runs last: puts the guards back after flush."""
    yield
    with django_db_blocker.unblock():
        _set_truncate_guards(True)


@pytest.fixture
def committed_db(_restore_truncate_guards, transactional_db):
    """Real commits, visible to other threads' connections. The test database is emptied
    afterwards with TRUNCATE, which the append-only tables refuse, so their TRUNCATE guard is
    lifted for that one statement and restored straight after. UPDATE and DELETE stay refused."""
    yield
    _set_truncate_guards(False)
