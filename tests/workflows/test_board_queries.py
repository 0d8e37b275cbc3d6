"""The board's agenda and meeting pages read a fixed number of queries, however much is on them."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from contracts.models import Target
from tests.factories import ReviewCycleFactory, UserFactory, build_framework, make_live_contract
from workflows.models import Assessment, BoardDecision, BoardMeeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def board_with(request):
    def build(focus_areas: int):
        contract = make_live_contract(framework=build_framework(focus_areas=focus_areas))
        board = UserFactory()
        contract.board_members.add(board)
        cycle = ReviewCycleFactory(contract=contract)
        Target.objects.filter(track__contract=contract).update(
            due_date=dt.date.today() + dt.timedelta(days=10), status=Target.Status.AT_RISK
        )
        meeting = BoardMeeting.objects.create(contract=contract, held_on=dt.date.today())
        for track in contract.tracks.all():
            Assessment.objects.create(
                track=track,
                cycle=cycle,
                claimed_rank=1,
                from_rank=0,
                created_by=board,
                state=Assessment.State.AGREED,
            )
            BoardDecision.objects.create(
                contract=contract,
                meeting=meeting,
                kind=BoardDecision.Kind.NO_ACTION,
                clause="4.1",
                rationale="Noted.",
                recorded_by=board,
            )
        client = Client()
        client.force_login(board)
        return contract, meeting, client

    return build


@pytest.mark.parametrize("focus_areas", [3, 20])
def test_the_agenda_uses_a_fixed_number_of_queries(
    board_with, django_assert_max_num_queries, focus_areas
):
    contract, _, client = board_with(focus_areas)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("workflows:board_agenda", args=[contract.pk]))
    agenda = response.context["agenda"]
    assert len(agenda["awaiting_confirmation"]) == len(agenda["targets_due"]) == focus_areas


@pytest.mark.parametrize("focus_areas", [3, 20])
def test_the_meeting_page_uses_a_fixed_number_of_queries(
    board_with, django_assert_max_num_queries, focus_areas
):
    _, meeting, client = board_with(focus_areas)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("workflows:meeting_detail", args=[meeting.pk]))
    assert len(response.context["decisions"]) == focus_areas
