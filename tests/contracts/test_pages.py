"""Portfolio, contract and track pages: what each person sees, in a fixed number of queries."""

import pytest
from django.urls import reverse

from contracts.models import Membership
from contracts.roles import Role
from tests.factories import AuthorityFactory, ProviderFactory, UserFactory, make_live_contract

pytestmark = pytest.mark.django_db


def _portfolio_user_with(n_contracts: int):
    authority = AuthorityFactory()
    user = UserFactory()
    Membership.objects.create(user=user, organisation=authority, role=Role.CLIENT_OFFICER)
    for _ in range(n_contracts):
        make_live_contract(authorities=[authority], provider=ProviderFactory())
    return user


@pytest.mark.parametrize("n_contracts", [1, 50])
def test_portfolio_uses_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, n_contracts
):
    user = _portfolio_user_with(n_contracts)
    client.force_login(user)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("contracts:portfolio"))
    assert response.status_code == 200
    assert len(response.context["contracts"]) == n_contracts


def test_portfolio_lists_only_the_users_contracts(client, party_a, party_b):
    client.force_login(party_b.users[Role.PROVIDER_LEAD])
    response = client.get(reverse("contracts:portfolio"), {"provider": party_a.provider.pk})
    assert [c.reference for c in response.context["contracts"]] == [party_b.contract.reference]
    assert party_a.contract.reference not in response.content.decode()


def test_portfolio_counts_tracks_at_or_above_their_target(client, party_a):
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    before = client.get(reverse("contracts:portfolio")).context["contracts"][0]
    assert (before.track_count, before.at_target_count) == (3, 0)
    track = party_a.track
    track.move_to_level(4, cause="a confirmed assessment")
    track.save()
    after = client.get(reverse("contracts:portfolio")).context["contracts"][0]
    assert (after.track_count, after.at_target_count) == (3, 1)


def test_portfolio_filters_by_status(client, party_a):
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    live = client.get(reverse("contracts:portfolio"), {"state": "live"}).context["contracts"]
    mobilising = client.get(reverse("contracts:portfolio"), {"state": "mobilising"})
    assert [c.pk for c in live] == [party_a.contract.pk]
    assert list(mobilising.context["contracts"]) == []


@pytest.mark.parametrize("focus_areas", [3, 20])
def test_contract_page_uses_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, focus_areas
):
    from tests.factories import build_framework

    contract = make_live_contract(framework=build_framework(focus_areas=focus_areas))
    for _ in range(5 if focus_areas > 3 else 0):
        make_live_contract()
    lead = Membership.objects.get(
        role=Role.CLIENT_LEAD, organisation__contracts_as_authority=contract
    )
    client.force_login(lead.user)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("contracts:contract_detail", args=[contract.pk]))
    assert response.status_code == 200
    assert response.context["grid"].track_count == focus_areas


def test_contract_page_marks_each_tracks_current_level_and_target(client, party_a):
    client.force_login(party_a.users[Role.PROVIDER_CONTRIBUTOR])
    response = client.get(reverse("contracts:contract_detail", args=[party_a.contract.pk]))
    rows = [row for category in response.context["grid"].categories for row in category.rows]
    for row in rows:
        current = [cell["level"].rank for cell in row.cells if cell["is_current"]]
        target = [cell["level"].rank for cell in row.cells if cell["is_target"]]
        assert current == [0]
        assert target == [party_a.contract.default_target_rank]
    assert "On track" in response.content.decode()


def test_portfolio_shows_each_contracts_targets_by_rag_and_its_open_flags(client, party_a):
    from contracts.models import Target
    from monitoring.models import Flag

    Target.objects.filter(track=party_a.track).update(status=Target.Status.OVERDUE)
    Flag.objects.create(kind=Flag.Kind.TARGET_OVERDUE, subject_key="x", contract=party_a.contract)
    client.force_login(party_a.users[Role.CLIENT_OFFICER])
    response = client.get(reverse("contracts:portfolio"))
    (contract,) = response.context["contracts"]
    assert contract.rag_counts == {"red": 1, "amber": 0, "green": 2, "grey": 0}
    assert contract.open_flags == 1
    assert '<span class="app-rag app-rag--red">1 red</span>' in response.content.decode()


def test_contract_page_offers_lifecycle_actions_only_to_the_client_lead(client, party_a):
    terminate = reverse("contracts:contract_terminate", args=[party_a.contract.pk])
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    lead_page = client.get(reverse("contracts:contract_detail", args=[party_a.contract.pk]))
    assert terminate in lead_page.content.decode()
    client.force_login(party_a.users[Role.PROVIDER_LEAD])
    provider_page = client.get(reverse("contracts:contract_detail", args=[party_a.contract.pk]))
    assert terminate not in provider_page.content.decode()


def test_track_page_shows_every_level_descriptor_and_the_targets_history(client, party_a):
    client.force_login(party_a.users[Role.BOARD_MEMBER])
    response = client.get(reverse("contracts:track_detail", args=[party_a.track.pk]))
    body = response.content.decode()
    assert len(response.context["levels"]) == 6
    assert "Authority confidence in progress" in body  # level 2's checklist
    assert "Default target set when the contract went live." in body


def test_contract_history_csv_is_formula_safe_and_scoped(client, party_a, party_b):
    from audit.services import record

    record(
        actor=None,
        action="change",
        obj=party_a.contract,
        comment='=HYPERLINK("http://evil.example","x")',
    )
    client.force_login(party_a.users[Role.AUDITOR])
    response = client.get(reverse("contracts:contract_history_csv", args=[party_a.contract.pk]))
    body = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK" in body
    assert ",=HYPERLINK" not in body
    assert party_b.contract.reference not in body


def test_portfolio_search_copes_with_a_nul_character(client, party_a):
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    response = client.get(reverse("contracts:portfolio"), {"q": "\x00ALPHA"})
    assert response.status_code == 200
    assert [c.pk for c in response.context["contracts"]] == [party_a.contract.pk]


@pytest.mark.parametrize("extra", [1, 15])
def test_track_page_uses_a_fixed_number_of_queries(
    client, party_a, django_assert_max_num_queries, extra
):
    import datetime as dt

    from contracts import services
    from tests.factories import EvidenceItemFactory
    from workflows.models import Assessment

    lead = party_a.users[Role.CLIENT_LEAD]
    for i in range(extra):
        target = services.set_target(
            track=party_a.track,
            actor=lead,
            level_rank=4,
            due_date=dt.date(2028, 1, 1) + dt.timedelta(days=i),
            reason="Stretch",
        )
        services.revise_target(
            target=target,
            actor=lead,
            level_rank=5,
            due_date=target.due_date,
            reason="Further stretch",
        )
        EvidenceItemFactory(track=party_a.track)
        Assessment.objects.create(
            track=party_a.track,
            cycle=party_a.cycle,
            claimed_rank=1,
            from_rank=0,
            created_by=party_a.users[Role.PROVIDER_LEAD],
        )
    client.force_login(party_a.users[Role.PROVIDER_LEAD])
    with django_assert_max_num_queries(22):
        response = client.get(reverse("contracts:track_detail", args=[party_a.track.pk]))
    assert len(response.context["targets"]) == extra + 1
