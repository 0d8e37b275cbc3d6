"""The evaluate-targets job: status changes audited, flags raised and resolved once, one
notification per new flag and person, set-based (fixed query count), the sustainability hook."""

import datetime as dt
import sys
import types

import pytest

from audit.models import AuditEvent
from contracts.models import Target
from contracts.roles import Role
from contracts.services import revise_target
from monitoring import jobs
from monitoring.models import Flag, Notification, NotificationPreference, ScheduledJob
from tests.factories import Party
from tests.monitoring.factories import claim, make_target
from workflows.models import Assessment

S = Target.Status
TODAY = dt.date.today()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def track(party_a):
    Target.objects.filter(track__contract=party_a.contract).delete()
    return party_a.track


def status_events(target):
    return AuditEvent.objects.filter(object_type="contracts.target", object_id=str(target.pk))


def open_flags(target):
    return Flag.objects.filter(target=target, resolved_at__isnull=True)


# --- audit trail ------------------------------------------------------------------------------


def test_a_status_change_appends_one_audit_event_with_from_to_and_contract(track):
    target = make_target(track, due=days(30))
    jobs.evaluate_targets(today=TODAY)
    [event] = status_events(target)
    assert (event.from_state, event.to_state) == (S.ON_TRACK, S.AT_RISK)
    assert event.contract_id == track.contract_id
    assert event.action == AuditEvent.Action.CHANGE
    assert event.object_repr == f"Level 3 by {days(30):%Y-%m-%d}"


def test_an_unchanged_status_writes_no_audit_event(track):
    target = make_target(track, due=days(300))
    jobs.evaluate_targets(today=TODAY)
    assert not status_events(target).exists()


def test_running_twice_audits_a_change_once(track):
    target = make_target(track, due=days(30))
    jobs.evaluate_targets(today=TODAY)
    jobs.evaluate_targets(today=TODAY)
    assert status_events(target).count() == 1


def test_the_change_time_is_stamped_on_the_target(track):
    target = make_target(track, due=days(30))
    jobs.evaluate_targets(today=TODAY)
    target.refresh_from_db()
    assert target.status_changed_at is not None


def test_the_run_is_recorded_for_operators(track):
    make_target(track, due=days(30))
    result = jobs.evaluate_targets(today=TODAY)
    job = ScheduledJob.objects.get(name="evaluate_targets")
    assert job.last_finished_at is not None
    assert job.last_result == result
    assert result["status_changes"] == 1


# --- flags ------------------------------------------------------------------------------------


def test_an_at_risk_target_raises_one_amber_flag_with_its_detail(track):
    target = make_target(track, due=days(30))
    jobs.evaluate_targets(today=TODAY)
    [flag] = open_flags(target)
    assert flag.kind == Flag.Kind.TARGET_AT_RISK
    assert flag.severity == Flag.Severity.AMBER
    assert flag.contract_id == track.contract_id and flag.track_id == track.pk
    assert f"Level 3 is due by {days(30):%Y-%m-%d}" in flag.detail


def test_a_missed_target_raises_a_red_flag(track):
    target = make_target(track, due=days(-200))
    jobs.evaluate_targets(today=TODAY)
    [flag] = open_flags(target)
    assert (flag.kind, flag.severity) == (Flag.Kind.TARGET_MISSED, Flag.Severity.RED)


def test_running_twice_leaves_one_open_flag(track):
    target = make_target(track, due=days(30))
    jobs.evaluate_targets(today=TODAY)
    jobs.evaluate_targets(today=TODAY)
    assert Flag.objects.filter(target=target).count() == 1


def test_the_flag_is_resolved_when_the_condition_clears(track):
    target = make_target(track, due=days(30))
    jobs.evaluate_targets(today=TODAY)
    claim(track, 3, state=Assessment.State.SUBMITTED)
    jobs.evaluate_targets(today=TODAY)
    [flag] = Flag.objects.filter(target=target)
    assert flag.resolved_at is not None


def test_a_cleared_condition_that_returns_raises_a_new_flag(track):
    target = make_target(track, due=days(30))
    jobs.evaluate_targets(today=TODAY)
    submitted = claim(track, 3, state=Assessment.State.SUBMITTED)
    jobs.evaluate_targets(today=TODAY)
    Assessment.objects.filter(pk=submitted.pk).delete()
    jobs.evaluate_targets(today=TODAY)
    assert Flag.objects.filter(target=target).count() == 2
    assert open_flags(target).count() == 1


