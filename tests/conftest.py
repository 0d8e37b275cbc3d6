import os

import pytest

from tests import append_only
from tests.factories import Party
from tests.services import require_service  # noqa: F401  (re-exported for tests)

append_only.install()


@pytest.fixture
def committed_db(transactional_db):
    """Real commits, visible to other threads' and processes' connections (workers, racing
    reviewers). The database is emptied after the test; see tests/append_only.py."""


@pytest.fixture
def party_a(db):
    return Party("Alpha")


@pytest.fixture
def party_b(db):
    return Party("Bravo")


@pytest.fixture
def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing passwords properly takes ~0.3 s a user; tests create hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _evidence_root(settings, tmp_path):
    """Each test stores evidence under its own temporary folder, never the developer's data."""
    from django.core.files.storage import storages

    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    if settings.STORAGES["evidence"]["BACKEND"].endswith("FileSystemStorage"):
        storages_conf = dict(settings.STORAGES)
        storages_conf["evidence"] = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "evidence"), "base_url": None},
        }
        settings.STORAGES = storages_conf
        storages._storages.pop("evidence", None)
    yield
    storages._storages.pop("evidence", None)
