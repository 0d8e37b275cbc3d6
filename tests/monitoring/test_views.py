"""The notification pages (a person's own), email preferences, and a contract's flags page and
CSV export."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contracts.roles import Role
from monitoring import kinds
from monitoring.models import Flag, Notification, NotificationPreference
from tests.monitoring.factories import FlagFactory, NotificationFactory


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def lead(party_a):
    return party_a.users[Role.CLIENT_LEAD]


# --- notifications ------------------------------------------------------------------------------


def test_the_list_shows_only_my_notifications_newest_first(lead, party_a):
    NotificationFactory(recipient=lead, subject="Older")
    NotificationFactory(recipient=lead, subject="Newer")
    NotificationFactory(recipient=party_a.users[Role.PROVIDER_LEAD], subject="Not mine")
    page = client_for(lead).get(reverse("monitoring:notifications")).content.decode()
    assert page.index("Newer") < page.index("Older")
    assert "Not mine" not in page
    assert "You have 2 unread notifications." in page


def test_the_navigation_shows_the_unread_count(lead):
    NotificationFactory(recipient=lead)
    NotificationFactory(recipient=lead, read_at=timezone.now())
    page = client_for(lead).get(reverse("monitoring:preferences")).content.decode()
    assert '<span class="app-nav-count">1<span class="govuk-visually-hidden"> unread</span>' in (
        page
    )


def test_no_count_is_shown_with_nothing_unread(lead):
    page = client_for(lead).get(reverse("monitoring:preferences")).content.decode()
    assert "app-nav-count" not in page


def test_marking_one_read(lead):
    note = NotificationFactory(recipient=lead)
    response = client_for(lead).post(reverse("monitoring:notification_read", args=[note.pk]))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None


def test_marking_read_returns_to_the_page_it_came_from_on_this_site_only(lead):
    note = NotificationFactory(recipient=lead)
    url = reverse("monitoring:notification_read", args=[note.pk])
    here = client_for(lead).post(url, {"next": "/monitoring/notifications/?page=2"})
    away = client_for(lead).post(url, {"next": "https://evil.example.org/"})
    assert here["Location"] == "/monitoring/notifications/?page=2"
    assert away["Location"] == reverse("monitoring:notifications")


def test_someone_elses_notification_is_not_found_and_unchanged(lead, party_a):
    theirs = NotificationFactory(recipient=party_a.users[Role.PROVIDER_LEAD])
    response = client_for(lead).post(reverse("monitoring:notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_a_post(lead):
    note = NotificationFactory(recipient=lead)
    response = client_for(lead).get(reverse("monitoring:notification_read", args=[note.pk]))
    assert response.status_code == 405
    note.refresh_from_db()
    assert note.read_at is None


def test_marking_all_read_touches_only_mine(lead, party_a):
    mine = [NotificationFactory(recipient=lead) for _ in range(3)]
    theirs = NotificationFactory(recipient=party_a.users[Role.PROVIDER_LEAD])
    response = client_for(lead).post(reverse("monitoring:notifications_read_all"), follow=True)
    assert "3 notifications marked as read." in response.content.decode()
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


@pytest.mark.parametrize("count", [2, 40])
def test_the_list_costs_the_same_queries_whatever_its_length(
    lead, party_a, count, django_assert_max_num_queries
):
    for _ in range(count):
        NotificationFactory(recipient=lead, contract=party_a.contract)
    client = client_for(lead)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("monitoring:notifications"))
    assert response.content.decode().count("app-unread") == count


# --- preferences ---------------------------------------------------------------------------------


def test_every_optional_kind_is_offered_ticked_and_no_critical_one(lead):
    page = client_for(lead).get(reverse("monitoring:preferences")).content.decode()
    for kind in kinds.optional_kinds():
        assert f'value="{kind.code}"' in page
    assert page.count("checked") == len(kinds.optional_kinds())
    assert 'value="target_missed"' not in page


def test_unticking_a_kind_stops_its_emails(lead):
    keep = [k.code for k in kinds.optional_kinds() if k.code != kinds.TARGET_AT_RISK]
    response = client_for(lead).post(
        reverse("monitoring:preferences"), {"email_kinds": keep}, follow=True
    )
    assert "Your email preferences have been saved." in response.content.decode()
    assert list(
        NotificationPreference.objects.filter(user=lead).values_list("kind", flat=True)
    ) == [kinds.TARGET_AT_RISK]


def test_ticking_it_again_restores_them(lead):
    NotificationPreference.objects.create(user=lead, kind=kinds.TARGET_AT_RISK)
    codes = [k.code for k in kinds.optional_kinds()]
    client_for(lead).post(reverse("monitoring:preferences"), {"email_kinds": codes})
    assert not NotificationPreference.objects.filter(user=lead).exists()


def test_a_critical_kind_cannot_be_switched_off(lead):
    response = client_for(lead).post(
        reverse("monitoring:preferences"), {"email_kinds": ["target_missed"]}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Choose only from the notifications listed." in page
    assert "There is a problem" in page
    assert not NotificationPreference.objects.filter(user=lead).exists()


# --- flags ---------------------------------------------------------------------------------------


@pytest.fixture
def flags(party_a):
    open_flag = FlagFactory(
        contract=party_a.contract,
        track=party_a.track,
        kind=Flag.Kind.TARGET_OVERDUE,
        severity=Flag.Severity.RED,
        detail="Level 3 was due by 2025-03-31.",
    )
    resolved = FlagFactory(
        contract=party_a.contract,
        kind=Flag.Kind.DEADLINE_APPROACHING,
        detail='=HYPERLINK("http://x")',
        resolved_at=timezone.now(),
    )
    return open_flag, resolved


def test_the_flags_page_lists_open_and_resolved_flags(party_a, flags):
    url = reverse("monitoring:contract_flags", args=[party_a.contract.pk])
    page = client_for(party_a.users[Role.PROVIDER_CONTRIBUTOR]).get(url).content.decode()
    assert "1 open flag." in page
    assert '<strong class="app-rag app-rag--red">Target overdue</strong>' in page
    assert '<strong class="app-rag app-rag--grey">Review deadline approaching</strong>' in page
    assert "Level 3 was due by 2025-03-31." in page and "Focus area 1" in page
    assert page.count("<time datetime=") == 3  # raised ×2, resolved ×1


@pytest.mark.parametrize(
    ("show", "shown", "hidden"),
    [("open", "Target overdue", "Review deadline"), ("resolved", "Review deadline", "overdue")],
)
def test_the_flags_page_filters_open_or_resolved(party_a, flags, show, shown, hidden):
    url = reverse("monitoring:contract_flags", args=[party_a.contract.pk]) + f"?show={show}"
    page = client_for(party_a.users[Role.AUDITOR]).get(url).content.decode()
    table = page.split("<table", 1)[1]
    assert shown in table and hidden not in table


def test_another_partys_flags_are_not_found(party_a, party_b, flags):
    url = reverse("monitoring:contract_flags", args=[party_a.contract.pk])
    assert client_for(party_b.users[Role.CLIENT_LEAD]).get(url).status_code == 404


def test_the_csv_export_lists_every_flag_safely(party_a, flags):
    url = reverse("monitoring:contract_flags_csv", args=[party_a.contract.pk])
    response = client_for(party_a.users[Role.BOARD_MEMBER]).get(url)
    assert response["Content-Disposition"].startswith('attachment; filename="flags-ALPHA-001-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["Flag", "Kind", "Severity", "Status"]
    assert [r[1] for r in rows[1:]] == ["Target overdue", "Review deadline approaching"]
    assert rows[1][3] == "Open" and rows[2][3] == "Resolved"
    assert rows[2][6] == '\'=HYPERLINK("http://x")'  # a formula is neutralised


@pytest.mark.parametrize("count", [2, 60])
def test_the_flags_page_costs_the_same_queries_whatever_its_length(
    party_a, count, django_assert_max_num_queries
):
    for i in range(count):
        FlagFactory(contract=party_a.contract, track=party_a.track, detail=f"Flag number {i}")
    client = client_for(party_a.users[Role.CLIENT_OFFICER])
    url = reverse("monitoring:contract_flags", args=[party_a.contract.pk])
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.content.decode().count("Flag number") == count


@pytest.mark.parametrize("count", [2, 60])
def test_the_csv_costs_the_same_queries_whatever_its_length(
    party_a, count, django_assert_max_num_queries
):
    for _ in range(count):
        FlagFactory(contract=party_a.contract, track=party_a.track)
    client = client_for(party_a.users[Role.CLIENT_OFFICER])
    url = reverse("monitoring:contract_flags_csv", args=[party_a.contract.pk])
    with django_assert_max_num_queries(12):
        response = client.get(url)
        body = b"".join(response.streaming_content)
    assert body.count(b"\n") == count + 1
