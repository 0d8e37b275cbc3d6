"""The suite must run where it claims to: CI on the real PostgreSQL and Redis, never a fallback."""

import pytest
from django.db import connection

from tests.services import in_ci, reachable


@pytest.mark.django_db
def test_ci_runs_on_postgresql():
    if not in_ci():
        pytest.skip("only meaningful under CI=true")
    assert connection.vendor == "postgresql", "CI must use DATABASE_URL=postgres://…"


def test_ci_reaches_redis():
    if not in_ci():
        pytest.skip("only meaningful under CI=true")
    assert reachable("127.0.0.1", 6379), "CI must have the real Redis at 127.0.0.1:6379"
