"""The access matrix: every route the project defines, by every role, of both parties.

Routes are discovered from the URL configuration, so a new route is covered without editing this
file; a route with no expectation in some `tests/<app>/routes.py` makes the test fail.
Owners' allowed roles get 200/302, owners' other roles never 200, outsiders 404 for every method
(with the database unchanged), anonymous visitors the sign-in page.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests
from contracts.roles import Role
from tests.access_spec import RouteSpec
from tests.factories import Party

SAFE_STATUSES = (200, 302)
OWNER_REFUSALS = (403, 404, 405)
#: Tables that legitimately change on a refused request (the audit trail records denials).
UNCHANGED_EXEMPT = {"audit.auditevent", "sessions.session", "axes.accessattempt", "axes.accesslog"}


def _walk(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            full = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
            yield from _walk(pattern.url_patterns, full)
        elif isinstance(pattern, URLPattern):
            if pattern.name is None:
                name = f"{namespace or ''}:(unnamed {pattern.pattern})"
            else:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, pattern


def project_routes() -> dict[str, URLPattern]:
    """Every route of the URL configuration by its name (admin ones under 'admin:…')."""
    routes: dict[str, URLPattern] = {}
    for name, pattern in _walk(get_resolver().url_patterns):
        routes.setdefault(name, pattern)
    return routes


def declared_specs() -> dict[str, RouteSpec]:
    specs: dict[str, RouteSpec] = {}
    for module in pkgutil.iter_modules(tests.__path__):
        if not module.ispkg:
            continue
        try:
            routes = importlib.import_module(f"tests.{module.name}.routes")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.{module.name}.routes":
                raise
            continue
        for name, spec in routes.ROUTES.items():
            assert name not in specs, f"{name} is declared twice"
            specs[name] = spec
    return specs


ROUTES = project_routes()
SPECS = declared_specs()
ADMIN_ROUTES = sorted(n for n in ROUTES if n.startswith("admin:"))
APP_ROUTES = sorted(n for n in ROUTES if n not in ADMIN_ROUTES)


def test_every_route_has_an_access_expectation():
    missing = [name for name in APP_ROUTES if name not in SPECS]
    assert not missing, f"Routes without an access expectation in tests/<app>/routes.py: {missing}"


def test_no_expectation_is_left_for_a_route_that_is_gone():
    stale = [name for name in SPECS if name not in ROUTES]
    assert not stale, f"Expectations for routes that no longer exist: {stale}"


def _snapshot() -> dict[str, int]:
    return {
        model._meta.label_lower: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.label_lower not in UNCHANGED_EXEMPT and not model._meta.proxy
    }


def _client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.fixture(scope="module")
def parties(django_db_setup, django_db_blocker):
    """Both parties, built once for every route: each test runs in a savepoint inside this
    module's transaction, so what a test creates or changes is rolled back after it."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield Party("Alpha"), Party("Bravo")
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", APP_ROUTES)
def test_route_answers_each_party_and_role_as_expected(name, parties):
    party_a, party_b = parties
    spec = SPECS.get(name)
    if spec is None:
        pytest.fail(f"{name} has no access expectation")
    url = reverse(name, kwargs=spec.kwargs(party_a))

    anonymous = Client(raise_request_exception=False).get(url)
    if spec.public:
        assert anonymous.status_code in SAFE_STATUSES, f"{name}: public route answered {anonymous}"
    elif spec.anonymous == "login":
        assert _is_login_redirect(anonymous), f"{name}: anonymous GET got {anonymous.status_code}"
    else:
        assert anonymous.status_code == spec.anonymous, f"{name}: anonymous got {anonymous}"

    for role, user in party_a.users.items():
        response = _client_for(user).get(url)
        if role in spec.allowed:
            expected = SAFE_STATUSES if "GET" in spec.methods else (405,)
            assert response.status_code in expected, (
                f"{name}: {role} of the owning party got {response.status_code}"
            )
            assert not _is_login_redirect(response), f"{name}: {role} sent to sign in"
        else:
            assert response.status_code in OWNER_REFUSALS, (
                f"{name}: {role} of the owning party should be refused, got {response.status_code}"
            )

    if spec.global_route or spec.public:
        return
    before = _snapshot()
    for role, user in party_b.users.items():
        client = _client_for(user)
        for method in sorted({"GET", "POST", *spec.methods}):
            response = getattr(client, method.lower())(url)
            assert response.status_code == 404, (
                f"{name}: {method} by {role} of another party got {response.status_code}"
            )
    assert _snapshot() == before, f"{name}: an outsider's request changed the database"


ADMIN_SAMPLE_KWARGS = {
    "object_id": "1",
    "id": "1",
    "content_type_id": "1",
    "app_label": "auth",
    "url": "x/",
}


def _admin_url(pattern: URLPattern) -> str:
    regex = pattern.pattern.regex.pattern
    names = list(pattern.pattern.regex.groupindex)
    path = "/admin/" + re.sub(r"\^|\$|\\", "", regex)
    for group in names:
        path = re.sub(rf"\(\?P<{group}>[^)]*\)", ADMIN_SAMPLE_KWARGS[group], path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ADMIN_SAMPLE_KWARGS[m.group(1)], path)
    return path


@pytest.mark.django_db
def test_admin_is_only_for_staff(parties):
    party_a, _ = parties
    """Every admin route sends anonymous visitors and non-staff users to the admin sign-in."""
    assert ADMIN_ROUTES
    for name in ADMIN_ROUTES:
        pattern = ROUTES[name]
        if name in ("admin:login", "admin:logout", "admin:jsi18n"):
            continue
        url = _admin_url(pattern)
        for client in (
            Client(raise_request_exception=False),
            _client_for(party_a.users[Role.CLIENT_LEAD]),
            _client_for(party_a.users[Role.PROVIDER_LEAD]),
        ):
            response = client.get(url)
            assert response.status_code == 302 and "/admin/login/" in response["Location"], (
                f"{name} ({url}) answered {response.status_code}"
            )


BAD_QUERY = {
    "page": "x",
    "format": "csv",
    "state": "no-such-state",
    "sort": "no-such-column",
    "show": "no-such-view",
    "authority": "99999999999999999999",
    "provider": "-1",
    "q": "\x00search",
}
BAD_FORM = {
    "level_rank": "abc",
    "claimed_rank": "999999",
    "due_date": "2025-13-45",
    "held_on": "99999-01-01",
    "opens_on": "tomorrow",
    "reason": "\x00",
    "comment": "x" * 100_000,
    "reference": "x" * 500,
    "kind": "no-such-kind",
    "cycle": "999999999999999999999",
    "evidence_type": "none",
    "authorities": ["abc"],
    "items": ["abc"],
    "expected_version": "abc",
    "attest": "on",
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", APP_ROUTES)
def test_route_answers_malformed_input_without_a_server_error(name, parties):
    """Every route, asked by a role allowed on it, answers nonsense in the query string and in a
    posted form with a page or a refusal – never a server error."""
    party_a, _ = parties
    spec = SPECS[name]
    if not spec.allowed:
        pytest.skip(f"{name} has no role allowed on it")
    url = reverse(name, kwargs=spec.kwargs(party_a))
    role = sorted(spec.allowed)[0]
    client = _client_for(party_a.users[role])
    answers = [client.get(url, BAD_QUERY).status_code, client.post(url, BAD_FORM).status_code]
    assert all(status < 500 for status in answers), f"{name} as {role}: {answers}"
