"""Verifying stored evidence and sweeping blobs without a row, on local and S3 storage."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from evidence.models import EvidenceItem
from evidence.services import sweep_orphan_blobs, verify_stored_evidence
from evidence.storage import QUARANTINE_PREFIX
from monitoring.models import Flag
from tests.evidence import files
from tests.evidence.factories import evidence_file, make_item

pytestmark = pytest.mark.usefixtures("evidence_store")


def test_good_files_are_verified_and_stamped(party_a):
    items = [make_item(party_a) for _ in range(2)]
    report = verify_stored_evidence()
    assert (report.checked, report.ok, report.problems) == (2, 2, 0)
    assert all(EvidenceItem.objects.get(pk=i.pk).last_verified_at for i in items)
    assert not Flag.objects.exists()


def test_one_changed_byte_is_flagged(party_a, evidence_store):
    good = make_item(party_a)
    item = make_item(party_a, file=evidence_file(seed=51))
    tampered = bytearray(files.pdf(51))
    tampered[-10] ^= 0x20
    evidence_store.overwrite(item.storage_key, bytes(tampered))
    report = verify_stored_evidence()
    assert report.changed == [item.pk] and report.missing == []
    flag = Flag.objects.get()
    assert (flag.kind, flag.evidence_item, flag.is_open) == (
        Flag.Kind.CHECKSUM_MISMATCH,
        item,
        True,
    )
    assert EvidenceItem.objects.get(pk=item.pk).last_verified_at is None
    assert EvidenceItem.objects.get(pk=good.pk).last_verified_at is not None


def test_a_missing_file_is_flagged(party_a, evidence_store):
    item = make_item(party_a)
    evidence_store.remove(item.storage_key)
    report = verify_stored_evidence()
    assert report.missing == [item.pk]
    assert Flag.objects.get().kind == Flag.Kind.FILE_MISSING


def test_running_twice_raises_no_duplicate_flag(party_a, evidence_store):
    changed, missing = make_item(party_a), make_item(party_a)
    evidence_store.overwrite(changed.storage_key, b"%PDF-1.4 not the same")
    evidence_store.remove(missing.storage_key)
    first = verify_stored_evidence()
    second = verify_stored_evidence()
    assert first.flags_raised == 2 and second.flags_raised == 0
    assert Flag.objects.count() == 2


def test_a_file_that_is_good_again_resolves_its_flag(party_a, evidence_store):
    item = make_item(party_a, file=evidence_file(seed=52))
    evidence_store.overwrite(item.storage_key, b"%PDF-1.4 damaged")
    verify_stored_evidence()
    evidence_store.overwrite(item.storage_key, files.pdf(52))
    report = verify_stored_evidence()
    assert report.flags_resolved == 1
    assert not Flag.objects.filter(resolved_at__isnull=True).exists()


@pytest.mark.parametrize("count", [2, 6])
def test_verification_runs_in_a_fixed_number_of_queries(
    party_a, django_assert_max_num_queries, count
):
    for _ in range(count):
        make_item(party_a)
    with django_assert_max_num_queries(3):
        report = verify_stored_evidence()
    assert report.ok == count


def test_the_verify_command_reports_problems(party_a, evidence_store, capsys):
    item = make_item(party_a)
    evidence_store.remove(item.storage_key)
    with pytest.raises(CommandError, match="1 evidence file"):
        call_command("verify_evidence", "--no-progress")
    out = capsys.readouterr().out
    assert "1 checked" in out and "1 missing" in out and f"item {item.pk}" in out


def _orphan(store, key: str = "ab/orphan-blob") -> str:
    from django.core.files.base import ContentFile

    return store.storage.save(key, ContentFile(b"left behind"))


def test_the_sweep_quarantines_a_blob_without_a_row(party_a, evidence_store):
    item = make_item(party_a)
    key = _orphan(evidence_store)
    report = sweep_orphan_blobs(older_than=dt.timedelta(0))
    assert report.quarantined == [key]
    assert evidence_store.blobs() == [item.storage_key]
    with evidence_store.storage.open(f"{QUARANTINE_PREFIX}/{key}", "rb") as kept:
        assert kept.read() == b"left behind"


def test_the_sweep_leaves_a_blob_that_may_belong_to_an_upload_in_flight(evidence_store, db):
    key = _orphan(evidence_store)
    report = sweep_orphan_blobs(older_than=dt.timedelta(hours=1))
    assert report.quarantined == [] and report.too_recent == 1
    assert evidence_store.blobs() == [key]


def test_the_sweep_command_quarantines_orphans(party_a, evidence_store, capsys):
    make_item(party_a)
    key = _orphan(evidence_store)
    call_command("sweep_evidence_orphans", "--older-than-minutes", "0")
    assert key in capsys.readouterr().out
    assert key not in evidence_store.blobs()


def test_the_weekly_task_runs_the_verification(party_a, evidence_store):
    from evidence.tasks import verify_evidence

    item = make_item(party_a)
    evidence_store.remove(item.storage_key)
    assert verify_evidence() == {
        "checked": 1,
        "ok": 0,
        "changed": [],
        "missing": [item.pk],
        "flags_raised": 1,
        "flags_resolved": 0,
    }
