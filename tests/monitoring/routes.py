"""Access expectations for the monitoring routes.

A person's notifications and preferences are their own (global routes: not about one contract;
someone else's notification answers 404, tested in test_views). The flags of a contract follow
the access rule: every role on the contract may see and export them, outsiders get 404.
"""

from tests.access_spec import ALL_ROLES, RouteSpec


def _notification(party) -> dict:
    from tests.monitoring.factories import NotificationFactory

    return {"pk": NotificationFactory(recipient=party.users["client_lead"]).pk}


ROUTES = {
    "monitoring:notifications": RouteSpec(global_route=True, allowed=ALL_ROLES),
    "monitoring:notification_read": RouteSpec(
        global_route=True, allowed=ALL_ROLES, methods=("POST",), kwargs=_notification
    ),
    "monitoring:notifications_read_all": RouteSpec(
        global_route=True, allowed=ALL_ROLES, methods=("POST",)
    ),
    "monitoring:preferences": RouteSpec(
        global_route=True, allowed=ALL_ROLES, methods=("GET", "POST")
    ),
    "monitoring:contract_flags": RouteSpec(
        allowed=ALL_ROLES, kwargs=lambda party: {"pk": party.contract.pk}
    ),
    "monitoring:contract_flags_csv": RouteSpec(
        allowed=ALL_ROLES, kwargs=lambda party: {"pk": party.contract.pk}
    ),
}
