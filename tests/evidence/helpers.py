"""Posting uploads the way a browser does, and checking that a refusal left nothing behind."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from contracts.roles import Role
from evidence.models import EvidenceItem
from tests.evidence import files


def provider_client(party, role: str = Role.PROVIDER_CONTRIBUTOR) -> Client:
    client = Client()
    client.force_login(party.users[role])
    return client


def form_fields(party, **overrides) -> dict[str, str]:
    today = dt.date.today()
    fields = {
        "evidence_type": str(party.track.focus_area.evidence_types.order_by("order").first().pk),
        "period_start": (today - dt.timedelta(days=90)).isoformat(),
        "period_end": (today - dt.timedelta(days=1)).isoformat(),
        "description": "Highways inspection report",
    }
    fields.update(overrides)
    return fields


def post_file(
    client: Client,
    party,
    filename: str,
    data: bytes,
    *,
    content_type: str = "application/octet-stream",
    filename_part: str | None = None,
    fields: dict | None = None,
    url: str | None = None,
    extra_files: int = 0,
    xhr: bool = False,
):
    """Posts the upload form with one file (plus `extra_files` more) as a raw multipart body."""
    part = filename_part if filename_part is not None else f'filename="{filename}"'
    uploads = [("file", part, data, content_type)]
    uploads += [
        ("file", f'filename="extra{i}.txt"', b"x", "text/plain") for i in range(extra_files)
    ]
    body, multipart_type = files.multipart(fields or form_fields(party), uploads)
    return client.post(
        url or reverse("evidence:upload", kwargs={"track_pk": party.track.pk}),
        data=body,
        content_type=multipart_type,
        headers={"X-Requested-With": "XMLHttpRequest"} if xhr else None,
    )


def assert_nothing_stored(store) -> None:
    assert EvidenceItem.objects.count() == 0
    assert store.blobs() == []
    assert store.leftovers() == []


def errors_of(response) -> list[str]:
    form = response.context["form"]
    return [str(e) for errs in form.errors.values() for e in errs]
