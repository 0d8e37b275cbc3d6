"""Sign-in, sessions and password reset behave as a trusted service's should."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from contracts.roles import Role
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _sign_in(client: Client, user) -> None:
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content


def test_signing_in_gives_a_new_session_id():
    user = UserFactory()
    client = Client()
    client.get(reverse("login"))
    client.session.save()
    before = client.cookies.get(settings.SESSION_COOKIE_NAME)
    _sign_in(client, user)
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert before is None or before.value != after
    assert AuditEvent.objects.filter(action="login", actor=user).count() == 1


def test_the_old_session_cookie_is_dead_after_signing_out(party_a):
    client = Client()
    _sign_in(client, party_a.users[Role.CLIENT_LEAD])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("logout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = replay.get(reverse("contracts:portfolio"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_idle_session_expires(party_a):
    client = Client()
    _sign_in(client, party_a.users[Role.CLIENT_LEAD])
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    from django.utils import timezone

    Session.objects.filter(session_key=key).update(expire_date=timezone.now())
    response = client.get(reverse("contracts:portfolio"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_session_ends_after_its_absolute_lifetime_however_active(party_a):
    client = Client()
    _sign_in(client, party_a.users[Role.CLIENT_LEAD])
    assert client.get(reverse("contracts:portfolio")).status_code == 200
    session = client.session
    session["_session_started_at"] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    response = client.get(reverse("contracts:portfolio"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(reverse("contracts:portfolio")).status_code == 302


def test_changing_the_password_ends_the_other_sessions(party_a):
    user = party_a.users[Role.PROVIDER_LEAD]
    here, elsewhere = Client(), Client()
    _sign_in(here, user)
    _sign_in(elsewhere, user)
    response = here.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-passphrase-9",
            "new_password2": "a-brand-new-passphrase-9",
        },
    )
    assert response.status_code == 302
    assert here.get(reverse("contracts:portfolio")).status_code == 200
    other = elsewhere.get(reverse("contracts:portfolio"))
    assert other.status_code == 302 and "/accounts/login/" in other["Location"]


def test_a_post_without_the_csrf_token_is_refused(party_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(party_a.users[Role.CLIENT_LEAD])
    response = client.post(
        reverse("contracts:contract_terminate", args=[party_a.contract.pk]),
        {"reason": "forged"},
    )
    assert response.status_code == 403
    party_a.contract.refresh_from_db()
    assert party_a.contract.state == "live"


def test_repeated_failed_sign_ins_are_paused(settings):
    settings.AXES_ENABLED = True
    user = UserFactory()
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert AuditEvent.objects.filter(action="login_failed", actor_name=user.username).exists()


def test_password_reset_sends_a_working_link_only_to_known_addresses():
    user = UserFactory(email="known@example.org")
    client = Client()
    client.post(reverse("password_reset"), {"email": "unknown@example.org"})
    assert mail.outbox == []
    response = client.post(reverse("password_reset"), {"email": "known@example.org"})
    assert response.status_code == 302
    (message,) = mail.outbox
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"]
    client.post(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "another-long-passphrase-7",
            "new_password2": "another-long-passphrase-7",
        },
    )
    user.refresh_from_db()
    assert user.check_password("another-long-passphrase-7")


def test_production_cookies_are_secure_httponly_and_samesite():
    env = {
        **os.environ,
        "SECRET_KEY": "test-only-" + "k" * 60,
        "SECURE": "true",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "contracts.example.org",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["True", "True", "True", "Lax", "Lax"], result.stderr
