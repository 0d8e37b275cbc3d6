"""The transition log (django-fsm-log's StateLog) is append-only in the database too."""

from django.db import migrations

PG_FORWARD = """
CREATE TRIGGER statelog_no_update_delete
    BEFORE UPDATE OR DELETE ON django_fsm_log_statelog
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER statelog_no_truncate
    BEFORE TRUNCATE ON django_fsm_log_statelog
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS statelog_no_truncate ON django_fsm_log_statelog;
DROP TRIGGER IF EXISTS statelog_no_update_delete ON django_fsm_log_statelog;
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER statelog_no_update BEFORE UPDATE ON django_fsm_log_statelog
       BEGIN SELECT RAISE(ABORT, 'django_fsm_log_statelog is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER statelog_no_delete BEFORE DELETE ON django_fsm_log_statelog
       BEGIN SELECT RAISE(ABORT, 'django_fsm_log_statelog is append-only: DELETE refused'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS statelog_no_update;",
    "DROP TRIGGER IF EXISTS statelog_no_delete;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_trigger"),
        ("django_fsm_log", "0004_auto_20190131_0341"),
    ]
    operations = [migrations.RunPython(forward, reverse)]
