"""The admin gives staff who are not superusers only their own contracts' rows, and never lets
anyone edit a state, a level or a record that the product's services own."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from contracts.roles import Role
from monitoring.models import Flag
from tests.factories import EvidenceItemFactory
from workflows.models import Assessment

pytestmark = pytest.mark.django_db

CHANGELISTS = {
    "contracts_contract": "reference",
    "contracts_track": None,
    "contracts_target": None,
    "evidence_evidenceitem": None,
    "workflows_assessment": None,
    "monitoring_flag": None,
}


@pytest.fixture
def staff_of_b(party_b):
    user = party_b.users[Role.CLIENT_LEAD]
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rows_of_both(party_a, party_b):
    for party in (party_a, party_b):
        EvidenceItemFactory(track=party.track)
        Assessment.objects.create(
            track=party.track,
            cycle=party.cycle,
            claimed_rank=1,
            from_rank=0,
            created_by=party.users[Role.PROVIDER_LEAD],
        )
        Flag.objects.create(
            kind=Flag.Kind.TARGET_AT_RISK, subject_key=f"t{party.track.pk}", contract=party.contract
        )


@pytest.mark.parametrize("changelist", CHANGELISTS)
def test_changelists_show_a_non_superuser_only_their_contracts_rows(
    staff_of_b, party_a, party_b, rows_of_both, changelist
):
    response = staff_of_b.get(reverse(f"admin:{changelist}_changelist"))
    assert response.status_code == 200
    shown = list(response.context["cl"].queryset)
    assert shown, "the party's own rows are listed"
    for row in shown:
        contract = row if changelist == "contracts_contract" else None
        contract = contract or getattr(row, "contract", None) or row.track.contract
        assert contract == party_b.contract


def test_another_partys_contract_cannot_be_opened_in_the_admin(staff_of_b, party_a):
    response = staff_of_b.get(
        reverse("admin:contracts_contract_change", args=[party_a.contract.pk])
    )
    assert response.status_code == 302
    assert party_a.contract.reference not in response.content.decode()


def test_the_contract_state_cannot_be_edited_in_the_admin(party_a):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client = Client()
    client.force_login(admin_user)
    url = reverse("admin:contracts_contract_change", args=[party_a.contract.pk])
    form = client.get(url).context["adminform"].form
    assert "state" not in form.fields
    data = {
        key: value
        for key, value in form.initial.items()
        if key in form.fields and value is not None
    }
    data.update(
        {
            "state": "terminated",
            "authorities": [party_a.authority.pk],
            "board_members": [],
            "auditors": [],
            "cycles-TOTAL_FORMS": "0",
            "cycles-INITIAL_FORMS": "0",
        }
    )
    client.post(url, data)
    party_a.contract.refresh_from_db()
    assert party_a.contract.state == "live"


@pytest.mark.parametrize(
    "model", ["workflows_assessment", "evidence_evidenceitem", "workflows_boarddecision"]
)
def test_records_owned_by_services_are_read_only_even_for_superusers(party_a, model):
    from django.contrib import admin
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    request = type("Request", (), {"user": admin_user})()
    app_label, name = model.split("_", 1)
    model_admin = next(
        ma for m, ma in admin.site._registry.items() if m._meta.label_lower == f"{app_label}.{name}"
    )
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_add_permission(request)
