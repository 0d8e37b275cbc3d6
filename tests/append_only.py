"""Emptying the test database between transactional tests, despite the append-only guards.

The audit trail and the transition log refuse UPDATE, DELETE and TRUNCATE in the database itself.
Django resets the database after a transactional test (`transaction=True`, `live_server`) by
flushing every table, which those guards refuse; only that flush runs with them lifted, and they
are back before the next test starts. Tests of the guards themselves run in ordinary
(rolled-back) tests, where nothing is lifted.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator

from django.db import connection
from django.test import TransactionTestCase

GUARDED_TABLES = ("audit_auditevent", "django_fsm_log_statelog")
SQLITE_GUARD_MIGRATIONS = (
    "audit.migrations.0002_append_only_trigger",
    "audit.migrations.0003_statelog_append_only",
)


@contextlib.contextmanager
def guards_lifted() -> Iterator[None]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Deferred foreign-key checks queued in this transaction would block ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in GUARDED_TABLES:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for table in GUARDED_TABLES:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    elif connection.vendor == "sqlite":
        modules = [importlib.import_module(name) for name in SQLITE_GUARD_MIGRATIONS]
        with connection.cursor() as cursor:
            for module in modules:
                for statement in module.SQLITE_REVERSE:
                    cursor.execute(statement)
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for module in modules:
                    for statement in module.SQLITE_FORWARD:
                        cursor.execute(statement)
    else:  # pragma: no cover - only PostgreSQL and SQLite are supported
        yield


def install() -> None:
    """Wraps Django's between-tests flush so it runs with the guards lifted."""
    original = TransactionTestCase._fixture_teardown
    if getattr(original, "lifts_append_only_guards", False):
        return

    def fixture_teardown(self):
        with guards_lifted():
            original(self)

    fixture_teardown.lifts_append_only_guards = True
    TransactionTestCase._fixture_teardown = fixture_teardown
