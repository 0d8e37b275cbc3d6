"""A published (or retired) framework version never changes, whatever the route to its rows."""

import pytest

from matrix.models import (
    Category,
    EvidenceType,
    FocusArea,
    Framework,
    FrameworkLocked,
    Level,
    LevelDescriptor,
)
from matrix.services import import_framework, retire
from tests.matrix.factories import SPMM, seed_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["published", "retired"])
def locked(request):
    framework = import_framework(
        content=seed_bytes(SPMM), filename=SPMM.name, publish=True
    ).framework
    if request.param == "retired":
        framework = retire(framework=framework, actor=None)
    return framework


def _parts(framework):
    return {
        "level": Level.objects.filter(framework=framework).first(),
        "category": Category.objects.filter(framework=framework).first(),
        "focus area": FocusArea.objects.filter(framework=framework).first(),
        "descriptor": LevelDescriptor.objects.filter(focus_area__framework=framework).first(),
        "evidence type": EvidenceType.objects.filter(focus_area__framework=framework).first(),
    }


def test_changing_a_field_of_the_framework_raises(locked):
    locked.notes = "Rewritten."
    with pytest.raises(FrameworkLocked):
        locked.save()


def test_deleting_the_framework_raises(locked):
    with pytest.raises(FrameworkLocked):
        locked.delete()
    assert Framework.objects.filter(pk=locked.pk).exists()


@pytest.mark.parametrize("part", ["level", "category", "focus area", "descriptor", "evidence type"])
def test_saving_any_part_raises(locked, part):
    row = _parts(locked)[part]
    with pytest.raises(FrameworkLocked):
        row.save()


@pytest.mark.parametrize("part", ["level", "category", "focus area", "descriptor", "evidence type"])
def test_deleting_any_part_raises(locked, part):
    row = _parts(locked)[part]
    with pytest.raises(FrameworkLocked):
        row.delete()
    assert type(row).objects.filter(pk=row.pk).exists()


def test_adding_a_part_raises(locked):
    area = FocusArea.objects.filter(framework=locked).first()
    with pytest.raises(FrameworkLocked):
        EvidenceType.objects.create(focus_area=area, order=99, name="New evidence")
    with pytest.raises(FrameworkLocked):
        Level.objects.create(framework=locked, rank=9, code="9", label="Level 9")


def test_bulk_writes_to_parts_raise(locked):
    descriptors = LevelDescriptor.objects.filter(focus_area__framework=locked)
    with pytest.raises(FrameworkLocked):
        descriptors.update(text="Overwritten")
    with pytest.raises(FrameworkLocked):
        descriptors.delete()
    with pytest.raises(FrameworkLocked):
        Level.objects.bulk_create([Level(framework=locked, rank=9, code="9", label="Level 9")])
    area = FocusArea.objects.filter(framework=locked).first()
    area.name = "Renamed"
    with pytest.raises(FrameworkLocked):
        FocusArea.objects.bulk_update([area], ["name"])
    assert not LevelDescriptor.objects.filter(text="Overwritten").exists()


def test_bulk_writes_to_the_framework_raise(locked):
    with pytest.raises(FrameworkLocked):
        Framework.objects.filter(pk=locked.pk).update(notes="Rewritten")
    with pytest.raises(FrameworkLocked):
        Framework.objects.filter(pk=locked.pk).delete()
    assert Level.objects.filter(framework=locked).count() == 6


def test_a_part_cannot_be_moved_out_of_a_locked_version(locked):
    draft = Framework.objects.create(name="Draft", version=1)
    category = Category.objects.create(framework=draft, order=1, name="Moved")
    area = FocusArea.objects.filter(framework=locked).first()
    area.framework = draft
    area.category = category
    with pytest.raises(FrameworkLocked):
        area.save()


def test_a_draft_can_be_changed_and_deleted():
    draft = import_framework(content=seed_bytes(SPMM), filename=SPMM.name).framework
    draft.notes = "Rewritten."
    draft.save()
    LevelDescriptor.objects.filter(focus_area__framework=draft).update(text="Changed")
    draft.delete()
    assert not Framework.objects.exists() and not LevelDescriptor.objects.exists()
