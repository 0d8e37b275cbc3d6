"""Access expectations for the contract pages."""

from contracts.roles import Role
from tests.access_spec import ALL_ROLES, RouteSpec

CLIENT_LEAD = frozenset({Role.CLIENT_LEAD})


def _contract(party) -> dict:
    return {"pk": party.contract.pk}


def _track(party) -> dict:
    return {"pk": party.track.pk}


def _target(party) -> dict:
    return {"pk": party.track.targets.first().pk}


def _cycle(party) -> dict:
    return {"pk": party.contract.pk, "cycle_pk": party.cycle.pk}


def _plan(party) -> dict:
    from contracts.models import AnnualPlan

    plan, _ = AnnualPlan.objects.get_or_create(
        contract=party.contract, year_starting="2025-04-01", defaults={"title": "Plan 2025/26"}
    )
    return {"pk": party.contract.pk, "plan_pk": plan.pk}


ROUTES = {
    "contracts:portfolio": RouteSpec(global_route=True),
    "contracts:contract_create": RouteSpec(global_route=True, allowed=CLIENT_LEAD),
    "contracts:contract_detail": RouteSpec(kwargs=_contract),
    "contracts:contract_edit": RouteSpec(kwargs=_contract, allowed=CLIENT_LEAD),
    "contracts:contract_go_live": RouteSpec(kwargs=_contract, allowed=CLIENT_LEAD),
    "contracts:contract_terminate": RouteSpec(kwargs=_contract, allowed=CLIENT_LEAD),
    "contracts:contract_expire": RouteSpec(
        kwargs=_contract, allowed=CLIENT_LEAD, methods=("POST",)
    ),
    "contracts:contract_tailor": RouteSpec(
        kwargs=_contract, allowed=CLIENT_LEAD, methods=("POST",)
    ),
    "contracts:contract_history": RouteSpec(kwargs=_contract),
    "contracts:contract_history_csv": RouteSpec(kwargs=_contract),
    "contracts:cycle_list": RouteSpec(kwargs=_contract),
    "contracts:cycle_create": RouteSpec(kwargs=_contract, allowed=CLIENT_LEAD),
    "contracts:cycle_edit": RouteSpec(kwargs=_cycle, allowed=CLIENT_LEAD),
    "contracts:plan_list": RouteSpec(kwargs=_contract, allowed=ALL_ROLES),
    "contracts:plan_detail": RouteSpec(kwargs=_plan, allowed=ALL_ROLES),
    "contracts:track_detail": RouteSpec(kwargs=_track),
    "contracts:target_create": RouteSpec(kwargs=_track, allowed=CLIENT_LEAD),
    "contracts:target_revise": RouteSpec(kwargs=_target, allowed=CLIENT_LEAD),
}
