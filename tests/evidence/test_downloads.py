"""Downloads: only through the authorised view, as attachments that never render inline, and
only when the stored bytes still have the SHA-256 recorded at upload."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from contracts.roles import Role
from monitoring.models import Flag
from tests.evidence import files
from tests.evidence.factories import evidence_file, make_item

pytestmark = pytest.mark.usefixtures("evidence_store")


def download(user, item):
    client = Client()
    client.force_login(user)
    return client.get(reverse("evidence:download", kwargs={"pk": item.pk}))


@pytest.mark.parametrize("role", list(Role))
def test_every_role_on_the_contract_downloads_the_exact_bytes(party_a, role):
    item = make_item(party_a, file=evidence_file(seed=41))
    response = download(party_a.users[role], item)
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == files.pdf(41)


def test_a_download_is_an_attachment_that_never_renders_inline(party_a):
    item = make_item(party_a, file=evidence_file(name='";filename=a.html;x.pdf'))
    response = download(party_a.users[Role.CLIENT_OFFICER], item)
    assert response["Content-Disposition"] == (
        'attachment; filename="__filename_a.html_x.pdf"; '
        "filename*=UTF-8''%22%3Bfilename%3Da.html%3Bx.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]


def test_a_pdf_with_javascript_is_served_only_as_a_sandboxed_attachment(party_a):
    script = b"/OpenAction << /S /JavaScript /JS (app.alert('x')) >>"
    item = make_item(party_a, file=ContentFile(files.pdf(42, body=script), name="active.pdf"))
    response = download(party_a.users[Role.BOARD_MEMBER], item)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_download_is_written_to_the_audit_trail(party_a):
    item = make_item(party_a)
    download(party_a.users[Role.AUDITOR], item)
    event = AuditEvent.objects.get(action=AuditEvent.Action.DOWNLOAD)
    assert event.object_id == str(item.pk)
    assert event.actor == party_a.users[Role.AUDITOR]
    assert event.contract_id == party_a.contract.pk


def test_another_providers_evidence_answers_404_everywhere(party_a, party_b, evidence_store):
    item = make_item(party_a)
    client = Client()
    client.force_login(party_b.users[Role.PROVIDER_LEAD])
    for name in ("evidence:item", "evidence:download", "evidence:supersede", "evidence:withdraw"):
        url = reverse(name, kwargs={"pk": item.pk})
        assert client.get(url).status_code == 404, name
        assert client.post(url, {"reason": "mine now"}).status_code == 404, name
    item.refresh_from_db()
    assert not item.is_withdrawn
    assert evidence_store.blobs() == [item.storage_key]
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()


def test_a_changed_file_is_refused_and_flagged(party_a, evidence_store):
    item = make_item(party_a, file=evidence_file(seed=43))
    tampered = bytearray(files.pdf(43))
    tampered[20] ^= 0x01
    evidence_store.overwrite(item.storage_key, bytes(tampered))
    response = download(party_a.users[Role.CLIENT_LEAD], item)
    assert response.status_code == 503
    assert b"no longer matches" in response.content
    assert bytes(tampered) not in response.content
    assert "attachment" not in response.get("Content-Disposition", "")
    flag = Flag.objects.get(kind=Flag.Kind.CHECKSUM_MISMATCH)
    assert flag.evidence_item == item and flag.contract == party_a.contract
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DOWNLOAD).exists()


def test_a_second_refused_download_raises_no_second_flag(party_a, evidence_store):
    item = make_item(party_a)
    evidence_store.overwrite(item.storage_key, b"%PDF-1.4 replaced")
    download(party_a.users[Role.CLIENT_LEAD], item)
    download(party_a.users[Role.CLIENT_OFFICER], item)
    assert Flag.objects.filter(kind=Flag.Kind.CHECKSUM_MISMATCH).count() == 1


def test_a_missing_file_is_refused_and_flagged(party_a, evidence_store):
    item = make_item(party_a)
    evidence_store.remove(item.storage_key)
    response = download(party_a.users[Role.PROVIDER_LEAD], item)
    assert response.status_code == 503
    assert b"is missing" in response.content
    assert Flag.objects.filter(kind=Flag.Kind.FILE_MISSING, evidence_item=item).count() == 1
