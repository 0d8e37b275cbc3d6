"""The two seed matrices import to the shapes their sources describe."""

import pytest

from matrix.models import Category, EvidenceType, FocusArea, Framework, Level, LevelDescriptor
from matrix.selectors import framework_spec
from matrix.services import import_framework, parse_file
from tests.matrix.factories import SMM, SMM_NAME, SPMM, SPMM_NAME, join_lines, seed_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def spmm():
    return import_framework(content=seed_bytes(SPMM), filename=SPMM.name, name=SPMM_NAME).framework


@pytest.fixture
def smm():
    return import_framework(content=seed_bytes(SMM), filename=SMM.name).framework


def test_spmm_imports_as_three_categories_and_nine_focus_areas(spmm):
    assert list(spmm.categories.values_list("name", flat=True)) == [
        "1. Policy Impact",
        "2. Service Excellence",
        "3. Contract resilience",
    ]
    assert spmm.focus_areas.count() == 9


def test_spmm_scale_is_levels_0_to_5(spmm):
    assert list(spmm.levels.values_list("rank", "code", "label")) == [
        (r, str(r), f"Level {r}") for r in range(6)
    ]


def test_blank_category_cells_carry_the_category_down(spmm):
    by_area = dict(spmm.focus_areas.values_list("name", "category__name"))
    assert by_area["Social Value"] == "1. Policy Impact"
    assert by_area["Day to day service delivery"] == "2. Service Excellence"
    assert by_area["Culture and collaborative benefit"] == "3. Contract resilience"


def test_stray_blank_line_inside_the_table_is_skipped(spmm):
    # Row 14 of the source is blank, between "Network management" and "Day to day service".
    names = list(spmm.focus_areas.order_by("order").values_list("name", flat=True))
    assert names[5:7] == ["Network management", "Day to day service delivery"]


def test_italic_markup_is_stripped_to_text(spmm):
    descriptor = LevelDescriptor.objects.get(
        focus_area__framework=spmm, focus_area__name="Day to day service delivery", level__rank=5
    )
    assert "<i>" not in descriptor.text and "</i>" not in descriptor.text
    assert descriptor.text.endswith(
        "taken quickly. NB this expectation endures at all levels of maturity"
    )


def test_levels_0_and_4_are_kept_as_blank_descriptors(spmm):
    for rank in (0, 4):
        descriptors = LevelDescriptor.objects.filter(focus_area__framework=spmm, level__rank=rank)
        assert descriptors.count() == 9
        assert all(d.is_blank for d in descriptors)


def test_level_2_is_a_four_item_checklist(spmm):
    descriptor = LevelDescriptor.objects.get(
        focus_area__framework=spmm, focus_area__name="Customer service", level__rank=2
    )
    assert descriptor.text == ""
    assert descriptor.criteria == [
        "Level 1 completed",
        "Authority confidence in progress and momentum",
        "Customer understanding improving",
        "Clear on progress and steps still required to attain level 3 by March 2025",
    ]
    checklists = LevelDescriptor.objects.filter(focus_area__framework=spmm).exclude(criteria=[])
    assert checklists.count() == 9


def test_customer_service_evidence_base_is_five_evidence_types(spmm):
    names = list(
        EvidenceType.objects.filter(focus_area__framework=spmm, focus_area__name="Customer service")
        .order_by("order")
        .values_list("name", flat=True)
    )
    assert names == [
        "Client overview reports",
        "customer satisfaction surveys",
        "complaints monitoring reports",
        "submitted accreditation/certification applications",
        "member and other key stakeholder feedback",
    ]
    assert EvidenceType.objects.filter(focus_area__framework=spmm).count() == 51


def test_title_and_preamble_above_the_table_are_kept(spmm):
    assert spmm.title == "Strategic Performance Maturity Matrix"
    assert spmm.preamble == "Maturity increases from left to right"


