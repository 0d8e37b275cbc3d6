"""The scheduled jobs, as plain functions: Celery tasks, management commands and tests call these.

Every job is idempotent. It works out the state the database should be in (which targets have
which status, which conditions are flagged) and moves it there in a few set-based statements:
the number of queries does not grow with the number of targets, tracks or cycles. Flags rely on
the one-open-flag-per-condition index and notifications on their unique de-duplication key, so
running a job twice, two beats at once, or again after a crash raises no second flag and queues
no second notification. Each run holds its job's lock row (`monitoring.sql.job_run`) for its
transaction, so overlapping runs queue up instead of interleaving.

Each job takes an optional `progress` callable, called with a short description after each step;
the management commands pass a progress bar.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, Left
from django.urls import reverse
from django.utils import timezone

from contracts.models import ReviewCycle, Target, Track
from contracts.roles import CLIENT_ROLES, Role
from evidence.models import EvidenceItem
from evidence.selectors import months_before
from matrix.models import EvidenceType
from workflows.models import Assessment

from . import kinds
from .models import Flag, Notification, NotificationPreference
from .services import enqueue_send_on_commit
from .sql import db_datetime, insert_from_select, job_run
from .targets import LIVE_STATES, evaluated_targets

logger = logging.getLogger(__name__)

Progress = Callable[[str], None] | None

S = Target.Status

#: The flag raised while a target is in each status (the others clear its flags).
TARGET_FLAGS = {
    S.AT_RISK: (Flag.Kind.TARGET_AT_RISK, Flag.Severity.AMBER),
    S.OVERDUE: (Flag.Kind.TARGET_OVERDUE, Flag.Severity.RED),
    S.MISSED: (Flag.Kind.TARGET_MISSED, Flag.Severity.RED),
}
TARGET_FLAG_KINDS = [kind for kind, _ in TARGET_FLAGS.values()]

#: Reminders go out this many days before an evidence deadline (and the flag shows from the
#: first of them until the deadline passes or a claim is submitted).
REMINDER_WINDOWS = (14, 7, 1)

#: Assessment states that count as "a claim was submitted in the cycle".
SUBMITTED_STATES = (
    Assessment.State.SUBMITTED,
    Assessment.State.UNDER_REVIEW,
    Assessment.State.AGREED,
    Assessment.State.CONFIRMED,
    Assessment.State.REJECTED,
)


def _step(progress: Progress, text: str) -> None:
    if progress is not None:
        progress(text)


def _text(*parts) -> Concat:
    """SQL string concatenation of literal strings and (cast) column expressions."""
    expressions = [
        Value(p) if isinstance(p, str) else Cast(p, output_field=CharField()) for p in parts
    ]
    if len(expressions) == 1:
        expressions.append(Value(""))
    return Concat(*expressions, output_field=TextField())


def _flag_body() -> Concat:
    """A flag's notification text: the contract, the focus area and what the flag says."""
    return _text(
        F("contract__reference"),
        " ",
        F("contract__title"),
        "\nFocus area: ",
        F("track__focus_area__name"),
        "\n\n",
        F("detail"),
    )


def _flags_url(contract_ref: str = "track__contract_id") -> Concat:
    sentinel = 987654321
    prefix, suffix = reverse("monitoring:contract_flags", kwargs={"pk": sentinel}).split(
        str(sentinel)
    )
    return _text(prefix, F(contract_ref), suffix)


