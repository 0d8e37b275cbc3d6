"""Reaching the real PostgreSQL and Redis: in CI a missing service fails the test; elsewhere it
skips with the reason, so a laptop without them still runs the rest of the suite."""

import os
import socket

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_service(name: str, ok: bool, why: str) -> None:
    if ok:
        return
    if in_ci():
        pytest.fail(f"{name} is required in CI but is not available: {why}")
    pytest.skip(f"{name} not available on this machine: {why}")


def redis_url() -> str:
    return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> str:
    from urllib.parse import urlparse

    url = redis_url()
    parsed = urlparse(url)
    require_service(
        "Redis",
        reachable(parsed.hostname or "127.0.0.1", parsed.port or 6379),
        f"nothing listens at {url} (set REDIS_URL)",
    )
    return url


def require_postgres() -> None:
    from django.db import connection

    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "the suite runs on SQLite; set DATABASE_URL=postgres://… to run PostgreSQL tests",
    )
