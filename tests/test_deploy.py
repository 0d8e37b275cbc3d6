"""Production settings pass the deployment checklist; responses carry the security headers."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "SECRET_KEY": "test-only-" + "k" * 60,
    "SECURE": "true",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "contracts.example.org",
}


def test_check_deploy_is_clean_with_production_settings():
    env = {**os.environ, **PRODUCTION_ENV}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, **PRODUCTION_ENV, "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
@override_settings(
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
)
def test_responses_carry_the_security_headers():
    response = Client().get("/accounts/login/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response["X-Request-ID"]


def test_reverse_proxy_body_limit_matches_the_evidence_limit():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    match = re.search(r"client_max_body_size\s+(\d+)m;", conf)
    assert match, "nginx.conf must set client_max_body_size"
    proxy_limit = int(match.group(1)) * 1024 * 1024
    # Room for the multipart envelope, but no more than 1 MiB over the app's own limit.
    assert settings.EVIDENCE_MAX_BYTES <= proxy_limit <= settings.EVIDENCE_MAX_BYTES + 1024 * 1024
    assert (
        f"EVIDENCE_MAX_BYTES={settings.EVIDENCE_MAX_BYTES}"
        in (ROOT / "deploy" / "env.example").read_text()
    )


def test_no_secrets_in_the_example_environment():
    text = (ROOT / "deploy" / "env.example").read_text()
    for key in ("SECRET_KEY", "EVIDENCE_S3_SECRET_ACCESS_KEY"):
        assert re.search(rf"^{key}=$", text, re.M), f"{key} must be blank in env.example"


WEB_PROCESS = """
import io, sys
import django
django.setup()
from django.urls import reverse
from config.wsgi import application

environ = {
    "REQUEST_METHOD": "GET", "PATH_INFO": "/healthz",
    "SERVER_NAME": "contracts.example.org",
    "SERVER_PORT": "443", "HTTP_HOST": "contracts.example.org", "wsgi.url_scheme": "https",
    "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
}
statuses = []
b"".join(application(environ, lambda status, headers, *rest: statuses.append(status)))
reverse("evidence:upload", kwargs={"track_pk": 1})
print(statuses[0])
print(sorted(name for name in sys.modules if name.split(".")[0] in ("celery", "kombu")))
"""


def test_a_web_process_serves_pages_without_loading_celery(tmp_path):
    """Celery is loaded only by what publishes or runs a task, not by every web worker."""
    env = {
        **os.environ,
        **PRODUCTION_ENV,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # Its own empty database: the health check only asks the database to answer.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", WEB_PROCESS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    status, modules = result.stdout.strip().splitlines()[-2:]
    assert status == "200 OK"
    assert modules == "[]"


def test_celery_finds_the_configured_app_and_every_task_from_the_config_package():
    """`celery -A config` (the worker and beat commands) must still find the app."""
    from celery.app.utils import find_app

    from config.celery import app
    from evidence import tasks as evidence_tasks
    from monitoring import tasks as monitoring_tasks

    found = find_app("config")
    found.loader.import_default_modules()

    assert found is app
    assert evidence_tasks.verify_evidence.app is app
    assert monitoring_tasks.send_notifications.app is app
    assert {"evidence.verify_stored_evidence", "monitoring.send_notifications"} <= set(found.tasks)
