"""Access expectations for dashboards and exports."""

from tests.access_spec import RouteSpec


def _contract(party) -> dict:
    return {"pk": party.contract.pk}


def _meeting(party) -> dict:
    import datetime as dt

    from workflows.models import BoardMeeting

    meeting = BoardMeeting.objects.create(contract=party.contract, held_on=dt.date(2026, 3, 1))
    return {"pk": party.contract.pk, "meeting_pk": meeting.pk}


ROUTES = {
    "reports:board_pack_pdf": RouteSpec(kwargs=_meeting),
    "reports:board_pack_xlsx": RouteSpec(kwargs=_meeting),
    "reports:dashboard": RouteSpec(global_route=True),
    "reports:dashboard_csv": RouteSpec(global_route=True),
    "reports:matrix_csv": RouteSpec(kwargs=_contract),
}
