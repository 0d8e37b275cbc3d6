"""The claim, review and board pages through the real views (Django test client)."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from contracts.models import Target
from contracts.roles import Role
from tests.factories import Party, TargetFactory
from tests.workflows.factories import draft, evidence_for, walk
from workflows import selectors
from workflows.models import Assessment, BoardDecision

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_full_journey_through_the_pages(party_a):
    users = party_a.users
    track = party_a.track
    target = TargetFactory(track=track, level_rank=1, due_date=dt.date.today() + dt.timedelta(30))
    items = evidence_for(track, cycle=party_a.cycle)

    provider = client_for(users[Role.PROVIDER_LEAD])
    page = provider.get(reverse("workflows:claim_new", args=[track.pk]))
    assert page.status_code == 200 and b"Evidence for the pack" in page.content
    response = provider.post(
        reverse("workflows:claim_new", args=[track.pk]),
        {
            "cycle": party_a.cycle.pk,
            "claimed_rank": 1,
            "summary": "Reports and survey attached.",
            "items": [i.pk for i in items],
        },
    )
    claim = Assessment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workflows:assessment_detail", args=[claim.pk])

    def post(client, name, **data):
        claim.refresh_from_db()
        data.setdefault("edit_version", claim.edit_version)
        return client.post(reverse(f"workflows:{name}", args=[claim.pk]), data)

    assert post(provider, "submit", attest="on").status_code == 302
    officer = client_for(users[Role.CLIENT_OFFICER])
    queue = officer.get(reverse("workflows:review_queue"))
    assert f"#{claim.pk}".encode() in queue.content and b"Area 1 at level 1." in queue.content
    assert post(officer, "start_review").status_code == 302
    assert post(officer, "agree", verdict_1="met", comment_1="Survey shows it.").status_code == 302

    board = client_for(users[Role.BOARD_MEMBER])
    assert post(board, "confirm", comment="Ratified.").status_code == 302
    claim.refresh_from_db()
    track.refresh_from_db()
    assert claim.state == "confirmed" and track.level_rank == 1

    response = board.post(
        reverse("workflows:meeting_new", args=[party_a.contract.pk]),
        {"held_on": dt.date.today().isoformat(), "attendees": [users[Role.BOARD_MEMBER].pk]},
    )
    meeting_url = response["Location"]
    meeting_pk = int(meeting_url.rstrip("/").split("/")[-1])
    response = board.post(
        reverse("workflows:decision_new", args=[meeting_pk]),
        {
            "kind": "reward",
            "clause": "Schedule 7 para 4.2",
            "rationale": "Level 1 reached ahead of the target date.",
            "assessments": [claim.pk],
            "targets": [target.pk],
        },
    )
    assert response.status_code == 302
    decision = BoardDecision.objects.get()
    assert decision.kind == "reward" and decision.clause == "Schedule 7 para 4.2"
    assert list(decision.assessments.all()) == [claim]
    assert selectors.target_reached(target, track)
    assert decision.facts_snapshot["targets"][0]["reached"] is True

    ledger = provider.get(reverse("workflows:decision_ledger", args=[party_a.contract.pk]))
    assert b"Schedule 7 para 4.2" in ledger.content
    detail = provider.get(reverse("workflows:assessment_detail", args=[claim.pk]))
    for step in (b"draft \xe2\x86\x92 submitted", b"agreed \xe2\x86\x92 confirmed"):
        assert step in detail.content


def test_the_assessment_page_offers_only_the_actions_the_person_may_take(party_a):
    claim = walk(party_a, "under_review")
    url = reverse("workflows:assessment_detail", args=[claim.pk])
    lead_page = client_for(party_a.users[Role.CLIENT_LEAD]).get(url).content.decode()
    officer_page = client_for(party_a.users[Role.CLIENT_OFFICER]).get(url).content.decode()
    provider_page = client_for(party_a.users[Role.PROVIDER_LEAD]).get(url).content.decode()
    assert 'id="action-reject"' in lead_page and 'id="action-agree"' in lead_page
    assert 'id="action-reject"' not in officer_page and 'id="action-agree"' in officer_page
    assert "What you can do" not in provider_page


def test_a_stale_draft_edit_page_answers_409_and_saves_nothing(party_a):
    claim = draft(party_a)
    url = reverse("workflows:assessment_edit", args=[claim.pk])
    lead = client_for(party_a.users[Role.PROVIDER_LEAD])
    colleague = client_for(party_a.users[Role.PROVIDER_CONTRIBUTOR])
    form = {"claimed_rank": 1, "edit_version": claim.edit_version, "summary": ""}
    assert colleague.post(url, {**form, "summary": "Colleague's text."}).status_code == 302
    response = lead.post(url, {**form, "summary": "My text."})
    assert response.status_code == 409
    assert b"changed by someone else" in response.content
    claim.refresh_from_db()
    assert claim.summary == "Colleague's text."


def test_a_transition_from_a_stale_page_answers_409(party_a):
    claim = walk(party_a, "under_review")
    stale_version = claim.edit_version
    client_for(party_a.users[Role.CLIENT_LEAD]).post(
        reverse("workflows:reject", args=[claim.pk]),
        {"edit_version": stale_version, "comment": "Not there."},
    )
    response = client_for(party_a.users[Role.CLIENT_OFFICER]).post(
        reverse("workflows:start_review", args=[claim.pk]), {"edit_version": stale_version}
    )
    assert response.status_code == 409
    claim.refresh_from_db()
    assert claim.state == "rejected"


def test_a_refused_submit_shows_what_is_missing_and_changes_nothing(party_a):
    claim = draft(party_a, with_evidence=False)
    response = client_for(party_a.users[Role.PROVIDER_LEAD]).post(
        reverse("workflows:submit", args=[claim.pk]),
        {"edit_version": claim.edit_version, "attest": "on"},
    )
    assert response.status_code == 200
    assert b"Upload current evidence for this review cycle for: Evidence 1; Evidence 2" in (
        response.content
    )
    claim.refresh_from_db()
    assert claim.state == "draft"


def test_return_for_evidence_without_a_comment_is_shown_as_a_form_error(party_a):
    claim = walk(party_a, "under_review")
    response = client_for(party_a.users[Role.CLIENT_OFFICER]).post(
        reverse("workflows:return_for_evidence", args=[claim.pk]),
        {"edit_version": claim.edit_version, "comment": ""},
    )
    assert response.status_code == 200 and b"govuk-error-summary" in response.content
    claim.refresh_from_db()
    assert claim.state == "under_review"


def test_a_provider_cannot_take_a_review_transition(party_a):
    claim = walk(party_a, "submitted")
    response = client_for(party_a.users[Role.PROVIDER_LEAD]).post(
        reverse("workflows:start_review", args=[claim.pk]), {"edit_version": claim.edit_version}
    )
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.state == "submitted"


def test_the_decision_form_refuses_another_contracts_target(party_a, party_b):
    from workflows.models import BoardMeeting

    meeting = BoardMeeting.objects.create(contract=party_a.contract, held_on=dt.date.today())
    response = client_for(party_a.users[Role.BOARD_MEMBER]).post(
        reverse("workflows:decision_new", args=[meeting.pk]),
        {
            "kind": "sanction",
            "clause": "9",
            "rationale": "x",
            "targets": [party_b.track.targets.first().pk],
        },
    )
    assert response.status_code == 200 and b"govuk-error-summary" in response.content
    assert not BoardDecision.objects.exists()


def test_history_exports_are_formula_safe_csv(party_a):
    from audit.models import AuditEvent
    from audit.services import record

    claim = walk(party_a, "under_review")
    record(actor=None, action=AuditEvent.Action.CHANGE, obj=claim, comment="=HYPERLINK(evil)")
    client = client_for(party_a.users[Role.AUDITOR])
    for url in (
        reverse("workflows:assessment_history_csv", args=[claim.pk]),
        reverse("contracts:contract_history_csv", args=[party_a.contract.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        body = b"".join(response.streaming_content).decode()
        assert "draft → submitted" not in body  # states are separate columns
        assert ",submitted,under_review," in body
        assert ",'=HYPERLINK(evil)" in body and ",=HYPERLINK" not in body


def _claims(party, n):
    for _ in range(n):
        claim = draft(party)
        from workflows import services

        services.withdraw(assessment=claim, actor=party.users[Role.PROVIDER_LEAD])


@pytest.mark.parametrize(
    ("route", "role"),
    [
        ("workflows:claim_list", Role.PROVIDER_LEAD),
        ("workflows:review_queue", Role.CLIENT_OFFICER),
    ],
)
def test_list_pages_use_a_fixed_number_of_queries(route, role, django_assert_max_num_queries):
    parties = [Party("Small")]
    walk(parties[0], "submitted")
    client = client_for(parties[0].users[role])
    url = reverse(route)
    with django_assert_max_num_queries(22):
        small = client.get(url)
    assert small.status_code == 200
    for label in ("More", "Most"):
        extra = Party(label)
        _claims(extra, 3)
        walk(extra, "under_review")
        # The first party's people see the others' claims only through the access rule.
        extra.contract.authorities.add(parties[0].authority)
        extra.contract.provider = parties[0].provider
        extra.contract.save(update_fields=["provider"])
        parties.append(extra)
    with django_assert_max_num_queries(22):
        large = client.get(url)
    assert large.status_code == 200
    for party in parties[1:]:
        assert party.contract.reference.encode() in large.content
        assert party.contract.reference.encode() not in small.content


def test_outsiders_never_see_claims_in_lists(party_a, party_b):
    walk(party_a, "submitted")
    walk(party_b, "submitted")
    for route, role in (
        ("workflows:claim_list", Role.PROVIDER_LEAD),
        ("workflows:review_queue", Role.CLIENT_OFFICER),
    ):
        page = client_for(party_b.users[role]).get(reverse(route)).content.decode()
        assert party_b.contract.reference in page
        assert party_a.contract.reference not in page
    assert not Target.objects.filter(status="waived").exists()
