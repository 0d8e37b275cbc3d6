"""Access expectations for dashboards and exports."""

from tests.access_spec import RouteSpec


def _contract(party) -> dict:
    return {"pk": party.contract.pk}


ROUTES = {
    "reports:dashboard": RouteSpec(global_route=True),
    "reports:dashboard_csv": RouteSpec(global_route=True),
    "reports:matrix_csv": RouteSpec(kwargs=_contract),
}
