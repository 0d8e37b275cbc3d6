"""The board pack opens as a PDF and a workbook with every section, and holds no formula."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from contracts.models import Target
from contracts.roles import Role
from monitoring.models import Flag
from tests.factories import build_framework, make_live_contract
from workflows.models import Assessment, BoardDecision, BoardMeeting

pytestmark = pytest.mark.django_db

SECTION_TITLES = [
    "Maturity matrix",
    "Changes since the last meeting",
    "Targets met",
    "Targets missed or overdue",
    "Targets at risk",
    "Sustained levels",
    "Assessments awaiting confirmation",
    "Open flags",
    "Decision ledger",
]


@pytest.fixture
def meeting(party_a):
    board = party_a.users[Role.BOARD_MEMBER]
    earlier = BoardMeeting.objects.create(contract=party_a.contract, held_on=dt.date(2025, 1, 10))
    party_a.track.move_to_level(2, cause="confirmed", by=board, description="Confirmed")
    party_a.track.save()
    Target.objects.filter(track=party_a.track).update(status=Target.Status.AT_RISK)
    Assessment.objects.create(
        track=party_a.contract.tracks.order_by("pk")[1],
        cycle=party_a.cycle,
        claimed_rank=1,
        from_rank=0,
        created_by=party_a.users[Role.PROVIDER_LEAD],
        state="agreed",
    )
    Flag.objects.create(
        kind=Flag.Kind.TARGET_AT_RISK,
        subject_key="x",
        contract=party_a.contract,
        track=party_a.track,
        detail="Level 3 due soon",
    )
    BoardDecision.objects.create(
        contract=party_a.contract,
        meeting=earlier,
        kind=BoardDecision.Kind.REWARD,
        clause='=HYPERLINK("http://evil.example","12.1")',
        rationale="Customer service exceeded its target",
        recorded_by=board,
    )
    return BoardMeeting.objects.create(contract=party_a.contract, held_on=dt.date(2026, 12, 1))


def _download(client, party, meeting, kind):
    client.force_login(party.users[Role.BOARD_MEMBER])
    response = client.get(
        reverse(f"reports:board_pack_{kind}", args=[party.contract.pk, meeting.pk])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return response.content


def test_the_pdf_pack_has_every_section_and_the_facts(client, party_a, meeting):
    text = "\n".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(_download(client, party_a, meeting, "pdf"))).pages
    )
    for title in SECTION_TITLES:
        assert title in text
    assert "Customer service exceeded its target" in text
    assert "Level 3 due soon" in text
    assert "since the board meeting of 10 January 2025" in text


def test_the_workbook_pack_has_a_sheet_per_section(client, party_a, meeting):
    workbook = load_workbook(io.BytesIO(_download(client, party_a, meeting, "xlsx")))
    assert workbook.sheetnames == ["Cover", *[t[:31] for t in SECTION_TITLES]]
    changes = list(workbook["Changes since the last meeting"].values)
    assert changes[1][1:] == (party_a.track.focus_area.name, "Level 0", "Level 2")
    at_risk = list(workbook["Targets at risk"].values)
    assert at_risk[1][0] == party_a.track.focus_area.name
    awaiting = list(workbook["Assessments awaiting confirmation"[:31]].values)
    assert len(awaiting) == 2


def test_a_formula_in_the_data_stays_text_in_the_workbook(client, party_a, meeting):
    workbook = load_workbook(io.BytesIO(_download(client, party_a, meeting, "xlsx")))
    clause = workbook["Decision ledger"]["D2"]
    assert clause.value.startswith("=HYPERLINK")
    assert clause.data_type == "s"


def test_another_partys_meeting_is_not_found(client, party_a, party_b, meeting):
    client.force_login(party_b.users[Role.BOARD_MEMBER])
    url = reverse("reports:board_pack_pdf", args=[party_b.contract.pk, meeting.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("focus_areas", [3, 15])
def test_the_pack_uses_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, focus_areas
):
    contract = make_live_contract(framework=build_framework(focus_areas=focus_areas))
    meeting = BoardMeeting.objects.create(contract=contract, held_on=dt.date(2026, 12, 1))
    user = contract.authorities.first().memberships.get().user
    client.force_login(user)
    with django_assert_max_num_queries(22):
        response = client.get(reverse("reports:board_pack_xlsx", args=[contract.pk, meeting.pk]))
    sheet = load_workbook(io.BytesIO(response.content))["Maturity matrix"]
    assert sheet.max_row == focus_areas + 1
