"""Every table in the app downloads as CSV (`?format=csv` on its page): the same rows as the
page, through the same access rule, with formula-like cells escaped."""

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse

from audit.services import record
from contracts import services
from contracts.roles import Role
from tests.factories import EvidenceItemFactory
from workflows.models import Assessment, BoardDecision

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def rows(party_a):
    lead = party_a.users[Role.CLIENT_LEAD]
    plan = services.create_plan(
        contract=party_a.contract, actor=lead, year_starting=dt.date(2025, 4, 1), title="Plan"
    )
    services.add_commitment(plan=plan, actor=lead, text=EVIL, tracks=[party_a.track])
    services.revise_target(
        target=party_a.track.targets.get(),
        actor=lead,
        level_rank=3,
        due_date=dt.date(2027, 6, 30),
        reason=EVIL,
    )
    EvidenceItemFactory(track=party_a.track, original_filename=f"{EVIL}.pdf")
    Assessment.objects.create(
        track=party_a.track,
        cycle=party_a.cycle,
        claimed_rank=1,
        from_rank=0,
        created_by=party_a.users[Role.PROVIDER_LEAD],
        state="submitted",
    )
    BoardDecision.objects.create(
        contract=party_a.contract,
        kind="reward",
        clause=EVIL,
        rationale="x",
        recorded_by=party_a.users[Role.BOARD_MEMBER],
    )
    record(actor=None, action="change", obj=party_a.contract, comment=EVIL)
    return plan


def _tables(party, plan):
    """(URL name, kwargs, a role that may see it, whether it belongs to one contract)."""
    contract, track = party.contract.pk, party.track.pk
    return [
        ("contracts:portfolio", {}, Role.CLIENT_OFFICER, False),
        ("contracts:cycle_list", {"pk": contract}, Role.AUDITOR, True),
        ("contracts:plan_detail", {"pk": contract, "plan_pk": plan.pk}, Role.CLIENT_LEAD, True),
        ("contracts:track_detail", {"pk": track}, Role.PROVIDER_LEAD, True),
        ("matrix:framework_list", {}, Role.BOARD_MEMBER, False),
        ("evidence:track", {"track_pk": track}, Role.PROVIDER_CONTRIBUTOR, True),
        ("workflows:claim_list", {}, Role.PROVIDER_LEAD, False),
        ("workflows:review_queue", {}, Role.CLIENT_OFFICER, False),
        ("workflows:decision_ledger", {"contract_pk": contract}, Role.AUDITOR, True),
        ("monitoring:notifications", {}, Role.CLIENT_OFFICER, False),
    ]


def _csv(client, url) -> list[list[str]]:
    response = client.get(url, {"format": "csv"})
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_every_table_downloads_as_csv_with_formulas_escaped(party_a, rows):
    for name, kwargs, role, _ in _tables(party_a, rows):
        client = Client()
        client.force_login(party_a.users[role])
        table = _csv(client, reverse(name, kwargs=kwargs))
        assert len(table) >= 1 and all(table[0]), name
        cells = [cell for row in table for cell in row]
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells), name


def test_each_table_with_data_carries_its_rows(party_a, rows):
    expected_in = {
        "contracts:plan_detail": EVIL,
        "contracts:track_detail": EVIL,
        "evidence:track": f"{EVIL}.pdf",
        "workflows:decision_ledger": EVIL,
        "workflows:review_queue": party_a.track.focus_area.name,
        "workflows:claim_list": party_a.track.focus_area.name,
        "contracts:portfolio": party_a.contract.reference,
    }
    for name, kwargs, role, _ in _tables(party_a, rows):
        if name not in expected_in:
            continue
        client = Client()
        client.force_login(party_a.users[role])
        cells = [c for row in _csv(client, reverse(name, kwargs=kwargs))[1:] for c in row]
        assert "'" + expected_in[name] in cells or expected_in[name] in cells, name


def test_another_partys_tables_are_not_found_as_csv_either(party_a, party_b, rows):
    outsider = Client()
    outsider.force_login(party_b.users[Role.CLIENT_LEAD])
    for name, kwargs, _, scoped in _tables(party_a, rows):
        url = reverse(name, kwargs=kwargs)
        if scoped:
            assert outsider.get(url, {"format": "csv"}).status_code == 404, name
        else:
            cells = [c for row in _csv(outsider, url) for c in row]
            assert party_a.contract.reference not in cells, name


def _grow(party, n: int) -> None:
    """n more rows in every table the exports below read."""
    from tests.factories import ProviderFactory, make_live_contract

    for i in range(n):
        contract = make_live_contract(authorities=[party.authority], provider=ProviderFactory())
        EvidenceItemFactory(track=party.track)
        Assessment.objects.create(
            track=contract.tracks.first(),
            cycle=party.cycle,
            claimed_rank=1,
            from_rank=0,
            created_by=party.users[Role.PROVIDER_LEAD],
            state="draft",
        )
        BoardDecision.objects.create(
            contract=party.contract,
            kind="no_action",
            clause=f"{i}",
            rationale="x",
            recorded_by=party.users[Role.BOARD_MEMBER],
        )


@pytest.mark.parametrize("extra", [1, 25])
@pytest.mark.parametrize(
    ("name", "role", "kwargs"),
    [
        ("contracts:portfolio", Role.CLIENT_LEAD, lambda p: {}),
        ("evidence:track", Role.PROVIDER_LEAD, lambda p: {"track_pk": p.track.pk}),
        ("workflows:claim_list", Role.CLIENT_LEAD, lambda p: {}),
        ("workflows:decision_ledger", Role.BOARD_MEMBER, lambda p: {"contract_pk": p.contract.pk}),
    ],
)
def test_table_exports_use_a_fixed_number_of_queries(
    party_a, django_assert_max_num_queries, extra, name, role, kwargs
):
    _grow(party_a, extra)
    client = Client()
    client.force_login(party_a.users[role])
    with django_assert_max_num_queries(14):
        table = _csv(client, reverse(name, kwargs=kwargs(party_a)))
    assert len(table) > extra
