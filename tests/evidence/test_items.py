"""Evidence items: what an upload records, duplicates, versions, withdrawal and immutability –
through the services and the upload view, on local and S3 storage."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.urls import reverse

from audit.models import AuditEvent
from contracts.roles import Role
from evidence import services, uploadhandler
from evidence.models import EvidenceItem, ImmutableEvidenceError
from tests.evidence import files
from tests.evidence.factories import evidence_file, make_item
from tests.evidence.helpers import (
    assert_nothing_stored,
    errors_of,
    form_fields,
    post_file,
    provider_client,
)

pytestmark = pytest.mark.usefixtures("evidence_store")


@pytest.mark.parametrize(
    "ext", ["pdf", "docx", "xlsx", "pptx", "odt", "ods", "csv", "txt", "png", "jpg", "jpeg"]
)
def test_every_allowed_type_is_accepted_through_the_upload_view(party_a, evidence_store, ext):
    data = files.VALID[ext](21)
    response = post_file(provider_client(party_a), party_a, f"Evidence file.{ext}", data)
    assert response.status_code == 302, errors_of(response) if response.context else response
    item = EvidenceItem.objects.get()
    assert response["Location"] == reverse("evidence:item", kwargs={"pk": item.pk})
    with evidence_store.storage.open(item.storage_key, "rb") as stored:
        assert stored.read() == data
    assert evidence_store.leftovers() == []


def test_an_upload_records_size_hash_type_uploader_and_a_random_key(party_a, evidence_store):
    import hashlib

    data = files.pdf(22)
    client = provider_client(party_a)
    response = post_file(client, party_a, "../../Annual report.pdf", data, content_type="text/html")
    assert response.status_code == 302
    item = EvidenceItem.objects.get()
    assert item.size_bytes == len(data)
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.content_type == "application/pdf"
    assert item.uploaded_by == party_a.users[Role.PROVIDER_CONTRIBUTOR]
    assert item.track == party_a.track
    assert item.original_filename == "Annual report.pdf"
    assert "Annual" not in item.storage_key and "pdf" not in item.storage_key
    assert evidence_store.blobs() == [item.storage_key]


@pytest.mark.parametrize("evidence_store", ["local"], indirect=True)
def test_a_local_file_and_its_folder_reach_the_disk_before_the_row_exists(
    party_a, evidence_store, monkeypatch
):
    """After a power cut, a committed row must not point at a file still only in memory.
    (Object storage confirms durability in its own response.)"""
    synced: list[tuple[tuple[int, int], int]] = []
    real_fsync = os.fsync

    def recording_fsync(descriptor):
        stat = os.fstat(descriptor)
        synced.append(((stat.st_dev, stat.st_ino), EvidenceItem.objects.count()))
        return real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    response = post_file(provider_client(party_a), party_a, "Report.pdf", files.pdf(23))
    assert response.status_code == 302
    path = evidence_store.storage.path(EvidenceItem.objects.get().storage_key)
    for target in (path, os.path.dirname(path)):
        stat = os.stat(target)
        assert ((stat.st_dev, stat.st_ino), 0) in synced, target


@pytest.mark.skipif(
    not hasattr(os, "posix_fadvise"), reason="this system has no posix_fadvise to start writeback"
)
@pytest.mark.parametrize("evidence_store", ["local"], indirect=True)
def test_a_large_upload_starts_its_write_to_disk_while_it_streams(
    party_a, evidence_store, monkeypatch
):
    """The flush before the row is saved then has little left to do."""
    monkeypatch.setattr(uploadhandler, "WRITEBACK_STEP", 64 * 1024)
    started: list[tuple[int, int]] = []
    real_fadvise = os.posix_fadvise

    def recording_fadvise(descriptor, offset, length, advice):
        started.append((offset, length))
        return real_fadvise(descriptor, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", recording_fadvise)
    data = files.pdf(24, body=os.urandom(3 * 1024 * 1024))
    response = post_file(provider_client(party_a), party_a, "Large report.pdf", data)
    assert response.status_code == 302
    assert started[0][0] == 0
    assert all(a + n == b for (a, n), (b, _) in zip(started, started[1:], strict=False))
    assert started[-1][0] + started[-1][1] > len(data) - 2 * 1024 * 1024


def test_an_upload_is_written_to_the_audit_trail(party_a):
    item = make_item(party_a)
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPLOAD)
    assert event.object_id == str(item.pk)
    assert event.contract_id == party_a.contract.pk
    assert event.actor == item.uploaded_by
    assert item.sha256 in event.comment


def test_posted_track_hash_and_uploader_are_ignored(party_a, party_b, evidence_store):
    fields = form_fields(
        party_a,
        track=str(party_b.track.pk),
        sha256="0" * 64,
        uploaded_by=str(party_b.users[Role.PROVIDER_LEAD].pk),
        content_type="text/html",
        size_bytes="1",
    )
    response = post_file(provider_client(party_a), party_a, "r.pdf", files.pdf(23), fields=fields)
    assert response.status_code == 302
    item = EvidenceItem.objects.get()
    assert item.track == party_a.track
    assert item.sha256 != "0" * 64
    assert item.uploaded_by == party_a.users[Role.PROVIDER_CONTRIBUTOR]
    assert item.content_type == "application/pdf"
    assert item.size_bytes > 1


def test_an_evidence_type_of_another_focus_area_is_refused(party_a, evidence_store):
    other_area = party_a.contract.framework.focus_areas.order_by("order")[1]
    foreign_type = other_area.evidence_types.first()
    fields = form_fields(party_a, evidence_type=str(foreign_type.pk))
    response = post_file(provider_client(party_a), party_a, "r.pdf", files.pdf(24), fields=fields)
    assert response.status_code == 400
    assert "evidence_type" in response.context["form"].errors
    assert_nothing_stored(evidence_store)


def test_the_service_refuses_an_evidence_type_of_another_focus_area(party_a, evidence_store):
    other_area = party_a.contract.framework.focus_areas.order_by("order")[1]
    with pytest.raises(ValidationError) as caught:
        make_item(party_a, evidence_type=other_area.evidence_types.first())
    assert "evidence_type" in caught.value.message_dict
    assert_nothing_stored(evidence_store)


@pytest.mark.parametrize(
    "role", [Role.CLIENT_OFFICER, Role.CLIENT_LEAD, Role.BOARD_MEMBER, Role.AUDITOR]
)
def test_only_providers_may_upload(party_a, evidence_store, role):
    with pytest.raises(PermissionDenied):
        make_item(party_a, actor=party_a.users[role])
    response = post_file(provider_client(party_a, role), party_a, "r.pdf", files.pdf(25))
    assert response.status_code == 403
    assert_nothing_stored(evidence_store)


def test_a_provider_cannot_upload_to_another_providers_track(party_a, party_b, evidence_store):
    response = post_file(provider_client(party_b), party_a, "r.pdf", files.pdf(26))
    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        make_item(party_a, actor=party_b.users[Role.PROVIDER_LEAD])
    assert_nothing_stored(evidence_store)


def test_a_period_ending_before_it_starts_is_refused(party_a, evidence_store):
    fields = form_fields(party_a, period_start="2025-03-31", period_end="2025-01-01")
    response = post_file(provider_client(party_a), party_a, "r.pdf", files.pdf(27), fields=fields)
    assert response.status_code == 400
    assert "on or after its first day" in " ".join(errors_of(response))
    assert_nothing_stored(evidence_store)


def test_the_same_file_twice_on_a_track_is_refused_pointing_to_the_first(party_a, evidence_store):
    first = make_item(party_a, file=evidence_file(seed=28))
    response = post_file(provider_client(party_a), party_a, "again.pdf", files.pdf(28))
    assert response.status_code == 400
    assert f"evidence item {first.pk}" in " ".join(errors_of(response))
    assert response.context["duplicate_of"] == first
    assert reverse("evidence:item", kwargs={"pk": first.pk}) in response.content.decode()
    assert EvidenceItem.objects.count() == 1
    assert evidence_store.blobs() == [first.storage_key]
    assert evidence_store.leftovers() == []


def test_the_same_file_on_another_track_is_accepted(party_a):
    make_item(party_a, file=evidence_file(seed=29))
    other_track = party_a.contract.tracks.exclude(pk=party_a.track.pk).first()
    make_item(party_a, track=other_track, file=evidence_file(seed=29))
    assert EvidenceItem.objects.count() == 2


def test_a_withdrawn_file_can_be_uploaded_again(party_a):
    first = make_item(party_a, file=evidence_file(seed=30))
    services.withdraw(actor=party_a.users[Role.PROVIDER_LEAD], item=first, reason="Wrong type")
    again = make_item(party_a, file=evidence_file(seed=30))
    assert again.sha256 == first.sha256


def test_superseding_keeps_the_old_version_and_its_file(party_a, evidence_store):
    old = make_item(party_a, file=evidence_file(seed=31))
    response = post_file(
        provider_client(party_a),
        party_a,
        "v2.pdf",
        files.pdf(32),
        url=reverse("evidence:supersede", kwargs={"pk": old.pk}),
    )
    assert response.status_code == 302
    new = EvidenceItem.objects.get(supersedes=old)
    old.refresh_from_db()
    assert old.is_superseded and not old.is_withdrawn
    assert new.evidence_type == old.evidence_type and new.track == old.track
    assert sorted(evidence_store.blobs()) == sorted([old.storage_key, new.storage_key])
    with evidence_store.storage.open(old.storage_key, "rb") as stored:
        assert stored.read() == files.pdf(31)
    assert list(EvidenceItem.objects.active()) == [new]
    page = provider_client(party_a).get(reverse("evidence:item", kwargs={"pk": old.pk}))
    assert [v for _, v in page.context["versions"]] == [new, old]


def test_an_item_can_be_superseded_only_once(party_a, evidence_store):
    old = make_item(party_a)
    services.supersede(
        actor=party_a.users[Role.PROVIDER_LEAD],
        item=old,
        file=evidence_file(),
        period_start=old.period_start,
        period_end=old.period_end,
    )
    blobs = evidence_store.blobs()
    with pytest.raises(ValidationError, match="already been replaced"):
        services.supersede(
            actor=party_a.users[Role.PROVIDER_LEAD],
            item=old,
            file=evidence_file(),
            period_start=old.period_start,
            period_end=old.period_end,
        )
    assert evidence_store.blobs() == blobs
    assert EvidenceItem.objects.count() == 2


def test_withdrawing_records_who_why_and_keeps_the_file(party_a, evidence_store):
    item = make_item(party_a)
    client = provider_client(party_a, Role.PROVIDER_LEAD)
    url = reverse("evidence:withdraw", kwargs={"pk": item.pk})
    response = client.post(url, {"reason": "Covers the wrong quarter"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.is_withdrawn
    assert item.withdrawn_by == party_a.users[Role.PROVIDER_LEAD]
    assert item.withdrawal_reason == "Covers the wrong quarter"
    assert evidence_store.blobs() == [item.storage_key]
    assert EvidenceItem.objects.active().count() == 0
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CHANGE, object_id=str(item.pk), comment__contains="wrong quarter"
    ).exists()


def test_withdrawing_needs_a_reason(party_a):
    item = make_item(party_a)
    response = provider_client(party_a).post(
        reverse("evidence:withdraw", kwargs={"pk": item.pk}), {"reason": "  "}
    )
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    item.refresh_from_db()
    assert not item.is_withdrawn


def test_a_withdrawal_cannot_be_rewritten(party_a):
    item = make_item(party_a)
    services.withdraw(actor=party_a.users[Role.PROVIDER_LEAD], item=item, reason="First reason")
    with pytest.raises(ValidationError, match="already withdrawn"):
        services.withdraw(actor=party_a.users[Role.PROVIDER_LEAD], item=item, reason="Second")
    item.refresh_from_db()
    item.withdrawal_reason = "Rewritten"
    with pytest.raises(ImmutableEvidenceError):
        item.save()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sha256", "f" * 64),
        ("storage_key", "aa/other"),
        ("size_bytes", 1),
        ("content_type", "text/html"),
        ("original_filename", "other.pdf"),
        ("description", "rewritten"),
        ("period_end", dt.date(2030, 1, 1)),
    ],
)
def test_saving_a_change_to_an_existing_item_is_refused(party_a, field, value):
    item = make_item(party_a)
    before = EvidenceItem.objects.filter(pk=item.pk).values().get()
    setattr(item, field, value)
    with pytest.raises(ImmutableEvidenceError):
        item.save()
    assert EvidenceItem.objects.filter(pk=item.pk).values().get() == before


def test_deleting_items_is_refused(party_a, evidence_store):
    item = make_item(party_a)
    with pytest.raises(ImmutableEvidenceError):
        item.delete()
    with pytest.raises(ImmutableEvidenceError):
        EvidenceItem.objects.filter(pk=item.pk).delete()
    with pytest.raises(ImmutableEvidenceError):
        EvidenceItem.objects.filter(pk=item.pk).update(sha256="0" * 64)
    assert EvidenceItem.objects.filter(pk=item.pk, sha256=item.sha256).exists()
    assert evidence_store.blobs() == [item.storage_key]


def test_a_failure_after_the_file_was_written_rolls_back_and_removes_the_file(
    party_a, evidence_store, monkeypatch
):
    written = []
    original_store = services._store

    def store_then_remember(file):
        key = original_store(file)
        written.append(key)
        return key

    def audit_fails(**kwargs):
        raise DatabaseError("the audit table refused the row")

    monkeypatch.setattr(services, "_store", store_then_remember)
    monkeypatch.setattr(services, "record", audit_fails)
    with pytest.raises(DatabaseError):
        make_item(party_a)
    assert len(written) == 1, "the file was written before the failure"
    assert_nothing_stored(evidence_store)


def test_a_contract_that_has_ended_takes_no_new_evidence(party_a, evidence_store):
    from contracts.services import terminate

    terminate(contract=party_a.contract, actor=party_a.users[Role.CLIENT_LEAD], reason="Ended")
    with pytest.raises(ValidationError, match="terminated"):
        make_item(party_a)
    assert_nothing_stored(evidence_store)
