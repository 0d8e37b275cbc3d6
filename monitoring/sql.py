"""Set-based writes the ORM has no single statement for, and the per-job run lock.

The jobs recompute thousands of rows at a time. Doing that row by row would cost a query per
target; instead each step is one `INSERT … SELECT` or `UPDATE` whose SELECT part is built with
the ORM (so joins, quoting and parameters stay Django's), and the number of queries a job makes
does not depend on how many rows it touches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connections, models, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

from .models import ScheduledJob


def insert_from_select(
    model: type[models.Model],
    columns: Sequence[str],
    queryset: models.QuerySet,
    *,
    ignore_conflicts: bool = False,
) -> int:
    """Runs `INSERT INTO model (columns) SELECT …` with the queryset's SELECT; returns the rows
    inserted.

    `queryset` must be a `values_list()` whose columns match `columns` one for one (Django keeps
    the order given). With `ignore_conflicts`, rows that would break a unique constraint (the
    one-open-flag-per-condition index, a notification's de-duplication key) are skipped, which
    is what makes re-runs and concurrent runs harmless.
    """
    connection = connections[queryset.db]
    try:
        select_sql, params = queryset.order_by().query.get_compiler(connection=connection).as_sql()
    except EmptyResultSet:  # e.g. built on .none(): nothing to insert
        return 0
    qn = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in columns]
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    head = connection.ops.insert_statement(on_conflict=on_conflict)
    tail = connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None)
    sql = (
        f"{head} {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"{select_sql} {tail}"
    ).rstrip()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def db_datetime(value: dt.datetime, using: str = "default"):
    """A datetime as the database expects it in a raw query parameter."""
    return connections[using].ops.adapt_datetimefield_value(value)


@contextmanager
def job_run(name: str) -> Iterator[dict]:
    """One run of a background job, in one transaction, never overlapping another run of it.

    The first statement updates the job's row, which holds its row lock (PostgreSQL) or the
    database write lock (SQLite) until the run commits, so two beats or a beat and an operator
    never interleave. The dict yielded is stored as the run's result for the admin.
    """
    now = timezone.now()
    with transaction.atomic():
        if not ScheduledJob.objects.filter(name=name).update(last_started_at=now):
            try:
                with transaction.atomic():
                    ScheduledJob.objects.create(name=name, last_started_at=now)
            except IntegrityError:  # created by a concurrent first run: wait for it, then go
                ScheduledJob.objects.filter(name=name).update(last_started_at=now)
        result: dict = {}
        yield result
        ScheduledJob.objects.filter(name=name).update(
            last_finished_at=timezone.now(), last_result=result
        )