def test_moving_from_at_risk_to_overdue_resolves_one_flag_and_raises_the_other(track):
    target = make_target(track, due=days(2))
    claim(track, 3, state=Assessment.State.UNDER_REVIEW)
    jobs.evaluate_targets(today=TODAY)  # on track: a claim for the level is in review
    assert not Flag.objects.filter(target=target).exists()
    Assessment.objects.filter(track=track, state=Assessment.State.UNDER_REVIEW).delete()
    jobs.evaluate_targets(today=TODAY)
    assert [f.kind for f in open_flags(target)] == [Flag.Kind.TARGET_AT_RISK]
    claim(track, 3, state=Assessment.State.UNDER_REVIEW)
    jobs.evaluate_targets(today=days(5))
    assert [f.kind for f in open_flags(target)] == [Flag.Kind.TARGET_OVERDUE]
    assert Flag.objects.get(target=target, kind=Flag.Kind.TARGET_AT_RISK).resolved_at


def test_a_missed_targets_flag_stays_open_on_later_runs(track):
    target = make_target(track, due=days(-200))
    jobs.evaluate_targets(today=TODAY)
    jobs.evaluate_targets(today=days(1))
    assert open_flags(target).count() == 1


def test_waiving_a_target_resolves_its_flag(track):
    target = make_target(track, due=days(-200))
    jobs.evaluate_targets(today=TODAY)
    Target.objects.filter(pk=target.pk).update(status=S.WAIVED)  # as a board decision does
    jobs.evaluate_targets(today=TODAY)
    assert not open_flags(target).exists()


def test_a_flag_already_open_for_the_condition_is_kept_not_duplicated(track):
    target = make_target(track, due=days(30), status=S.AT_RISK)
    Flag.objects.create(
        kind=Flag.Kind.TARGET_AT_RISK,
        subject_key=f"target:{target.pk}",
        contract=track.contract,
        target=target,
        detail="raised earlier",
    )
    jobs.evaluate_targets(today=TODAY)
    [flag] = Flag.objects.filter(target=target)
    assert flag.detail == "raised earlier" and flag.resolved_at is None


# --- notifications ----------------------------------------------------------------------------


def test_a_new_flag_notifies_the_client_team_and_provider_leads_once(track, party_a):
    target = make_target(track, due=days(30))
    jobs.evaluate_targets(today=TODAY)
    jobs.evaluate_targets(today=TODAY)
    recipients = sorted(
        Notification.objects.filter(dedup_key__startswith=f"target:{target.pk}:").values_list(
            "recipient__username", flat=True
        )
    )
    assert recipients == sorted(
        party_a.users[role].username
        for role in (Role.CLIENT_OFFICER, Role.CLIENT_LEAD, Role.PROVIDER_LEAD)
    )


def test_the_notification_names_the_contract_condition_and_links_to_the_flags(track, party_a):
    make_target(track, due=days(30))
    jobs.evaluate_targets(today=TODAY)
    note = Notification.objects.get(recipient=party_a.users[Role.CLIENT_LEAD])
    assert note.subject == f"{party_a.contract.reference}: Target at risk – Focus area 1"
    assert note.url == f"/monitoring/contracts/{party_a.contract.pk}/flags/"
    assert note.contract_id == party_a.contract.pk
    assert note.status == Notification.Status.PENDING and not note.critical


def test_inactive_people_are_not_notified(track, party_a):
    lead = party_a.users[Role.CLIENT_LEAD]
    lead.is_active = False
    lead.save()
    make_target(track, due=days(30))
    jobs.evaluate_targets(today=TODAY)
    assert not Notification.objects.filter(recipient=lead).exists()


def test_people_of_other_contracts_are_not_notified(track, party_b):
    make_target(track, due=days(30))
    jobs.evaluate_targets(today=TODAY)
    assert not Notification.objects.filter(recipient__in=party_b.users.values()).exists()


def test_a_revised_target_is_a_new_window_for_notifications(track, party_a):
    target = make_target(track, due=days(30))
    jobs.evaluate_targets(today=TODAY)
    revise_target(
        target=target,
        actor=party_a.users[Role.CLIENT_LEAD],
        level_rank=3,
        due_date=days(-200),
        reason="Brought forward",
    )
    jobs.evaluate_targets(today=TODAY)
    lead = party_a.users[Role.CLIENT_LEAD]
    kinds = sorted(Notification.objects.filter(recipient=lead).values_list("kind", flat=True))
    assert kinds == [Flag.Kind.TARGET_AT_RISK, Flag.Kind.TARGET_MISSED]


def test_an_opted_out_person_gets_a_suppressed_row_for_a_non_critical_kind(track, party_a):
    lead = party_a.users[Role.CLIENT_LEAD]
    NotificationPreference.objects.create(user=lead, kind=Flag.Kind.TARGET_AT_RISK)
    make_target(track, due=days(30))
    jobs.evaluate_targets(today=TODAY)
    assert Notification.objects.get(recipient=lead).status == Notification.Status.SUPPRESSED


