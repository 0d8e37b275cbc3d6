"""The track's evidence page and item pages: what each role sees, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from contracts.roles import Role
from evidence import services
from tests.evidence import files
from tests.evidence.factories import evidence_file, make_item
from tests.evidence.helpers import post_file, provider_client

pytestmark = pytest.mark.usefixtures("evidence_store")


def page(user, track):
    client = Client()
    client.force_login(user)
    return client.get(reverse("evidence:track", kwargs={"track_pk": track.pk}))


def test_the_page_shows_which_evidence_types_are_current_and_which_are_missing(party_a):
    first, second = party_a.track.focus_area.evidence_types.order_by("order")
    item = make_item(party_a, evidence_type=first)
    response = page(party_a.users[Role.PROVIDER_CONTRIBUTOR], party_a.track)
    statuses = {s.evidence_type: s for s in response.context["statuses"]}
    assert statuses[first].current_items == (item,)
    assert statuses[second].is_missing
    html = response.content.decode()
    assert "Missing" in html and "Current" in html
    assert item.original_filename in html


def test_evidence_older_than_its_recency_window_counts_as_missing(party_a):
    first = party_a.track.focus_area.evidence_types.order_by("order").first()
    long_ago = dt.date.today() - dt.timedelta(days=3 * 365)
    make_item(
        party_a,
        evidence_type=first,
        period_start=long_ago,
        period_end=long_ago + dt.timedelta(days=30),
    )
    response = page(party_a.users[Role.PROVIDER_CONTRIBUTOR], party_a.track)
    assert {s.evidence_type: s.is_missing for s in response.context["statuses"]}[first]


def test_a_provider_sees_the_upload_form_with_its_progress_bar(party_a):
    html = page(party_a.users[Role.PROVIDER_LEAD], party_a.track).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert "<progress" in html
    assert "js/evidence-upload.js" in html


@pytest.mark.parametrize(
    "role", [Role.CLIENT_OFFICER, Role.CLIENT_LEAD, Role.BOARD_MEMBER, Role.AUDITOR]
)
def test_other_roles_see_the_same_page_read_only(party_a, role):
    item = make_item(party_a)
    response = page(party_a.users[role], party_a.track)
    assert response.status_code == 200
    html = response.content.decode()
    assert item.original_filename in html
    assert "multipart/form-data" not in html and "Upload evidence" not in html
    detail = Client()
    detail.force_login(party_a.users[role])
    item_html = detail.get(reverse("evidence:item", kwargs={"pk": item.pk})).content.decode()
    assert "Withdraw this evidence" not in item_html
    assert "Upload a new version" not in item_html


@pytest.mark.parametrize("count", [1, 6])
def test_the_track_page_runs_a_fixed_number_of_queries(
    party_a, django_assert_max_num_queries, count
):
    types = list(party_a.track.focus_area.evidence_types.order_by("order"))
    for i in range(count):
        item = make_item(party_a, evidence_type=types[i % len(types)])
        if i % 3 == 1:
            services.withdraw(actor=party_a.users[Role.PROVIDER_LEAD], item=item, reason="Old")
    client = Client()
    client.force_login(party_a.users[Role.PROVIDER_CONTRIBUTOR])
    url = reverse("evidence:track", kwargs={"track_pk": party_a.track.pk})
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("versions", [1, 5])
def test_the_item_page_runs_a_fixed_number_of_queries(
    party_a, django_assert_max_num_queries, versions
):
    item = make_item(party_a)
    for _ in range(versions - 1):
        item = services.supersede(
            actor=party_a.users[Role.PROVIDER_LEAD],
            item=item,
            file=evidence_file(),
            period_start=item.period_start,
            period_end=item.period_end,
        )
    client = provider_client(party_a)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("evidence:item", kwargs={"pk": item.pk}))
    assert len(response.context["versions"]) == versions


def test_the_progress_script_gets_the_page_to_open_as_json(party_a):
    client = provider_client(party_a)
    response = post_file(client, party_a, "report.pdf", files.pdf(61), xhr=True)
    assert response.status_code == 201
    assert response.json()["location"].startswith("/evidence/items/")


def test_a_refused_upload_answers_the_progress_script_with_the_form_page(party_a):
    response = post_file(provider_client(party_a), party_a, "x.html", b"<p>hi</p>", xhr=True)
    assert response.status_code == 400
    assert b"govuk-error-summary" in response.content
    assert b'id="main-content"' in response.content
