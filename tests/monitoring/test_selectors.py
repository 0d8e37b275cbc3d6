"""The pieces other pages reuse: RAG status with its label, flag queries, the template tags."""

import pytest
from django.template import Context, Template
from django.utils import timezone

from contracts.models import Target
from monitoring import selectors
from monitoring.models import Flag
from tests.monitoring.factories import FlagFactory, make_target

S = Target.Status


@pytest.mark.parametrize(
    ("status", "colour", "label"),
    [
        (S.MET, "green", "Met"),
        (S.MET_SUSTAINED, "green", "Met and sustained"),
        (S.ON_TRACK, "green", "On track"),
        (S.AT_RISK, "amber", "At risk"),
        (S.OVERDUE, "red", "Overdue"),
        (S.MISSED, "red", "Missed"),
        (S.WAIVED, "grey", "Waived"),
    ],
)
def test_every_status_has_a_rag_colour_and_a_text_label(status, colour, label):
    rag = selectors.rag_for_status(status)
    assert (rag.colour, rag.label) == (colour, label)
    assert rag.css_class == f"app-rag app-rag--{colour}"


def test_the_rag_tag_renders_the_label_with_the_colour(party_a):
    target = make_target(party_a.track, due=timezone.localdate(), status=S.OVERDUE)
    html = Template("{% load monitoring_tags %}{% rag_tag target %} {% rag_tag 'at_risk' %}")
    rendered = html.render(Context({"target": target}))
    assert '<strong class="app-rag app-rag--red">Overdue</strong>' in rendered
    assert '<strong class="app-rag app-rag--amber">At risk</strong>' in rendered


def test_rag_for_targets_needs_no_queries(party_a, django_assert_num_queries):
    targets = list(party_a.contract.tracks.first().targets.all())
    with django_assert_num_queries(0):
        rags = selectors.rag_for_targets(targets)
    assert set(rags) == {t.pk for t in targets}


def test_target_rag_counts_per_contract_in_one_query(party_a, party_b, django_assert_num_queries):
    make_target(party_a.track, due=timezone.localdate(), status=S.MISSED)
    with django_assert_num_queries(1):
        counts = selectors.target_rag_counts([party_a.contract, party_b.contract])
    tracks = party_a.contract.tracks.count()
    assert counts[party_a.contract.pk] == {"red": 1, "amber": 0, "green": tracks, "grey": 0}
    assert counts[party_b.contract.pk]["green"] == party_b.contract.tracks.count()


def test_open_flags_for_a_contract_leave_out_resolved_and_other_contracts(party_a, party_b):
    mine = FlagFactory(contract=party_a.contract)
    FlagFactory(contract=party_a.contract, resolved_at=timezone.now())
    FlagFactory(contract=party_b.contract)
    assert list(selectors.open_flags_for(party_a.contract)) == [mine]


def test_open_flag_counts_per_contract_in_one_query(party_a, party_b, django_assert_num_queries):
    FlagFactory(contract=party_a.contract)
    FlagFactory(contract=party_a.contract)
    FlagFactory(contract=party_a.contract, resolved_at=timezone.now())
    with django_assert_num_queries(1):
        counts = selectors.open_flag_counts([party_a.contract, party_b.contract])
    assert counts == {party_a.contract.pk: 2}


def test_open_flags_by_track_in_one_query(party_a, django_assert_num_queries):
    flag = FlagFactory(contract=party_a.contract, track=party_a.track)
    FlagFactory(contract=party_a.contract)  # not about a track
    with django_assert_num_queries(1):
        grouped = selectors.open_flags_by_track(party_a.contract)
    assert grouped == {party_a.track.pk: [flag]}


def test_the_flag_list_partial_renders_each_flag_with_its_label(party_a):
    FlagFactory(
        contract=party_a.contract,
        track=party_a.track,
        kind=Flag.Kind.EVIDENCE_STALE,
        detail="Evidence for level 2 is old.",
    )
    html = Template("{% load monitoring_tags %}{% flag_list flags caption='Open flags' %}")
    rendered = html.render(Context({"flags": selectors.open_flags_for(party_a.contract)}))
    assert '<caption class="govuk-table__caption govuk-table__caption--m">Open flags' in rendered
    assert '<th scope="col" class="govuk-table__header">Flag</th>' in rendered
    assert '<strong class="app-rag app-rag--amber">Evidence stale</strong>' in rendered
    assert "Evidence for level 2 is old." in rendered and "Focus area 1" in rendered


def test_the_flag_list_partial_says_when_there_is_nothing(db):
    html = Template("{% load monitoring_tags %}{% flag_list flags empty='All clear.' %}")
    assert "All clear." in html.render(Context({"flags": []}))