def test_notes_after_the_table_are_the_framework_notes(spmm):
    paragraphs = spmm.notes.split("\n\n")
    assert len(paragraphs) == 9
    assert paragraphs[0].startswith("The maturity matrix detail will be refined at Mobilisation")
    assert (
        "The Authorities assume that bidders will achieve level three maturity in each area by "
        "March 2025" in paragraphs
    )
    assert paragraphs[-1].startswith("Contact decisions around willingness to accept extensions")
    assert "**Notes**" not in spmm.notes


def test_stored_fingerprint_matches_what_was_saved(spmm):
    assert spmm.content_sha256 == framework_spec(spmm).fingerprint()


def test_system_maturity_model_imports_nine_dimensions_on_a_1_to_5_scale(smm):
    assert smm.name == SMM_NAME
    assert list(smm.levels.values_list("rank", flat=True)) == [1, 2, 3, 4, 5]
    assert smm.focus_areas.count() == 9
    assert Category.objects.filter(framework=smm).count() == 1
    assert LevelDescriptor.objects.filter(focus_area__framework=smm).count() == 45


def test_system_maturity_model_columns_running_5_to_1_land_on_the_right_levels(smm):
    vision = {
        d.level.rank: d.text
        for d in LevelDescriptor.objects.filter(
            focus_area__framework=smm, focus_area__name="Vision"
        ).select_related("level")
    }
    assert vision[5].startswith("The shared vision is embedded in everything")
    assert vision[1].startswith("There is no clear shared vision")


def test_system_maturity_model_three_header_blocks_make_one_table(smm):
    names = list(smm.focus_areas.order_by("order").values_list("name", flat=True))
    assert names == [
        "Vision",
        "Collaboration",
        "Accountability",
        "Involvement",
        "Planning/Strategy/ Programming",
        "Finance",
        "Service delivery",
        "Workforce development",
        "Learning, evaluation and continuous improvement",
    ]
    assert smm.layout["blocks"] == [3, 3, 3]
    assert [c["rank"] for c in smm.layout["columns"] if c["role"] == "level"] == [5, 4, 3, 2, 1]


def test_named_stages_import_with_ranks_in_column_order():
    content = join_lines(
        [
            "Early Help Service Transformation Maturity Model",
            "",
            "Focus\tEarly\tDeveloping\tMaturing\tMature",
            "Leadership\tLittle shared understanding.\tSome.\tMost.\tAll.",
            "Culture\tCompeting visions.\tEmerging.\tShared.\tEmbedded.",
        ]
    )
    framework = import_framework(content=content, filename="early-help.tsv").framework
    assert list(framework.levels.values_list("rank", "code")) == [
        (1, "Early"),
        (2, "Developing"),
        (3, "Maturing"),
        (4, "Mature"),
    ]
    assert framework.name == "Early Help Service Transformation Maturity Model"


def test_csv_reads_like_tsv():
    tsv = join_lines(["Focus\tLevel 1\tLevel 2", "Vision\tNone yet.\tShared."])
    csv = join_lines(["Focus,Level 1,Level 2", "Vision,None yet.,Shared."])
    assert parse_file(content=tsv, filename="m.tsv") == parse_file(content=csv, filename="m.csv")


def test_utf16_text_as_excel_saves_unicode_text_is_read():
    text = "Focus\tLevel 1\tLevel 2\r\nVision\tNone yet.\tShared – widely.\r\n"
    spec = parse_file(content=text.encode("utf-16"), filename="m.txt")
    assert spec.focus_areas[0].descriptors[1].text == "Shared – widely."


def test_import_saves_nothing_but_the_framework_and_one_audit_row():
    from audit.models import AuditEvent

    import_framework(content=seed_bytes(SPMM), filename=SPMM.name)
    assert Framework.objects.count() == 1
    assert Level.objects.count() == 6 and FocusArea.objects.count() == 9
    assert AuditEvent.objects.filter(object_type="matrix.framework").count() == 1


def test_a_title_in_another_column_is_still_the_title():
    content = join_lines(["\t\tA centred title", "", "Focus\tLevel 1\tLevel 2", "Vision\tA.\tB."])
    spec = parse_file(content=content, filename="m.tsv")
    assert spec.title == "A centred title"
    assert [area.name for area in spec.focus_areas] == ["Vision"]
