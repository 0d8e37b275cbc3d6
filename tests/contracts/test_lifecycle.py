"""A contract's lifecycle: who may move it, from which states, and what each step leaves behind."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from contracts import services
from contracts.models import Contract, Membership, Target, TargetRevision, Track
from contracts.roles import Role
from tests.factories import AuthorityFactory, ContractFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_and_authority():
    authority = AuthorityFactory()
    lead = UserFactory()
    Membership.objects.create(user=lead, organisation=authority, role=Role.CLIENT_LEAD)
    return lead, authority


def _contract_form(framework, authority, provider, **overrides):
    data = {
        "reference": "HWY-2025-001",
        "title": "Highways term maintenance",
        "authorities": [authority.pk],
        "provider": provider.pk,
        "framework": framework.pk,
        "start_date": "2023-04-01",
        "end_date": "2030-03-31",
        "default_target_rank": "3",
        "default_target_date": "2025-03-31",
    }
    data.update(overrides)
    return data


def test_a_client_lead_adds_a_mobilising_contract(client, lead_and_authority):
    from tests.factories import build_framework

    lead, authority = lead_and_authority
    framework = build_framework()
    client.force_login(lead)
    response = client.post(
        reverse("contracts:contract_create"),
        _contract_form(framework, authority, ProviderFactory()),
    )
    contract = Contract.objects.get(reference="HWY-2025-001")
    assert response.status_code == 302
    assert contract.state == Contract.State.MOBILISING
    assert list(contract.authorities.all()) == [authority]


def test_adding_a_contract_for_an_authority_one_does_not_lead_is_refused(
    client, lead_and_authority
):
    from tests.factories import build_framework

    lead, _ = lead_and_authority
    client.force_login(lead)
    response = client.post(
        reverse("contracts:contract_create"),
        _contract_form(build_framework(), AuthorityFactory(), ProviderFactory()),
    )
    assert response.status_code == 403
    assert not Contract.objects.exists()


def test_adding_a_contract_with_bad_dates_names_the_field(client, lead_and_authority):
    from tests.factories import build_framework

    lead, authority = lead_and_authority
    client.force_login(lead)
    response = client.post(
        reverse("contracts:contract_create"),
        _contract_form(build_framework(), authority, ProviderFactory(), end_date="2020-01-01"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["end_date"] == [
        "The end date must be on or after the start date."
    ]
    assert not Contract.objects.exists()


def test_adding_a_contract_with_a_level_off_the_scale_is_refused(client, lead_and_authority):
    from tests.factories import build_framework

    lead, authority = lead_and_authority
    client.force_login(lead)
    response = client.post(
        reverse("contracts:contract_create"),
        _contract_form(build_framework(), authority, ProviderFactory(), default_target_rank="9"),
    )
    assert "default_target_rank" in response.context["form"].errors
    assert not Contract.objects.exists()


def test_only_the_client_lead_can_open_the_form_to_add_a_contract(client, party_a):
    client.force_login(party_a.users[Role.CLIENT_OFFICER])
    assert client.get(reverse("contracts:contract_create")).status_code == 403


def test_going_live_creates_tracks_and_default_targets_with_their_first_revision(
    client, lead_and_authority
):
    lead, authority = lead_and_authority
    contract = ContractFactory(authorities=[authority])
    client.force_login(lead)
    response = client.post(reverse("contracts:contract_go_live", args=[contract.pk]))
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.state == Contract.State.LIVE
    assert Track.objects.filter(contract=contract).count() == 3
    assert Target.objects.filter(track__contract=contract, level_rank=3).count() == 3
    assert TargetRevision.objects.filter(target__track__contract=contract).count() == 3


def test_going_live_twice_is_refused_with_a_clear_message(client, party_a):
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    response = client.post(reverse("contracts:contract_go_live", args=[party_a.contract.pk]))
    assert response.status_code == 400
    assert "Only a mobilising contract can go live; this one is live." in response.content.decode()
    assert Track.objects.filter(contract=party_a.contract).count() == 3


@pytest.mark.parametrize(
    "role", [Role.CLIENT_OFFICER, Role.PROVIDER_LEAD, Role.BOARD_MEMBER, Role.AUDITOR]
)
def test_roles_other_than_client_lead_cannot_terminate(client, party_a, role):
    client.force_login(party_a.users[role])
    response = client.post(
        reverse("contracts:contract_terminate", args=[party_a.contract.pk]), {"reason": "x"}
    )
    assert response.status_code == 403
    party_a.contract.refresh_from_db()
    assert party_a.contract.state == Contract.State.LIVE


def test_terminating_needs_a_reason(client, party_a):
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    response = client.post(
        reverse("contracts:contract_terminate", args=[party_a.contract.pk]), {"reason": " "}
    )
    assert response.context["form"].errors["reason"]
    party_a.contract.refresh_from_db()
    assert party_a.contract.state == Contract.State.LIVE


def test_terminating_records_the_reason_and_the_transition(client, party_a):
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    client.post(
        reverse("contracts:contract_terminate", args=[party_a.contract.pk]),
        {"reason": "Clause 12.3: persistent failure"},
    )
    party_a.contract.refresh_from_db()
    assert party_a.contract.state == Contract.State.TERMINATED
    assert party_a.contract.termination_reason == "Clause 12.3: persistent failure"
    event = AuditEvent.objects.filter(object_type="contracts.contract", to_state="terminated").get()
    assert event.actor == party_a.users[Role.CLIENT_LEAD]
    assert "Clause 12.3" in event.comment


def test_a_mobilising_contract_cannot_be_terminated(lead_and_authority):
    lead, authority = lead_and_authority
    contract = ContractFactory(authorities=[authority])
    with pytest.raises(ValidationError, match="mobilising contract cannot be terminated"):
        services.terminate(contract=contract, actor=lead, reason="No longer needed")


def test_a_contract_cannot_expire_before_its_end_date(party_a):
    with pytest.raises(ValidationError, match="after that date"):
        services.expire(
            contract=party_a.contract,
            actor=party_a.users[Role.CLIENT_LEAD],
            today=dt.date(2026, 1, 1),
        )


def test_a_contract_expires_after_its_end_date(party_a):
    services.expire(
        contract=party_a.contract,
        actor=party_a.users[Role.CLIENT_LEAD],
        today=party_a.contract.end_date + dt.timedelta(days=1),
    )
    party_a.contract.refresh_from_db()
    assert party_a.contract.state == Contract.State.EXPIRED


def test_the_state_cannot_be_written_directly(party_a):
    contract = Contract.objects.get(pk=party_a.contract.pk)
    with pytest.raises(AttributeError):
        contract.state = Contract.State.TERMINATED


def test_once_live_only_title_and_extension_options_can_change(party_a):
    lead = party_a.users[Role.CLIENT_LEAD]
    with pytest.raises(ValidationError, match="only its title and extension options"):
        services.update_contract(
            contract=party_a.contract, actor=lead, end_date=dt.date(2040, 1, 1)
        )
    services.update_contract(contract=party_a.contract, actor=lead, title="Renamed")
    party_a.contract.refresh_from_db()
    assert party_a.contract.title == "Renamed"
    assert party_a.contract.end_date == dt.date(2030, 3, 31)


def test_a_provider_cannot_edit_the_contract(party_a):
    with pytest.raises(PermissionDenied):
        services.update_contract(
            contract=party_a.contract, actor=party_a.users[Role.PROVIDER_LEAD], title="Mine"
        )


def test_tailoring_gives_a_mobilising_contract_its_own_draft_version(client, lead_and_authority):
    lead, authority = lead_and_authority
    contract = ContractFactory(authorities=[authority])
    source = contract.framework
    client.force_login(lead)
    client.post(reverse("contracts:contract_tailor", args=[contract.pk]))
    contract.refresh_from_db()
    assert contract.framework.tailored_from == source
    assert contract.framework.status == "draft"
    assert contract.framework.focus_areas.count() == source.focus_areas.count()
    with pytest.raises(ValidationError, match="must be published before go-live"):
        services.go_live(contract=contract, actor=lead)


def test_a_live_contracts_framework_cannot_be_tailored(party_a):
    with pytest.raises(ValidationError, match="only while the contract is mobilising"):
        services.tailor_framework(contract=party_a.contract, actor=party_a.users[Role.CLIENT_LEAD])
