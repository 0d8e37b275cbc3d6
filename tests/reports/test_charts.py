"""Charts are server-side SVG with a text equivalent; the heat map shows trends since last cycle."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.models import ReviewCycle
from contracts.roles import Role

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def _confirm_level(track, rank, user):
    track.move_to_level(rank, cause="confirmed assessment", by=user, description="Confirmed")
    track.save()


@pytest.fixture
def closed_cycle(party_a):
    today = timezone.localdate()
    return ReviewCycle.objects.create(
        contract=party_a.contract,
        name="Last quarter",
        opens_on=today - dt.timedelta(days=200),
        evidence_deadline=today - dt.timedelta(days=170),
        closes_on=today - dt.timedelta(days=150),
    )


def _svgs(html: str) -> list[ET.Element]:
    chunks = html.split("<svg")[1:]
    return [ET.fromstring("<svg" + chunk.split("</svg>")[0] + "</svg>") for chunk in chunks]


def test_track_page_draws_the_level_as_a_step_line_against_the_target(client, party_a):
    _confirm_level(party_a.track, 2, party_a.users[Role.BOARD_MEMBER])
    client.force_login(party_a.users[Role.PROVIDER_LEAD])
    html = client.get(reverse("contracts:track_detail", args=[party_a.track.pk])).content.decode()
    (svg,) = _svgs(html)
    assert svg.get("role") == "img"
    assert "now Level 2" in svg.find(f"{SVG}desc").text
    assert "Target: Level 3 by Mar 2027." in svg.find(f"{SVG}desc").text
    step = svg.find(f"{SVG}path[@class='app-chart__level']").get("d")
    assert step.startswith("M") and step.count("L") >= 3
    assert svg.find(f"{SVG}line[@class='app-chart__target']") is not None


def test_contract_page_charts_levels_per_cycle_with_a_table_of_the_figures(
    client, party_a, closed_cycle
):
    _confirm_level(party_a.track, 1, party_a.users[Role.BOARD_MEMBER])
    client.force_login(party_a.users[Role.CLIENT_OFFICER])
    response = client.get(reverse("contracts:contract_detail", args=[party_a.contract.pk]))
    distribution = response.context["distribution"]
    assert distribution.rows == [("Last quarter", {0: 3}), ("Alpha Q1", {0: 2, 1: 1})]
    (svg,) = _svgs(response.content.decode())
    assert "Alpha Q1: 2 at Level 0, 1 at Level 1" in svg.find(f"{SVG}desc").text


def test_heat_map_shows_the_trend_since_the_last_closed_cycle_in_words(
    client, party_a, closed_cycle
):
    _confirm_level(party_a.track, 2, party_a.users[Role.BOARD_MEMBER])
    client.force_login(party_a.users[Role.CLIENT_OFFICER])
    response = client.get(reverse("contracts:contract_detail", args=[party_a.contract.pk]))
    rows = [row for c in response.context["grid"].categories for row in c.rows]
    assert [row.trend for row in rows] == ["up", "same", "same"]
    assert "Up from level 0" in response.content.decode()
    assert "Since Last quarter" in response.content.decode()


def test_heat_map_gives_every_row_a_text_status_beside_its_colour(client, party_a):
    client.force_login(party_a.users[Role.CLIENT_OFFICER])
    html = client.get(reverse("contracts:contract_detail", args=[party_a.contract.pk]))
    body = html.content.decode()
    assert body.count("app-heat--green") == 3
    assert body.count('class="app-rag app-rag--green">On track<') == 3
