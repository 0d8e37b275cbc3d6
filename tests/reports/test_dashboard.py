"""The portfolio dashboard: RAG counts, due targets, flags and claims awaiting the person."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import Membership, Target
from contracts.roles import Role
from monitoring.models import Flag
from tests.factories import AuthorityFactory, ProviderFactory, UserFactory, make_live_contract
from workflows.models import Assessment

pytestmark = pytest.mark.django_db


def _claim(party, state, user, track=None):
    return Assessment.objects.create(
        track=track or party.track,
        cycle=party.cycle,
        claimed_rank=1,
        from_rank=0,
        created_by=user,
        state=state,
    )


def test_dashboard_counts_each_contracts_tracks_by_rag(client, party_a):
    tracks = list(party_a.contract.tracks.order_by("pk"))
    Target.objects.filter(track=tracks[0]).update(status=Target.Status.OVERDUE)
    Target.objects.filter(track=tracks[1]).update(status=Target.Status.AT_RISK)
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    (row,) = client.get(reverse("reports:dashboard")).context["rows"]
    assert row.rag == {"red": 1, "amber": 1, "green": 1}
    assert row.worst == "red"


def test_dashboard_counts_targets_due_within_ninety_days_and_open_flags(client, party_a):
    soon = timezone.localdate() + dt.timedelta(days=30)
    Target.objects.filter(track=party_a.track).update(due_date=soon)
    Flag.objects.create(kind=Flag.Kind.TARGET_AT_RISK, subject_key="t1", contract=party_a.contract)
    Flag.objects.create(
        kind=Flag.Kind.TARGET_OVERDUE,
        subject_key="t2",
        contract=party_a.contract,
        resolved_at=timezone.now(),
    )
    client.force_login(party_a.users[Role.AUDITOR])
    (row,) = client.get(reverse("reports:dashboard")).context["rows"]
    assert (row.due_soon, row.open_flags) == (1, 1)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.PROVIDER_LEAD, 2),  # a draft and a returned claim to submit
        (Role.PROVIDER_CONTRIBUTOR, 1),  # the returned claim to rework
        (Role.CLIENT_OFFICER, 2),  # submitted and under review
        (Role.BOARD_MEMBER, 1),  # agreed, to confirm
        (Role.AUDITOR, 0),
    ],
)
def test_claims_awaiting_action_depend_on_the_persons_role(client, party_a, role, expected):
    author = party_a.users[Role.PROVIDER_LEAD]
    tracks = list(party_a.contract.tracks.order_by("pk"))
    for state, track in [
        ("draft", tracks[0]),
        ("returned", tracks[0]),
        ("confirmed", tracks[0]),
        ("submitted", tracks[0]),
        ("under_review", tracks[1]),
        ("agreed", tracks[2]),
    ]:
        _claim(party_a, state, author, track)
    client.force_login(party_a.users[role])
    (row,) = client.get(reverse("reports:dashboard")).context["rows"]
    assert row.awaiting_me == expected


def test_dashboard_filters_by_provider_and_sorts_by_red(client):
    authority = AuthorityFactory()
    user = UserFactory()
    Membership.objects.create(user=user, organisation=authority, role=Role.CLIENT_OFFICER)
    calm = make_live_contract(authorities=[authority], reference="A-CALM")
    stormy = make_live_contract(authorities=[authority], reference="B-STORMY")
    Target.objects.filter(track__contract=stormy).update(status=Target.Status.MISSED)
    client.force_login(user)
    by_red = client.get(reverse("reports:dashboard"), {"sort": "red"}).context["rows"]
    assert [r.contract.reference for r in by_red] == ["B-STORMY", "A-CALM"]
    only_calm = client.get(reverse("reports:dashboard"), {"provider": calm.provider_id})
    assert [r.contract.reference for r in only_calm.context["rows"]] == ["A-CALM"]


def test_dashboard_lists_only_the_users_contracts(client, party_a, party_b):
    client.force_login(party_b.users[Role.CLIENT_LEAD])
    response = client.get(reverse("reports:dashboard"), {"authority": party_a.authority.pk})
    assert response.context["rows"] == []
    csv = client.get(reverse("reports:dashboard_csv"))
    assert party_a.contract.reference not in b"".join(csv.streaming_content).decode()


def _many_contracts(n):
    authority = AuthorityFactory()
    user = UserFactory()
    Membership.objects.create(user=user, organisation=authority, role=Role.CLIENT_LEAD)
    for _ in range(n):
        contract = make_live_contract(authorities=[authority], provider=ProviderFactory())
        Flag.objects.create(
            kind=Flag.Kind.TARGET_AT_RISK, subject_key=f"c{contract.pk}", contract=contract
        )
    return user


@pytest.mark.parametrize("n_contracts", [2, 30])
def test_dashboard_and_its_csv_use_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, n_contracts
):
    client.force_login(_many_contracts(n_contracts))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reports:dashboard"))
    assert len(response.context["rows"]) == n_contracts
    with django_assert_max_num_queries(10):
        csv = client.get(reverse("reports:dashboard_csv"))
        lines = b"".join(csv.streaming_content).decode().splitlines()
    assert len(lines) == n_contracts + 1


@pytest.mark.parametrize("focus_areas", [3, 15])
def test_matrix_csv_uses_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, focus_areas
):
    from tests.factories import build_framework

    contract = make_live_contract(framework=build_framework(focus_areas=focus_areas))
    user = contract.authorities.first().memberships.get().user
    client.force_login(user)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("reports:matrix_csv", args=[contract.pk]))
        lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == focus_areas + 1
    assert lines[1].endswith(",0,3,2027-03-31,On track,")


@pytest.mark.parametrize("value", ["99999999999999999999", "abc", "-1", ""])
def test_dashboard_ignores_filter_values_that_are_not_ids(client, party_a, value):
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    for name in ("reports:dashboard", "reports:dashboard_csv"):
        response = client.get(reverse(name), {"authority": value, "provider": value})
        assert response.status_code == 200
    rows = client.get(reverse("reports:dashboard"), {"authority": value}).context["rows"]
    assert [row.contract for row in rows] == [party_a.contract]
