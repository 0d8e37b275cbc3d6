"""The main pages in a real browser: they work, show the heat map and charts, and pass axe."""

import pytest

from contracts.roles import Role
from tests.e2e.conftest import axe_violations, sign_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_client_officer_finds_the_contract_heat_map_and_a_track_chart(page, party_a):
    sign_in(page, party_a.users[Role.CLIENT_OFFICER].username, PASSWORD)
    page.get_by_role("link", name="Contracts", exact=True).click()
    page.get_by_role("link", name=party_a.contract.reference).click()
    heat_map = page.get_by_role("region", name="Maturity matrix")
    assert heat_map.get_by_text("On track").count() == 3
    heat_map.get_by_role("link", name=party_a.track.focus_area.name).click()
    chart = page.get_by_role("img", name=f"{party_a.track.focus_area.name}: level over time")
    assert chart.is_visible()


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/contracts/",
        "/contracts/{contract}/",
        "/contracts/tracks/{track}/",
        "/contracts/{contract}/cycles/",
        "/contracts/{contract}/history/",
    ],
)
def test_main_pages_have_no_serious_accessibility_violations(page, party_a, path):
    sign_in(page, party_a.users[Role.CLIENT_LEAD].username, PASSWORD)
    page.goto(path.format(contract=party_a.contract.pk, track=party_a.track.pk))
    assert page.locator("main").count() == 1
    assert axe_violations(page) == []
