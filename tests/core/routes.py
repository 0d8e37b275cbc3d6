"""Access expectations for the site-wide routes: sign-in, health, home, the API's own pages."""

from tests.access_spec import ALL_ROLES, RouteSpec

ROUTES = {
    "home": RouteSpec(global_route=True),
    "healthz": RouteSpec(public=True, global_route=True),
    "login": RouteSpec(public=True, global_route=True),
    "logout": RouteSpec(global_route=True, methods=("POST",)),
    "password_change": RouteSpec(global_route=True),
    "password_change_done": RouteSpec(global_route=True),
    "password_reset": RouteSpec(public=True, global_route=True),
    "password_reset_done": RouteSpec(public=True, global_route=True),
    "password_reset_confirm": RouteSpec(
        public=True, global_route=True, kwargs=lambda party: {"uidb64": "MQ", "token": "x-y"}
    ),
    "password_reset_complete": RouteSpec(public=True, global_route=True),
    "api:schema": RouteSpec(global_route=True, allowed=ALL_ROLES, anonymous=403),
    "api:api-root": RouteSpec(global_route=True, allowed=ALL_ROLES, anonymous=403),
}