def test_an_opt_out_does_not_hold_back_a_critical_kind(track, party_a):
    lead = party_a.users[Role.CLIENT_LEAD]
    NotificationPreference.objects.create(user=lead, kind=Flag.Kind.TARGET_MISSED)
    make_target(track, due=days(-200))
    jobs.evaluate_targets(today=TODAY)
    note = Notification.objects.get(recipient=lead)
    assert note.critical and note.status == Notification.Status.PENDING


def test_queued_notifications_ask_for_one_send_after_commit(
    track, django_capture_on_commit_callbacks
):
    make_target(track, due=days(30))
    make_target(track, due=days(-200))
    with django_capture_on_commit_callbacks() as callbacks:
        jobs.evaluate_targets(today=TODAY)
    assert [c.__name__ for c in callbacks] == ["enqueue_send"]


def test_nothing_new_asks_for_no_send(track, django_capture_on_commit_callbacks):
    make_target(track, due=days(300))
    with django_capture_on_commit_callbacks() as callbacks:
        jobs.evaluate_targets(today=TODAY)
    assert callbacks == []


# --- set-based: the query count does not grow with the number of targets -----------------------


def _targets_in_every_state(party: Party, count: int) -> None:
    Target.objects.filter(track__contract=party.contract).delete()
    tracks = list(party.contract.tracks.all())
    offsets = [-200, -5, 0, 30, 89, 200, 400]  # missed, overdue, at risk ×3, on track ×2
    Target.objects.bulk_create(
        [
            Target(
                track=tracks[i % len(tracks)],
                level_rank=1 + i % 4,
                due_date=days(offsets[i % len(offsets)]),
                requires_sustained=i % 5 == 0,
            )
            for i in range(count)
        ]
    )
    claim(tracks[0], 3, state=Assessment.State.AGREED)


@pytest.mark.parametrize("count", [10, 1000])
def test_the_query_count_does_not_grow_with_the_number_of_targets(
    party_a, count, django_assert_max_num_queries
):
    _targets_in_every_state(party_a, count)
    with django_assert_max_num_queries(18):
        result = jobs.evaluate_targets(today=TODAY)
    assert result["status_changes"] > count // 2
    flagged = Target.objects.filter(status__in=[S.AT_RISK, S.OVERDUE, S.MISSED]).count()
    assert result["flags_raised"] == flagged > count // 2


@pytest.mark.parametrize("count", [10, 1000])
def test_a_second_run_changes_nothing_whatever_the_number_of_targets(
    party_a, count, django_assert_max_num_queries
):
    _targets_in_every_state(party_a, count)
    jobs.evaluate_targets(today=TODAY)
    flags, notes, events = Flag.objects.count(), Notification.objects.count(), AuditEvent.objects
    events = events.count()
    with django_assert_max_num_queries(18):
        result = jobs.evaluate_targets(today=TODAY)
    assert result == {
        "status_changes": 0,
        "flags_resolved": 0,
        "flags_raised": 0,
        "notifications_queued": 0,
    }
    assert (Flag.objects.count(), Notification.objects.count()) == (flags, notes)
    assert AuditEvent.objects.count() == events


# --- the sustainability hook --------------------------------------------------------------------


def test_the_daily_run_works_without_the_sustainability_module(track, monkeypatch):
    monkeypatch.delitem(sys.modules, "workflows.sustainability", raising=False)
    make_target(track, due=days(30))
    result = jobs.refresh_and_evaluate_targets(today=TODAY)
    assert result["status_changes"] == 1


def test_the_daily_run_refreshes_sustainability_before_evaluating(track, monkeypatch):
    """A target requiring sustained is met only if the refresh ran first."""
    from tests.monitoring.factories import reach_level

    target = make_target(track, level=3, due=days(30), requires_sustained=True)
    reach_level(track, 3)
    module = types.ModuleType("workflows.sustainability")

    def refresh_sustainability():
        track.sustained = True
        track.save(update_fields=["sustained"])

    module.refresh_sustainability = refresh_sustainability
    monkeypatch.setitem(sys.modules, "workflows.sustainability", module)
    jobs.refresh_and_evaluate_targets(today=TODAY)
    target.refresh_from_db()
    assert target.status == S.MET_SUSTAINED


def test_a_broken_import_inside_the_sustainability_module_is_not_hidden(track, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "workflows.sustainability":
            raise ModuleNotFoundError("No module named 'numpy'", name="numpy")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ModuleNotFoundError):
        jobs.refresh_and_evaluate_targets(today=TODAY)
