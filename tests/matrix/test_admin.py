"""The framework admin: the upload form judged by the importer, actions, read-only versions."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from matrix.models import Framework, LevelDescriptor
from matrix.services import import_framework
from tests.factories import UserFactory
from tests.matrix.factories import SPMM, SPMM_NAME, png_bytes, seed_bytes, spmm_with

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:matrix_framework_import"


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


def _upload(client, content: bytes, filename: str = SPMM.name, **data):
    upload = SimpleUploadedFile(filename, content, content_type="application/octet-stream")
    return client.post(reverse(IMPORT_URL), {"file": upload, **data}, follow=True)


def test_changelist_links_to_the_import_form(admin_client):
    html = admin_client.get(reverse("admin:matrix_framework_changelist")).content.decode()
    assert reverse(IMPORT_URL) in html


def test_upload_imports_the_framework_and_shows_what_was_imported(admin_client):
    response = _upload(admin_client, seed_bytes(), name=SPMM_NAME, publish="on")
    framework = Framework.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "admin:matrix_framework_change", args=[framework.pk]
    )
    assert framework.status == Framework.Status.PUBLISHED
    html = response.content.decode()
    assert f"Imported &quot;{SPMM_NAME}&quot; as version 1 (published)" in html
    assert "9 focus areas" in html


def test_upload_of_the_same_file_again_says_it_is_already_there(admin_client):
    _upload(admin_client, seed_bytes(), name=SPMM_NAME)
    response = _upload(admin_client, seed_bytes(), name=SPMM_NAME)
    assert Framework.objects.count() == 1
    assert "is already there with the same content" in response.content.decode()


def test_upload_refusal_shows_the_importers_messages_and_saves_nothing(admin_client):
    content = spmm_with(12, lambda cells: [cells[0], "", *cells[2:]])
    response = _upload(admin_client, content)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The file was not imported" in html
    assert "Row 12, column B (Focus): The focus area has no name." in html
    assert not Framework.objects.exists()


def test_upload_of_an_image_is_refused(admin_client):
    response = _upload(admin_client, png_bytes(), "matrix.xlsx")
    assert "This is not a spreadsheet" in response.content.decode()
    assert not Framework.objects.exists()


def test_upload_over_the_size_limit_is_refused(admin_client, settings):
    settings.FRAMEWORK_IMPORT_MAX_BYTES = 1024
    response = _upload(admin_client, seed_bytes())
    assert "the largest framework file accepted is 1 KB" in response.content.decode()
    assert not Framework.objects.exists()


def test_staff_without_framework_permissions_cannot_import():
    client = Client()
    client.force_login(UserFactory(username="clerk", is_staff=True))
    assert client.get(reverse(IMPORT_URL)).status_code == 403


def _action(client, action: str, framework: Framework):
    return client.post(
        reverse("admin:matrix_framework_changelist"),
        {"action": action, "_selected_action": [framework.pk]},
        follow=True,
    )


def test_publish_retire_and_tailor_actions(admin_client):
    draft = import_framework(content=seed_bytes(), filename=SPMM.name).framework
    _action(admin_client, "publish_selected", draft)
    draft.refresh_from_db()
    assert draft.status == Framework.Status.PUBLISHED

    response = _action(admin_client, "tailor_selected", draft)
    tailored = Framework.objects.get(version=2)
    assert tailored.tailored_from == draft and tailored.status == Framework.Status.DRAFT
    assert "Tailored" in response.content.decode()

    _action(admin_client, "retire_selected", draft)
    draft.refresh_from_db()
    assert draft.status == Framework.Status.RETIRED


def test_an_action_that_does_not_apply_is_refused_with_a_message(admin_client):
    draft = import_framework(content=seed_bytes(), filename=SPMM.name).framework
    response = _action(admin_client, "retire_selected", draft)
    assert "only a published version can be retired" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Framework.Status.DRAFT


def test_a_published_version_and_its_parts_are_read_only(admin_client):
    framework = import_framework(content=seed_bytes(), filename=SPMM.name, publish=True).framework
    url = reverse("admin:matrix_framework_change", args=[framework.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(url, {"name": "Renamed"}).status_code == 403
    area = framework.focus_areas.first()
    area_url = reverse("admin:matrix_focusarea_change", args=[area.pk])
    assert 'name="_save"' not in admin_client.get(area_url).content.decode()
    assert admin_client.post(area_url, {"name": "Renamed"}).status_code == 403
    framework.refresh_from_db()
    assert framework.name == "Strategic Performance Maturity Matrix"


def test_a_draft_checklist_is_edited_one_criterion_per_line(admin_client):
    framework = import_framework(content=seed_bytes(), filename=SPMM.name).framework
    area = framework.focus_areas.get(order=1)
    url = reverse("admin:matrix_focusarea_change", args=[area.pk])
    form = admin_client.get(url).context["adminform"].form
    descriptors = list(area.descriptors.order_by("level__rank"))
    evidence = list(area.evidence_types.order_by("order"))
    data = {
        "category": area.category_id,
        "order": area.order,
        "name": area.name,
        "descriptors-TOTAL_FORMS": len(descriptors),
        "descriptors-INITIAL_FORMS": len(descriptors),
        "evidence_types-TOTAL_FORMS": len(evidence),
        "evidence_types-INITIAL_FORMS": len(evidence),
    }
    for i, d in enumerate(descriptors):
        data |= {
            f"descriptors-{i}-id": d.pk,
            f"descriptors-{i}-focus_area": area.pk,
            f"descriptors-{i}-level": d.level_id,
            f"descriptors-{i}-text": d.text,
            f"descriptors-{i}-criteria": "\n".join(d.criteria),
        }
    data["descriptors-4-criteria"] = "First criterion\n\nSecond criterion\n"
    for i, e in enumerate(evidence):
        data |= {
            f"evidence_types-{i}-id": e.pk,
            f"evidence_types-{i}-focus_area": area.pk,
            f"evidence_types-{i}-order": e.order,
            f"evidence_types-{i}-name": e.name,
            f"evidence_types-{i}-recency_months": e.recency_months,
        }
    assert form is not None
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert LevelDescriptor.objects.get(focus_area=area, level__rank=4).criteria == [
        "First criterion",
        "Second criterion",
    ]
