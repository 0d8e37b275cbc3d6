"""Reading and writing single cells: run-on checklists, evidence bases, markup."""

import csv

import pytest

from matrix import cells
from tests.matrix.factories import SPMM

# Level 2 of every SPMM row, as the checklist it was before the export lost its line breaks.
EXPECTED_LEVEL_2 = {
    "Customer service": [
        "Level 1 completed",
        "Authority confidence in progress and momentum",
        "Customer understanding improving",
        "Clear on progress and steps still required to attain level 3 by March 2025",
    ],
    "Innovation, improvement and value for money": [
        "Level 1 completed",
        "Authority confidence in progress and momentum",
        "Innovation and improvement emerging",
        "Clear on progress and steps still required to attain level 3 by March 2025",
    ],
    "Social Value": [
        "Level 1 completed",
        "Social Value becoming evident",
        "Authority confidence in progress and momentum",
        "Customer understanding improving",
        "Clear on progress and steps still required to attain level 3 by March 2025",
    ],
    "Climate change & the Environment (CC&E)": [
        "Level 1 completed",
        "Authority confidence in progress and momentum",
        "Initial environmental benefits being realised",
        "Clear on progress and steps still required to attain level 3 by March 2025",
    ],
    "Asset management": [
        "Level 1 completed",
        "Authority confidence in progress and momentum",
        "Asset understanding improving and initial benefits emerging",
        "Clear on progress and steps still required to attain level 3 by March 2025",
    ],
    "Network management": [
        "Level 1 completed",
        "Authority confidence in progress and momentum",
        "Initial network management benefits emerging",
        "Clear on progress and steps still required to attain level 3 by March 2025",
    ],
    "Day to day service delivery": [
        "Level 1 completed",
        "Authority confidence in progress and momentum",
        "KPI targets largely being met and emerging issues resolved",
        "Clear on progress and steps still required to attain level 3 by March 2025",
    ],
    "Contract financial resilience": [
        "Level 1 completed",
        "Authority confidence in progress, resilience and financial sustainability",
        "Clear on progress and steps still required to attain level 3 by March 2025",
    ],
    "Culture and collaborative benefit": [
        "Level 1 completed",
        "Authority confidence in progress and momentum",
        "Tangible collaborative benefits emerging",
        "Clear on progress and steps still required to attain level 3 by March 2025",
    ],
}


def _spmm_rows():
    with SPMM.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.reader(handle, delimiter="\t") if len(row) == 9][1:]


def test_every_spmm_level_2_cell_splits_into_its_checklist():
    rows = _spmm_rows()
    assert len(rows) == 9
    for row in rows:
        assert cells.read_descriptor(row[4]) == ("", EXPECTED_LEVEL_2[row[1]]), row[1]


def test_a_capitalised_word_after_a_function_word_does_not_start_an_item():
    assert cells.split_run_on("Plan agreed by March 2025 Targets met in Leeds") == [
        "Plan agreed by March 2025 Targets met in Leeds"
    ]


def test_a_capitalised_word_after_a_lower_case_word_starts_an_item():
    assert cells.split_run_on("Plan agreed Targets met") == ["Plan agreed", "Targets met"]


def test_prose_with_full_stops_stays_prose():
    text = "The service is innovative. Productivity is high"
    assert cells.read_descriptor(text) == (text, [])


def test_short_lines_without_sentences_are_a_checklist():
    assert cells.read_descriptor("Plan agreed\nTargets met\n") == (
        "",
        ["Plan agreed", "Targets met"],
    )


def test_bulleted_lines_are_a_checklist_even_with_full_stops():
    assert cells.read_descriptor("Intro text.\n• One.\n• Two.") == ("Intro text.", ["One.", "Two."])


def test_blank_cell_is_a_blank_descriptor():
    assert cells.read_descriptor("  \n ") == ("", [])


def test_italic_markup_is_stripped_to_its_text():
    text, _ = cells.read_descriptor("Targets are hit. <i>NB this endures at all levels</i>")
    assert text == "Targets are hit. NB this endures at all levels"


def test_customer_service_evidence_base_is_five_types():
    row = next(r for r in _spmm_rows() if r[1] == "Customer service")
    assert cells.read_evidence(row[8]) == [
        "Client overview reports",
        "customer satisfaction surveys",
        "complaints monitoring reports",
        "submitted accreditation/certification applications",
        "member and other key stakeholder feedback",
    ]


def test_commas_inside_parentheses_do_not_split_evidence_types():
    assert cells.read_evidence(
        "Client overview reports, budget monitoring reports (capital and revenue), contract "
        "performance reports"
    ) == [
        "Client overview reports",
        "budget monitoring reports (capital and revenue)",
        "contract performance reports",
    ]


@pytest.mark.parametrize(
    ("text", "criteria"),
    [
        ("", ["Level 1 completed", "Authority confidence improving"]),
        ("", ["Criterion ending with a full stop.", "Another one."]),
        ("Some prose first.", ["then a checklist", "of two"]),
        ("Plain prose. Two sentences.", []),
        ("", ["=SUM(A1:A2) is not a formula", "- leading dash"]),
    ],
)
def test_a_written_descriptor_reads_back_unchanged(text, criteria):
    assert cells.read_descriptor(cells.write_descriptor(text, criteria)) == (text, criteria)


@pytest.mark.parametrize(
    "names",
    [
        ["Client overview reports", "KPI update reports"],
        ["reports (capital, revenue)", "surveys"],
        ["a name, with a comma", "another"],
        ["only one, with a comma"],
    ],
)
def test_a_written_evidence_base_reads_back_unchanged(names):
    assert cells.read_evidence(cells.write_evidence(names)) == names
