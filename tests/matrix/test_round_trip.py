"""import → export → import gives the identical framework, for both seeds and both formats."""

import csv
import io

import pytest

from matrix.exporter import export
from matrix.models import EvidenceType, Framework, LevelDescriptor
from matrix.selectors import framework_spec
from matrix.services import import_framework, parse_file, tailor_framework
from tests.matrix.factories import SMM, SPMM, seed_bytes

pytestmark = pytest.mark.django_db


def _model_snapshot(framework: Framework) -> dict:
    """Everything about a framework version except its identity (ids, name, version)."""
    return {
        "title": framework.title,
        "preamble": framework.preamble,
        "notes": framework.notes,
        "layout": framework.layout,
        "levels": list(framework.levels.order_by("rank").values_list("rank", "code", "label")),
        "categories": list(framework.categories.order_by("order").values_list("order", "name")),
        "focus_areas": list(
            framework.focus_areas.order_by("order").values_list("order", "name", "category__name")
        ),
        "descriptors": sorted(
            (d.focus_area.order, d.level.rank, d.text, tuple(d.criteria))
            for d in LevelDescriptor.objects.filter(focus_area__framework=framework).select_related(
                "focus_area", "level"
            )
        ),
        "evidence": sorted(
            EvidenceType.objects.filter(focus_area__framework=framework).values_list(
                "focus_area__order", "order", "name", "recency_months"
            )
        ),
    }


@pytest.mark.parametrize("fmt", ["tsv", "xlsx"])
@pytest.mark.parametrize("seed", [SPMM, SMM], ids=["spmm", "smm"])
def test_import_export_import_gives_an_identical_framework(seed, fmt):
    original = import_framework(content=seed_bytes(seed), filename=seed.name).framework
    exported = export(framework_spec(original), fmt)

    assert parse_file(content=exported, filename=f"export.{fmt}") == framework_spec(original)
    again = import_framework(content=exported, filename=f"export.{fmt}", name=original.name)
    assert not again.created and again.framework.pk == original.pk

    copy = import_framework(content=exported, filename=f"export.{fmt}", name="Copy").framework
    assert _model_snapshot(copy) == _model_snapshot(original)
    assert copy.content_sha256 == original.content_sha256


@pytest.mark.parametrize("seed", [SPMM, SMM], ids=["spmm", "smm"])
def test_tsv_export_keeps_the_source_layout(seed):
    original = import_framework(content=seed_bytes(seed), filename=seed.name).framework
    lines = export(framework_spec(original), "tsv").decode().split("\n")
    source = seed.read_text().split("\n")
    source_header = next(line for line in source if "\t" in line)
    assert lines[0] == original.title
    assert source_header in lines
    assert lines.count(source_header) == source.count(source_header)  # SMM: 3 header blocks


def test_tsv_export_carries_the_category_and_joins_the_evidence_base():
    original = import_framework(content=seed_bytes(SPMM), filename=SPMM.name).framework
    text = export(framework_spec(original), "tsv").decode()
    rows = [row for row in csv.reader(io.StringIO(text), delimiter="\t") if len(row) == 9]
    categories = [row[0] for row in rows[1:]]
    assert categories[:4] == ["1. Policy Impact", "", "", ""]
    assert rows[1][8].startswith("Client overview reports, customer satisfaction surveys, ")
    notes_at = text.index("**Notes**")
    assert text.index("Contact decisions around willingness") > notes_at > text.index("Culture and")


def test_a_tailored_and_edited_draft_round_trips():
    original = import_framework(content=seed_bytes(SPMM), filename=SPMM.name, publish=True)
    draft = tailor_framework(framework=original.framework, actor=None)
    descriptor = draft.focus_areas.get(order=1).descriptors.get(level__rank=4)
    descriptor.criteria = ["Has a full stop.", "Commas, too"]
    descriptor.save()
    evidence = draft.focus_areas.get(order=2).evidence_types.get(order=1)
    evidence.name = "Reports, with a comma"
    evidence.save()
    for fmt in ("tsv", "xlsx"):
        exported = export(framework_spec(draft), fmt)
        assert parse_file(content=exported, filename=f"x.{fmt}") == framework_spec(draft)
