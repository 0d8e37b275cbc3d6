"""Publishing, retiring and tailoring framework versions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm_log.models import StateLog

from audit.models import AuditEvent
from matrix.models import Category, EvidenceType, FocusArea, Framework, Level, LevelDescriptor
from matrix.selectors import framework_spec
from matrix.services import import_framework, publish, retire, tailor_framework
from tests.factories import UserFactory
from tests.matrix.factories import SPMM, seed_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return UserFactory(username="framework-admin", is_staff=True, is_superuser=True)


@pytest.fixture
def published(admin_user):
    result = import_framework(content=seed_bytes(SPMM), filename=SPMM.name, publish=True)
    return result.framework


def test_publish_locks_the_draft_and_logs_one_transition(admin_user):
    draft = import_framework(content=seed_bytes(SPMM), filename=SPMM.name).framework
    publish(framework=draft, actor=admin_user)
    draft.refresh_from_db()
    assert draft.status == Framework.Status.PUBLISHED and draft.published_at is not None
    assert StateLog.objects.for_(draft).count() == 1
    events = AuditEvent.objects.filter(object_type="matrix.framework", action="transition")
    assert list(events.values_list("from_state", "to_state", "actor")) == [
        ("draft", "published", admin_user.pk)
    ]


def test_publish_fills_in_blank_descriptors_for_levels_added_to_a_draft(admin_user):
    draft = import_framework(content=seed_bytes(SPMM), filename=SPMM.name).framework
    Level.objects.create(framework=draft, rank=6, code="6", label="Level 6")
    publish(framework=draft, actor=admin_user)
    added = LevelDescriptor.objects.filter(focus_area__framework=draft, level__rank=6)
    assert added.count() == 9 and all(d.is_blank for d in added)
    draft.refresh_from_db()
    assert draft.content_sha256 == framework_spec(draft).fingerprint()


def test_publishing_twice_is_refused(published, admin_user):
    with pytest.raises(ValidationError, match="only a draft can be published"):
        publish(framework=published, actor=admin_user)


def test_retire_moves_a_published_version_to_retired(published, admin_user):
    retire(framework=published, actor=admin_user)
    published.refresh_from_db()
    assert published.status == Framework.Status.RETIRED


def test_retiring_a_draft_is_refused(admin_user):
    draft = import_framework(content=seed_bytes(SPMM), filename=SPMM.name).framework
    with pytest.raises(ValidationError, match="only a published version can be retired"):
        retire(framework=draft, actor=admin_user)


def test_tailoring_makes_the_next_draft_version_with_every_part(published, admin_user):
    draft = tailor_framework(framework=published, actor=admin_user)
    assert (draft.name, draft.version, draft.status) == (published.name, 2, "draft")
    assert draft.tailored_from == published
    assert framework_spec(draft) == framework_spec(published)
    for model, path in (
        (Level, "framework"),
        (Category, "framework"),
        (FocusArea, "framework"),
        (LevelDescriptor, "focus_area__framework"),
        (EvidenceType, "focus_area__framework"),
    ):
        source = model.objects.filter(**{path: published})
        copy = model.objects.filter(**{path: draft})
        assert copy.count() == source.count() > 0, model.__name__
        assert not set(copy.values_list("pk", flat=True)) & set(source.values_list("pk", flat=True))


def test_tailoring_copies_evidence_settings_onto_the_new_levels(published, admin_user):
    first = tailor_framework(framework=published, actor=admin_user)
    evidence = EvidenceType.objects.filter(focus_area__framework=first).order_by("pk").first()
    evidence.recency_months = 6
    evidence.applies_from = Level.objects.get(framework=first, rank=3)
    evidence.save()
    publish(framework=first, actor=admin_user)

    second = tailor_framework(framework=first, actor=admin_user)
    copied = EvidenceType.objects.get(focus_area__framework=second, recency_months=6)
    assert copied.name == evidence.name
    assert copied.applies_from.framework_id == second.pk and copied.applies_from.rank == 3


def test_tailoring_leaves_the_source_untouched(published, admin_user):
    before = (framework_spec(published), published.content_sha256, published.status)
    part_ids = set(
        LevelDescriptor.objects.filter(focus_area__framework=published).values_list("pk", flat=True)
    )
    draft = tailor_framework(framework=published, actor=admin_user)
    LevelDescriptor.objects.filter(focus_area__framework=draft).update(text="Tailored")
    published.refresh_from_db()
    assert (framework_spec(published), published.content_sha256, published.status) == before
    assert (
        set(
            LevelDescriptor.objects.filter(focus_area__framework=published).values_list(
                "pk", flat=True
            )
        )
        == part_ids
    )


def test_tailoring_a_draft_is_refused(admin_user):
    draft = import_framework(content=seed_bytes(SPMM), filename=SPMM.name).framework
    with pytest.raises(ValidationError, match="only a published version can be tailored"):
        tailor_framework(framework=draft, actor=admin_user)


def test_tailoring_is_recorded_in_the_audit_trail(published, admin_user):
    draft = tailor_framework(framework=published, actor=admin_user)
    event = AuditEvent.objects.get(object_type="matrix.framework", object_id=str(draft.pk))
    assert event.action == "create" and event.actor == admin_user
    assert "Tailored from" in event.comment


def test_people_who_are_not_administrators_cannot_manage_frameworks(published, party_a):
    lead = next(iter(party_a.users.values()))
    with pytest.raises(PermissionDenied):
        tailor_framework(framework=published, actor=lead)
    with pytest.raises(PermissionDenied):
        retire(framework=published, actor=lead)
    with pytest.raises(PermissionDenied):
        import_framework(content=seed_bytes(SPMM), filename=SPMM.name, name="X", actor=lead)
    assert Framework.objects.filter(name="X").count() == 0
