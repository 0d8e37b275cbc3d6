"""The demonstration data: what a newcomer sees after the run command, loaded the real way."""

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from openpyxl import load_workbook
from pypdf import PdfReader

from contracts.access import visible_contracts
from contracts.demo import DEMO_PASSWORD, HIGHWAYS, LIGHTING, WINTER, load_demo
from contracts.models import Contract, Organisation, Target
from contracts.roles import Role
from reports.boardpack import build_board_pack, render_pdf, render_xlsx
from tests.reports.test_board_pack import SECTION_TITLES

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return load_demo()


def _counts() -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in apps.get_models()}


def test_demo_has_two_authorities_two_providers_and_three_contracts(demo):
    assert Organisation.objects.filter(kind="authority").count() == 2
    assert Organisation.objects.filter(kind="provider").count() == 2
    states = dict(Contract.objects.values_list("reference", "state"))
    assert states == {HIGHWAYS: "live", LIGHTING: "live", WINTER: "mobilising"}


def test_both_live_contracts_have_tracks_above_level_zero_reached_through_claims(demo):
    for reference in (HIGHWAYS, LIGHTING):
        contract = Contract.objects.get(reference=reference)
        raised = contract.tracks.filter(level_rank__gt=0)
        assert raised.exists()
        for track in raised:
            assert track.assessments.filter(state="confirmed").exists()


def test_demo_targets_are_a_mix_of_met_at_risk_overdue_and_on_track(demo):
    statuses = set(Target.objects.values_list("status", flat=True))
    assert {"met", "at_risk", "overdue", "on_track"} <= statuses


def test_there_is_a_person_for_every_role_with_the_printed_password(demo):
    from django.contrib.auth import get_user_model

    roles = {role for _, role, _ in demo.people}
    assert {Role(r).label for r in Role} <= roles
    for username, _, _ in demo.people:
        assert get_user_model().objects.get(username=username).check_password(DEMO_PASSWORD)


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("northshire.officer", {HIGHWAYS, WINTER}),
        ("southvale.lead", {HIGHWAYS, LIGHTING}),
        ("apex.contributor", {HIGHWAYS, WINTER}),
        ("meridian.lead", {LIGHTING}),
        ("board.member", {HIGHWAYS, LIGHTING}),
        ("auditor", {LIGHTING}),
    ],
)
def test_each_demo_person_sees_only_their_contracts(demo, username, expected):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    assert set(visible_contracts(user).values_list("reference", flat=True)) == expected


def test_loading_twice_changes_nothing(demo, capsys):
    before = _counts()
    call_command("seed_demo")
    assert _counts() == before
    assert "already there; nothing changed" in capsys.readouterr().out


def test_the_demo_board_pack_has_every_section(demo):
    contract = Contract.objects.get(reference=HIGHWAYS)
    meeting = contract.board_meetings.order_by("held_on").last()
    pack = build_board_pack(contract, meeting)
    pages = PdfReader(io.BytesIO(render_pdf(pack))).pages
    text = " ".join(" ".join(p.extract_text() for p in pages).split())
    for title in SECTION_TITLES:
        assert title in text
    assert "Schedule 7, paragraph 4.2" in text
    workbook = load_workbook(io.BytesIO(render_xlsx(pack)))
    assert workbook.sheetnames[1:] == [t[:31] for t in SECTION_TITLES]
    assert workbook["Targets met"].max_row >= 3
    assert workbook["Assessments awaiting confirmation"[:31]].max_row == 2
