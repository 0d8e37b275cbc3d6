"""The framework list and page: who sees what, the grid, downloads, and fixed query counts."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from contracts.models import Membership
from contracts.roles import Role
from matrix.selectors import framework_spec
from matrix.services import import_framework, parse_file, tailor_framework
from tests.factories import ContractFactory, ProviderFactory, UserFactory
from tests.matrix.factories import SMM, SPMM, SPMM_NAME, matrix_tsv, seed_bytes

pytestmark = pytest.mark.django_db


def _headers(html: str) -> list[str]:
    head = html[html.index("<thead") : html.index("</thead>")]
    return [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th\b[^>]*>(.*?)</th>", head)
    ]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def spmm():
    return import_framework(
        content=seed_bytes(SPMM), filename=SPMM.name, name=SPMM_NAME, publish=True
    ).framework


@pytest.fixture
def reader():
    return UserFactory(username="reader")


@pytest.fixture
def draft(spmm):
    return tailor_framework(framework=spmm, actor=None)


def test_list_shows_name_version_status_and_counts(spmm, reader):
    html = _client(reader).get(reverse("matrix:framework_list")).content.decode()
    assert SPMM_NAME in html
    row = html[html.index(SPMM_NAME) :]
    row = row[: row.index("</tr>")]
    cells = [c.split(">", 1)[1].split("<")[0] for c in row.split("<td")[1:]]
    assert cells[0] == "1"
    assert "Published" in row
    assert cells[2:] == ["6", "3", "9", "51"]


def test_list_hides_drafts_from_people_who_may_not_see_them(draft, reader):
    html = _client(reader).get(reverse("matrix:framework_list")).content.decode()
    assert f'href="{reverse("matrix:framework_detail", args=[draft.pk])}"' not in html
    assert "Draft" not in html


def test_staff_see_drafts_in_the_list(draft):
    staff = UserFactory(username="staff", is_staff=True)
    html = _client(staff).get(reverse("matrix:framework_list")).content.decode()
    assert f'href="{reverse("matrix:framework_detail", args=[draft.pk])}"' in html


def test_draft_page_is_404_for_people_who_may_not_see_it(draft, party_a):
    for user in [*party_a.users.values(), UserFactory(username="nobody")]:
        for name in ("framework_detail", "framework_export_xlsx", "framework_export_tsv"):
            response = _client(user).get(reverse(f"matrix:{name}", args=[draft.pk]))
            assert response.status_code == 404, (name, user)


def test_draft_page_is_shown_to_people_whose_contract_uses_it(draft):
    provider = ProviderFactory()
    contract = ContractFactory(framework=draft, provider=provider)
    contributor = UserFactory(username="contributor")
    Membership.objects.create(
        user=contributor, organisation=provider, role=Role.PROVIDER_CONTRIBUTOR
    )
    board_member = UserFactory(username="board")
    contract.board_members.add(board_member)
    for user in (contributor, board_member, UserFactory(username="staff", is_staff=True)):
        assert (
            _client(user).get(reverse("matrix:framework_detail", args=[draft.pk])).status_code
            == 200
        )


def test_retired_framework_page_is_shown_to_anyone_signed_in(spmm, reader):
    from matrix.services import retire

    retire(framework=spmm, actor=None)
    assert (
        _client(reader).get(reverse("matrix:framework_detail", args=[spmm.pk])).status_code == 200
    )


def test_anonymous_visitors_are_sent_to_sign_in(spmm):
    response = Client().get(reverse("matrix:framework_detail", args=[spmm.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.fixture
def spmm_page(spmm, reader) -> str:
    return _client(reader).get(reverse("matrix:framework_detail", args=[spmm.pk])).content.decode()


def test_page_grid_has_levels_across_in_scale_order_and_evidence_last(spmm_page):
    assert _headers(spmm_page) == [
        "Category",
        "Focus area",
        *[f"Level {r}" for r in range(6)],
        "Evidence base",
    ]


def test_page_grid_shows_categories_and_focus_areas_down(spmm_page):
    assert spmm_page.count('scope="rowgroup"') == 3
    assert spmm_page.count('scope="row"') == 9
    assert spmm_page.index("1. Policy Impact") < spmm_page.index("Social Value")
    assert spmm_page.index("Social Value") < spmm_page.index("2. Service Excellence")


def test_page_shows_blank_descriptors_as_such(spmm_page):
    assert spmm_page.count("Not yet described") == 18


def test_page_shows_checklist_criteria_as_a_list(spmm_page):
    assert (
        spmm_page.count('<ul class="govuk-list govuk-list--bullet app-criteria">') == 18
    )  # + evidence
    assert "<li>Customer understanding improving</li>" in spmm_page


def test_page_shows_the_evidence_base_and_the_notes(spmm_page):
    assert "<li>customer satisfaction surveys</li>" in spmm_page
    assert '<h2 class="govuk-heading-l">Notes</h2>' in spmm_page
    assert "level three maturity in each area by March 2025" in spmm_page
    assert "Maturity increases from left to right" in spmm_page


def test_page_table_scrolls_inside_its_own_container_on_small_screens(spmm_page):
    wrapper = re.search(
        r'<div class="([^"]*)" role="region" aria-labelledby="matrix-caption"', spmm_page
    )
    assert "app-table-scroll" in wrapper.group(1).split()
    assert 'tabindex="0"' in spmm_page[wrapper.start() : wrapper.start() + 200]  # keyboard scroll
    assert wrapper.start() < spmm_page.index('<table class="govuk-table app-matrix">')
    css = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
    assert ".app-table-scroll { overflow-x: auto;" in css


def test_page_links_to_both_downloads(spmm, spmm_page):
    assert reverse("matrix:framework_export_xlsx", args=[spmm.pk]) in spmm_page
    assert reverse("matrix:framework_export_tsv", args=[spmm.pk]) in spmm_page


@pytest.mark.parametrize("fmt", ["xlsx", "tsv"])
def test_download_is_an_attachment_that_imports_back(spmm, reader, fmt):
    response = _client(reader).get(reverse(f"matrix:framework_export_{fmt}", args=[spmm.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="strategic-performance-maturity-matrix-v1.{fmt}"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert parse_file(content=response.content, filename=f"x.{fmt}") == framework_spec(spmm)
    event = AuditEvent.objects.get(action="download", object_id=str(spmm.pk))
    assert event.actor == reader


def test_system_maturity_model_page_has_no_category_column(reader):
    smm = import_framework(content=seed_bytes(SMM), filename=SMM.name, publish=True).framework
    html = _client(reader).get(reverse("matrix:framework_detail", args=[smm.pk])).content.decode()
    assert ">Category</th>" not in html
    assert _headers(html) == ["Focus area", "1", "2", "3", "4", "5", "Evidence base"]


def _framework_of_size(focus_areas: int, levels: int):
    content = matrix_tsv(focus_areas=focus_areas, levels=levels, categories=3, evidence_types=4)
    return import_framework(
        content=content, filename=f"m{focus_areas}.tsv", name=f"Matrix {focus_areas}", publish=True
    ).framework


# Sign-in (session, user), refreshing the session on every request (3), the navigation's unread
# notification count (1), and the page's own.
PAGE_QUERIES = 11
LIST_QUERIES = 9


def test_page_uses_a_fixed_number_of_queries(reader, django_assert_max_num_queries):
    small, large = _framework_of_size(3, 4), _framework_of_size(60, 9)
    client = _client(reader)
    for framework in (small, large):
        with django_assert_max_num_queries(PAGE_QUERIES):
            response = client.get(reverse("matrix:framework_detail", args=[framework.pk]))
        assert response.status_code == 200
    assert response.content.decode().count('scope="row"') == 60


def test_list_uses_a_fixed_number_of_queries(reader, django_assert_max_num_queries):
    client = _client(reader)
    _framework_of_size(3, 4)
    with django_assert_max_num_queries(LIST_QUERIES):
        assert client.get(reverse("matrix:framework_list")).status_code == 200
    for size in (5, 6, 7, 8, 9, 10):
        _framework_of_size(size, 5)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(reverse("matrix:framework_list"))
    assert response.content.decode().count("Matrix ") >= 7


def test_draft_page_query_count_does_not_grow_with_the_viewers_contracts(
    draft, django_assert_max_num_queries
):
    provider = ProviderFactory()
    contributor = UserFactory(username="contributor")
    Membership.objects.create(
        user=contributor, organisation=provider, role=Role.PROVIDER_CONTRIBUTOR
    )
    client = _client(contributor)
    ContractFactory(framework=draft, provider=provider)
    url = reverse("matrix:framework_detail", args=[draft.pk])
    with django_assert_max_num_queries(PAGE_QUERIES):
        assert client.get(url).status_code == 200
    for _ in range(5):
        ContractFactory(provider=provider, framework=draft)
    with django_assert_max_num_queries(PAGE_QUERIES):
        assert client.get(url).status_code == 200
