"""Re-importing: the same content is recognised in any format; changed content is a new version."""

import pytest

from matrix.exporter import to_tsv, to_xlsx
from matrix.models import Framework, LevelDescriptor
from matrix.selectors import framework_spec
from matrix.services import import_framework
from tests.matrix.factories import SPMM, SPMM_NAME, as_csv, seed_bytes, spmm_with

pytestmark = pytest.mark.django_db


def _import(content: bytes, filename: str = SPMM.name, **kwargs):
    return import_framework(content=content, filename=filename, name=SPMM_NAME, **kwargs)


def test_importing_the_same_file_twice_does_not_duplicate():
    first = _import(seed_bytes())
    second = _import(seed_bytes())
    assert first.created and not second.created
    assert second.framework.pk == first.framework.pk
    assert Framework.objects.count() == 1
    assert LevelDescriptor.objects.count() == 54
    assert "already there" in second.headline


def test_the_same_content_as_xlsx_is_recognised():
    first = _import(seed_bytes())
    xlsx = to_xlsx(framework_spec(first.framework))
    again = _import(xlsx, "spmm.xlsx")
    assert not again.created and again.framework.pk == first.framework.pk


def test_the_same_content_as_csv_is_recognised():
    first = _import(seed_bytes())
    again = _import(as_csv(seed_bytes()), "spmm.csv")
    assert not again.created and again.framework.pk == first.framework.pk


def test_a_changed_file_becomes_the_next_version_of_the_same_name():
    first = _import(seed_bytes(), publish=True)
    changed = spmm_with(8, lambda cells: [*cells[:2], "Level 0 now has a description.", *cells[3:]])
    second = _import(changed)
    assert second.created
    assert (second.framework.name, second.framework.version) == (SPMM_NAME, 2)
    assert second.framework.status == Framework.Status.DRAFT
    assert second.previous == first.framework
    first.framework.refresh_from_db()
    assert first.framework.content_sha256 == framework_spec(first.framework).fingerprint()
    assert (
        LevelDescriptor.objects.get(
            focus_area__framework=second.framework, focus_area__order=1, level__rank=0
        ).text
        == "Level 0 now has a description."
    )


def test_re_importing_an_older_version_is_recognised_not_added():
    _import(seed_bytes())
    _import(spmm_with(8, lambda cells: [*cells[:2], "Changed.", *cells[3:]]))
    again = _import(seed_bytes())
    assert not again.created and again.framework.version == 1
    assert Framework.objects.filter(name=SPMM_NAME).count() == 2


def test_the_same_content_under_another_name_is_another_framework():
    _import(seed_bytes())
    other = import_framework(content=seed_bytes(), filename=SPMM.name, name="Council copy")
    assert other.created and other.framework.version == 1


def test_an_edited_draft_is_compared_as_it_is_now():
    first = _import(seed_bytes())
    descriptor = LevelDescriptor.objects.get(
        focus_area__framework=first.framework, focus_area__order=1, level__rank=0
    )
    descriptor.text = "Edited in the admin."
    descriptor.save()
    again = _import(seed_bytes())
    assert again.created and again.framework.version == 2
    edited = to_tsv(framework_spec(first.framework))
    assert not _import(edited, "edited.tsv").created


def test_publish_flag_publishes_an_existing_draft_with_the_same_content():
    first = _import(seed_bytes())
    again = _import(seed_bytes(), publish=True)
    assert not again.created and again.published_now
    first.framework.refresh_from_db()
    assert first.framework.status == Framework.Status.PUBLISHED