def _queue_notifications(
    queryset: QuerySet,
    *,
    recipient: F,
    kind,
    dedup_key,
    subject,
    body,
    url,
    contract,
    now: dt.datetime,
) -> int:
    """Writes one outbox row per row of `queryset` (one per recipient), in one statement.

    Rows whose de-duplication key exists already are skipped; a recipient who switched the
    kind off gets a suppressed row (kept for the in-app list, never emailed) unless the kind is
    critical. When anything was queued, a send run is asked for once the transaction commits.
    """
    critical = [k.code for k in kinds.notification_kinds() if k.critical]
    rows = (
        queryset.annotate(n_recipient=recipient, n_kind=kind, n_contract=contract)
        .annotate(
            n_critical=Case(
                When(n_kind__in=critical, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            n_dedup=Left(dedup_key, 255),
            n_subject=Left(subject, 200),
            n_body=body,
            n_url=Left(url, 500),
            n_created=Value(now, output_field=DateTimeField()),
            n_attempts=Value(0, output_field=IntegerField()),
            n_error=Value("", output_field=TextField()),
            n_opted_out=Exists(
                NotificationPreference.objects.filter(
                    user_id=OuterRef("n_recipient"), kind=OuterRef("n_kind")
                )
            ),
        )
        .annotate(
            n_status=Case(
                When(n_critical=True, then=Value(Notification.Status.PENDING)),
                When(n_opted_out=True, then=Value(Notification.Status.SUPPRESSED)),
                default=Value(Notification.Status.PENDING),
                output_field=CharField(),
            )
        )
    )
    columns = {
        "recipient": "n_recipient",
        "kind": "n_kind",
        "critical": "n_critical",
        "dedup_key": "n_dedup",
        "subject": "n_subject",
        "body": "n_body",
        "url": "n_url",
        "contract": "n_contract",
        "status": "n_status",
        "attempts": "n_attempts",
        "last_error": "n_error",
        "created_at": "n_created",
    }
    queued = insert_from_select(
        Notification,
        list(columns),
        rows.values_list(*columns.values()),
        ignore_conflicts=True,
    )
    if queued:
        enqueue_send_on_commit()
    return queued


def _sync_flags(
    candidates: QuerySet,
    *,
    kind: str,
    detail: Concat,
    now: dt.datetime,
    result: dict,
    track: str | None = None,
) -> None:
    """Makes the open flags of `kind` match `candidates` (rows annotated with `subject_key`):
    resolves those whose subject is no longer a candidate and raises one for each new subject,
    in two statements. `track` names the candidates' track id column, if the flag has one."""
    result["flags_resolved"] = (
        Flag.objects.filter(kind=kind, resolved_at__isnull=True)
        .exclude(subject_key__in=candidates.values("subject_key"))
        .update(resolved_at=now)
    )
    rows = candidates.annotate(
        f_kind=Value(kind, output_field=CharField()),
        f_severity=Value(Flag.Severity.AMBER.value, output_field=CharField()),
        f_detail=detail,
        f_raised=Value(now, output_field=DateTimeField()),
    )
    columns = {
        "kind": "f_kind",
        "severity": "f_severity",
        "subject_key": "subject_key",
        "contract": "contract_id",
        "detail": "f_detail",
        "raised_at": "f_raised",
    }
    if track is not None:
        columns["track"] = track
    result["flags_raised"] = insert_from_select(
        Flag, list(columns), rows.values_list(*columns.values()), ignore_conflicts=True
    )


def _client_team(queryset: QuerySet, contract_path: str) -> QuerySet:
    """`queryset` joined to every active client lead and officer of the row's contract."""
    base = f"{contract_path}__authorities__memberships"
    return queryset.filter(
        **{f"{base}__role__in": list(CLIENT_ROLES), f"{base}__user__is_active": True}
    ).annotate(r_user=F(f"{base}__user_id"))


def _provider_leads(queryset: QuerySet, contract_path: str) -> QuerySet:
    """`queryset` joined to every active provider lead of the row's contract."""
    base = f"{contract_path}__provider__memberships"
    return queryset.filter(
        **{f"{base}__role": Role.PROVIDER_LEAD, f"{base}__user__is_active": True}
    ).annotate(r_user=F(f"{base}__user_id"))


# --- Evaluate targets -------------------------------------------------------------------------

_CHANGES = "monitoring_target_changes"


def evaluate_targets(*, today: dt.date | None = None, progress: Progress = None) -> dict:
    """Recomputes every open target's status, flags the conditions that started, clears those
    that ended, and queues one notification per new flag to the contract's client team and
    provider leads. Returns counts of what changed.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    qn = connection.ops.quote_name
    target_table = qn(Target._meta.db_table)
    with job_run("evaluate_targets") as result:
        _without_jit()
        # 1. Snapshot the changes: (target, old status, new status) for every target whose
        #    computed status differs from the stored one. One statement whatever their number.
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {qn(_CHANGES)}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {qn(_CHANGES)} ("
                "target_id bigint PRIMARY KEY, old_status varchar(20) NOT NULL, "
                "new_status varchar(20) NOT NULL)"
            )
        changed = evaluated_targets(today=today).exclude(status=F("computed_status"))
        snapshot = changed.order_by().values_list("pk", "status", "computed_status")
        select_sql, params = snapshot.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {qn(_CHANGES)} (target_id, old_status, new_status) {select_sql}",
                params,
            )
        _step(progress, "statuses computed")

        # Identifiers below come from model metadata, quoted; every value is a parameter.
        # 2. Apply them, only where the status is still what was read (a board may have waived
        #    the target meanwhile), stamping this run's time so the audit rows match exactly.
        stamp = db_datetime(now)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {target_table} SET {qn('status')} = c.new_status, "  # noqa: S608
                f"{qn('status_changed_at')} = %s FROM {qn(_CHANGES)} c "
                f"WHERE {target_table}.{qn('id')} = c.target_id "
                f"AND {target_table}.{qn('status')} = c.old_status",
                [stamp],
            )
            result["status_changes"] = max(cursor.rowcount, 0)
        _step(progress, "statuses updated")

        # 3. One audit row per change, from → to, with the contract: one INSERT … SELECT.
        _audit_status_changes(stamp)
        _step(progress, "changes audited")
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {qn(_CHANGES)}")

        # 4. Flags follow the stored statuses: raise what started, resolve what cleared.
        result["flags_resolved"] = _resolve_target_flags(now)
        result["flags_raised"] = _raise_target_flags(now)
        _step(progress, "flags raised and resolved")

        # 5. One notification per new flag and person (de-duplicated per target, kind and
        #    target version: a revised level or due date is a new window).
        new_flags = Flag.objects.filter(
            raised_at=now, resolved_at__isnull=True, kind__in=TARGET_FLAG_KINDS
        )
        queued = 0
        for recipients in (
            _client_team(new_flags, "contract"),
            _provider_leads(new_flags, "contract"),
        ):
            queued += _queue_notifications(
                recipients,
                recipient=F("r_user"),
                kind=F("kind"),
                dedup_key=_text(
                    "target:",
                    F("target_id"),
                    ":",
                    F("kind"),
                    ":",
                    F("target__level_rank"),
                    ":",
                    F("target__due_date"),
                    ":user:",
                    F("r_user"),
                ),
                subject=_text(
                    F("contract__reference"),
                    ": ",
                    _flag_label(),
                    " – ",
                    F("track__focus_area__name"),
                ),
                body=_flag_body(),
                url=_flags_url("contract_id"),
                contract=F("contract_id"),
                now=now,
            )
        result["notifications_queued"] = queued
        _step(progress, "notifications queued")
    return result


def _without_jit() -> None:
    """PostgreSQL would JIT-compile these large statements, which costs far more than it saves
    (about a second per statement at 90,000 targets); switch it off for this transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def _flag_label() -> Case:
    return Case(
        *[When(kind=kind, then=Value(kind.label)) for kind in TARGET_FLAG_KINDS],
        default=F("kind"),
        output_field=CharField(),
    )


def _audit_status_changes(stamp) -> None:
    from audit.models import AuditEvent

    qn = connection.ops.quote_name
    audit = AuditEvent._meta
    target = Target._meta
    track = Track._meta
    cols = [
        "occurred_at",
        "actor_name",
        "organisation_name",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "contract_id",
        "from_state",
        "to_state",
        "comment",
        "request_id",
        "ip_address",
    ]
    column_sql = ", ".join(qn(audit.get_field(c).column) for c in cols)
    t, k = "t", "k"
    with connection.cursor() as cursor:
        # Identifiers come from model metadata, quoted; every value is a parameter.
        cursor.execute(
            f"INSERT INTO {qn(audit.db_table)} ({column_sql}) "  # noqa: S608
            f"SELECT %s, %s, '', %s, %s, CAST({t}.{qn('id')} AS varchar(64)), "
            f"'Level ' || CAST({t}.{qn('level_rank')} AS varchar(10)) || ' by ' "
            f"|| CAST({t}.{qn('due_date')} AS varchar(10)), "
            f"{k}.{qn('contract_id')}, c.old_status, c.new_status, %s, '', '' "
            f"FROM {qn(_CHANGES)} c "
            f"JOIN {qn(target.db_table)} {t} ON {t}.{qn('id')} = c.target_id "
            f"JOIN {qn(track.db_table)} {k} ON {k}.{qn('id')} = {t}.{qn('track_id')} "
            f"WHERE {t}.{qn('status_changed_at')} = %s AND {t}.{qn('status')} = c.new_status",
            [
                stamp,
                "system",
                AuditEvent.Action.CHANGE,
                target.label_lower,
                "Target status recomputed by the scheduled target evaluation.",
                stamp,
            ],
        )


def _resolve_target_flags(now: dt.datetime) -> int:
    still_holds = Q()
    for status, (kind, _) in TARGET_FLAGS.items():
        still_holds |= Q(
            kind=kind,
            target__status=status,
            target__track__contract__state__in=LIVE_STATES,
        )
    return (
        Flag.objects.filter(resolved_at__isnull=True, kind__in=TARGET_FLAG_KINDS)
        .exclude(still_holds)
        .update(resolved_at=now)
    )


def _raise_target_flags(now: dt.datetime) -> int:
    candidates = Target.objects.filter(
        status__in=list(TARGET_FLAGS), track__contract__state__in=LIVE_STATES
    ).annotate(
        f_kind=Case(
            *[When(status=s, then=Value(kind)) for s, (kind, _) in TARGET_FLAGS.items()],
            output_field=CharField(),
        ),
        f_severity=Case(
            *[When(status=s, then=Value(sev)) for s, (_, sev) in TARGET_FLAGS.items()],
            output_field=CharField(),
        ),
        f_subject=_text("target:", F("pk")),
        f_contract=F("track__contract_id"),
        f_detail=Case(
            When(
                status=S.AT_RISK,
                then=_text(
                    "Level ",
                    F("level_rank"),
                    " is due by ",
                    F("due_date"),
                    "; the track is at level ",
                    F("track__level_rank"),
                    " and no claim for the level is in review.",
                ),
            ),
            When(
                status=S.OVERDUE,
                then=_text(
                    "Level ",
                    F("level_rank"),
                    " was due by ",
                    F("due_date"),
                    "; the track is at level ",
                    F("track__level_rank"),
                    ". It can still be met in the current review cycle.",
                ),
            ),
            default=_text(
                "Level ",
                F("level_rank"),
                " was due by ",
                F("due_date"),
                "; the track is at level ",
                F("track__level_rank"),
                ". The target was missed.",
            ),
            output_field=TextField(),
        ),
        f_raised=Value(now, output_field=DateTimeField()),
    )
    # Conditions already flagged are skipped by the one-open-flag-per-condition index (ON
    # CONFLICT DO NOTHING / INSERT OR IGNORE): one index probe per candidate, whatever the
    # planner's statistics say about a table this very job has just filled.
    return insert_from_select(
        Flag,
        ["kind", "severity", "subject_key", "contract", "track", "target", "detail", "raised_at"],
        candidates.values_list(
            "f_kind",
            "f_severity",
            "f_subject",
            "f_contract",
            "track_id",
            "pk",
            "f_detail",
            "f_raised",
        ),
        ignore_conflicts=True,
    )


def refresh_and_evaluate_targets(
    *, today: dt.date | None = None, progress: Progress = None
) -> dict:
    """The daily run: refresh which tracks count as sustained, then evaluate the targets."""
    # --- Sustainability refresh: the single call site. -----------------------------------------
    # `workflows.sustainability.refresh_sustainability()` recomputes `Track.sustained`; targets
    # that require a sustained level depend on it, so it runs first. Until that module exists
    # the step is skipped; any other import error is a real fault and is raised.
    try:
        from workflows.sustainability import refresh_sustainability
    except ModuleNotFoundError as exc:
        if exc.name != "workflows.sustainability":
            raise
        logger.info("workflows.sustainability is not installed; sustainability not refreshed")
    else:
        refresh_sustainability()
        _step(progress, "sustainability refreshed")
    # ---------------------------------------------------------------------------------------------
    return evaluate_targets(today=today, progress=progress)


# --- Review-cycle reminders -------------------------------------------------------------------


def send_review_reminders(*, today: dt.date | None = None, progress: Progress = None) -> dict:
    """Reminds provider leads 14, 7 and 1 days before a cycle's evidence deadline when no claim
    has been submitted in the cycle, and keeps a "review deadline approaching" flag open while
    that is so. One reminder per cycle, person and window, however often it runs.
    """
    today = today or timezone.localdate()
    now = timezone.now()
    first = max(REMINDER_WINDOWS)
    with job_run("review_reminders") as result:
        submitted = Assessment.objects.filter(
            cycle_id=OuterRef("pk"), kind=Assessment.Kind.CLAIM, state__in=SUBMITTED_STATES
        )
        due = (
            ReviewCycle.objects.filter(
                contract__state__in=LIVE_STATES,
                evidence_deadline__gte=today,
                evidence_deadline__lte=today + dt.timedelta(days=first),
            )
            .exclude(Exists(submitted))
            .annotate(
                window=Case(
                    *[
                        When(
                            evidence_deadline__lte=today + dt.timedelta(days=days),
                            then=Value(days),
                        )
                        for days in sorted(REMINDER_WINDOWS)
                    ],
                    output_field=IntegerField(),
                ),
                subject_key=_text("cycle:", F("pk")),
            )
        )
        _sync_flags(
            due,
            kind=Flag.Kind.DEADLINE_APPROACHING.value,
            detail=_text(
                "The evidence deadline for ",
                F("name"),
                " is ",
                F("evidence_deadline"),
                " and no level claim has been submitted in the cycle.",
            ),
            now=now,
            result=result,
        )
        _step(progress, "deadline flags raised and resolved")
        queued = _queue_notifications(
            _provider_leads(due, "contract"),
            recipient=F("r_user"),
            kind=Value(kinds.DEADLINE_REMINDER, output_field=CharField()),
            dedup_key=_text(
                "reminder:cycle:", F("pk"), ":window:", F("window"), ":user:", F("r_user")
            ),
            subject=_text(F("contract__reference"), ": evidence deadline ", F("evidence_deadline")),
            body=_text(
                F("contract__reference"),
                " ",
                F("contract__title"),
                "\n\nThe evidence deadline for ",
                F("name"),
                " is ",
                F("evidence_deadline"),
                " and no level claim has been submitted in this cycle yet.",
            ),
            url=_flags_url("contract_id"),
            contract=F("contract_id"),
            now=now,
        )
        result["notifications_queued"] = queued
        _step(progress, "reminders queued")
    return result


# --- Stale evidence ---------------------------------------------------------------------------


def stale_tracks(*, today: dt.date) -> QuerySet[Track]:
    """Tracks of live contracts whose current level was reached through a claim and for which
    some evidence type that applies at that level has no active item younger than its recency
    window (the period it covers ends before `today` minus the window).
    """
    recencies = sorted(
        set(
            EvidenceType.objects.filter(
                focus_area__tracks__contract__state__in=LIVE_STATES
            ).values_list("recency_months", flat=True)
        )
    )
    if not recencies:
        return Track.objects.none()
    types = EvidenceType.objects.filter(focus_area_id=OuterRef("focus_area_id")).filter(
        Q(applies_from__isnull=True) | Q(applies_from__rank__lte=OuterRef("level_rank"))
    )
    types = types.annotate(
        cutoff=Case(
            *[
                When(recency_months=months, then=Value(months_before(today, months)))
                for months in recencies
            ]
        )
    )
    fresh = EvidenceItem.objects.active().filter(
        track_id=OuterRef(OuterRef("pk")),
        evidence_type_id=OuterRef("pk"),
        period_end__gte=OuterRef("cutoff"),
    )
    return Track.objects.filter(
        contract__state__in=LIVE_STATES, level_reached_at__isnull=False
    ).filter(Exists(types.exclude(Exists(fresh))))


def flag_stale_evidence(*, today: dt.date | None = None, progress: Progress = None) -> dict:
    """Flags tracks whose evidence for their current level has aged out, resolves the flag when
    fresh evidence arrives, and tells the provider leads once per flag."""
    today = today or timezone.localdate()
    now = timezone.now()
    with job_run("stale_evidence") as result:
        stale = stale_tracks(today=today).annotate(subject_key=_text("track:", F("pk")))
        _sync_flags(
            stale,
            kind=Flag.Kind.EVIDENCE_STALE.value,
            detail=_text(
                "Evidence for level ",
                F("level_rank"),
                " is older than its recency window for at least one evidence type; "
                "upload current evidence to keep the level.",
            ),
            now=now,
            result=result,
            track="pk",
        )
        _step(progress, "stale evidence flagged")
        new_flags = Flag.objects.filter(
            raised_at=now, resolved_at__isnull=True, kind=Flag.Kind.EVIDENCE_STALE
        )
        queued = _queue_notifications(
            _provider_leads(new_flags, "contract"),
            recipient=F("r_user"),
            kind=F("kind"),
            dedup_key=_text("stale:flag:", F("pk"), ":user:", F("r_user")),
            subject=_text(
                F("contract__reference"), ": evidence gone stale – ", F("track__focus_area__name")
            ),
            body=_flag_body(),
            url=_flags_url("contract_id"),
            contract=F("contract_id"),
            now=now,
        )
        result["notifications_queued"] = queued
        _step(progress, "notifications queued")
    return result


# --- Sending and verifying --------------------------------------------------------------------


def send_notifications(*, progress: Progress = None) -> dict:
    """Sends what is pending in the outbox (see `monitoring.outbox`)."""
    from .outbox import send_pending

    return send_pending(progress=progress)


__all__ = [
    "evaluate_targets",
    "flag_stale_evidence",
    "refresh_and_evaluate_targets",
    "send_notifications",
    "send_review_reminders",
    "stale_tracks",
]
