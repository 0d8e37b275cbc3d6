"""Fixtures for the monitoring tests: committed data, the real Redis broker, a real worker.

Tests that involve a Celery worker (a thread here, or a separate process) need data that is
committed, so they use `committed_db` (a transactional test database). Redis tests use database
4 of the server `REDIS_URL` points at (never 0, which CI uses), and only ever flush that one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from urllib.parse import urlparse, urlunparse

import pytest

from tests.services import require_redis

REDIS_TEST_DB = 4


def redis_test_url() -> str:
    """`REDIS_URL`'s server, database 4 (skips without Redis; fails under CI=true)."""
    parsed = urlparse(require_redis())
    return urlunparse(parsed._replace(path=f"/{REDIS_TEST_DB}"))


def use_broker(app, url: str, transport_options: dict | None = None) -> None:
    """Points the Celery app at another broker, dropping pooled connections to the old one."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url
    app.conf.broker_transport_options = transport_options or {}


def flush_test_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def queued_messages(url: str, queue: str = "celery") -> int:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.llen(queue))
    finally:
        client.close()


@pytest.fixture
def redis_broker() -> Iterator[str]:
    """The app publishes to Redis database 4 for this test (emptied before and after)."""
    from config.celery import app

    url = redis_test_url()
    saved = (app.conf.broker_url, dict(app.conf.broker_transport_options or {}))
    flush_test_redis(url)
    use_broker(app, url, {"visibility_timeout": 3600})
    try:
        yield url
    finally:
        use_broker(app, *saved)
        flush_test_redis(url)


@pytest.fixture
def celery_worker(committed_db, redis_broker):
    """A real Celery worker (in a thread of this process) consuming from Redis database 4."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with start_worker(
        app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=60
    ) as worker:
        yield worker


def wait_for(condition: Callable[[], object], *, timeout: float = 30, interval: float = 0.1):
    """Polls `condition` until it returns something truthy; fails the test on timeout."""
    from django.db import OperationalError

    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except OperationalError as exc:
            # SQLite's shared in-memory test database answers "table is locked" (instead of
            # waiting) while a worker thread writes; look again in a moment.
            if "locked" not in str(exc):
                raise
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout}s waiting for {condition}")
        time.sleep(interval)
