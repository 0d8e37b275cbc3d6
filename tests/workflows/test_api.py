"""The assessments API: the access rule, the transitions and 409 on a concurrent change."""

import pytest
from django.test import Client
from django.urls import reverse

from contracts.roles import Role
from tests.workflows.factories import judgements_for, walk

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_holds_only_the_persons_contracts(party_a, party_b):
    mine = walk(party_a, "submitted")
    walk(party_b, "submitted")
    response = api(party_a.users[Role.AUDITOR]).get(reverse("api:assessment-list"))
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_an_outsider_gets_404_for_detail_and_transitions(party_a, party_b):
    claim = walk(party_a, "submitted")
    outsider = api(party_b.users[Role.CLIENT_LEAD])
    assert outsider.get(reverse("api:assessment-detail", args=[claim.pk])).status_code == 404
    response = outsider.post(reverse("api:assessment-start-review", args=[claim.pk]), {})
    assert response.status_code == 404
    claim.refresh_from_db()
    assert claim.state == "submitted"


def test_transitions_through_the_api(party_a):
    claim = walk(party_a, "submitted")
    officer = api(party_a.users[Role.CLIENT_OFFICER])
    url = reverse("api:assessment-start-review", args=[claim.pk])
    response = officer.post(
        url, {"edit_version": claim.edit_version}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["state"] == "under_review"
    claim.refresh_from_db()
    response = officer.post(
        reverse("api:assessment-agree", args=[claim.pk]),
        {"edit_version": claim.edit_version, "judgements": judgements_for(claim)},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["state"] == "agreed"


def test_a_stale_version_answers_409(party_a):
    claim = walk(party_a, "submitted")
    stale = claim.edit_version - 1
    response = api(party_a.users[Role.CLIENT_OFFICER]).post(
        reverse("api:assessment-start-review", args=[claim.pk]),
        {"edit_version": stale},
        content_type="application/json",
    )
    assert response.status_code == 409
    claim.refresh_from_db()
    assert claim.state == "submitted"


def test_a_refused_role_gets_403_and_a_bad_request_400(party_a):
    claim = walk(party_a, "under_review")
    provider = api(party_a.users[Role.PROVIDER_LEAD])
    response = provider.post(
        reverse("api:assessment-reject", args=[claim.pk]),
        {"comment": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403
    lead = api(party_a.users[Role.CLIENT_LEAD])
    response = lead.post(
        reverse("api:assessment-reject", args=[claim.pk]),
        {"comment": ""},
        content_type="application/json",
    )
    assert response.status_code == 400 and "reason" in str(response.json())
    claim.refresh_from_db()
    assert claim.state == "under_review"
