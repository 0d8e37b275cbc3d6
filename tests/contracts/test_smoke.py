import pytest

from contracts.access import visible_contracts


@pytest.mark.django_db
def test_party_sees_only_its_own_contract(party_a, party_b):
    for user in party_a.users.values():
        assert list(visible_contracts(user)) == [party_a.contract]


@pytest.mark.django_db
def test_go_live_creates_a_track_and_default_target_per_focus_area(party_a):
    tracks = party_a.contract.tracks.all()
    assert tracks.count() == party_a.contract.framework.focus_areas.count()
    for track in tracks:
        assert track.targets.get().level_rank == party_a.contract.default_target_rank
