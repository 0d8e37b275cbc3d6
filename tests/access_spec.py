"""The shape of the access-matrix expectations.

Every app declares, in `tests/<app>/routes.py`, a `ROUTES` dict keyed by URL name
("namespace:name") whose values are `RouteSpec`s. `tests/test_access_matrix.py` walks the URL
configuration and fails on any route without a spec, so a new route cannot ship without its access
expectations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from contracts.roles import Role

ALL_ROLES = frozenset(Role)
CLIENT = frozenset({Role.CLIENT_OFFICER, Role.CLIENT_LEAD})
PROVIDER = frozenset({Role.PROVIDER_CONTRIBUTOR, Role.PROVIDER_LEAD})
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RouteSpec:
    #: Builds the URL kwargs from the owning party (tests.factories.Party); may create objects.
    kwargs: Callable[[object], dict] = field(default=lambda party: {})
    #: Roles of the owning party whose GET answers 200 or a redirect (405 for POST-only routes);
    #: the party's other roles get 403/404/405, never 200. Outsiders always get 404.
    allowed: frozenset[str] = ALL_ROLES
    #: Not about any one contract (a list, a form to create one): there are no "outsiders", so
    #: only anonymous access and per-role answers are checked.
    global_route: bool = False
    #: Needs no sign-in at all (login page, health check).
    public: bool = False
    #: Answer for an anonymous GET: "login" (redirect to sign-in) or an HTTP status code.
    anonymous: str | int = "login"
    #: Methods the route accepts; every route still answers 404 to outsiders for GET and POST.
    methods: tuple[str, ...] = ("GET",)
    #: Django admin: every non-staff user (and anonymous) is sent to the admin sign-in.
    admin: bool = False
