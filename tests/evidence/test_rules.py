"""The file-name rules and the download name: sanitised metadata, never a path or a header."""

from __future__ import annotations

import pytest

from evidence.rules import FileRefused, check_filename, sanitise_filename
from evidence.views import content_disposition


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../x.pdf", "x.pdf"),
        ("..\\..\\windows\\x.pdf", "x.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("con", "_con"),
        ("LPT1.report.pdf", "_LPT1.report.pdf"),
        ("invoice\u202egnp.pdf", "invoicegnp.pdf"),
        ("tab\there\x07.pdf", "tabhere.pdf"),
        ("report.pdf. . ", "report.pdf"),
        ("", "evidence"),
        ("..", "evidence"),
    ],
)
def test_a_file_name_is_sanitised_for_display(raw, expected):
    assert sanitise_filename(raw) == expected


def test_a_300_character_name_is_cut_to_255_keeping_its_extension():
    name = sanitise_filename("a" * 300 + ".pdf")
    assert len(name) == 255
    assert name.endswith("a.pdf")


def test_a_quote_and_semicolon_stay_harmless_text_in_the_stored_name():
    assert sanitise_filename('";filename=a.html;x.pdf') == '";filename=a.html;x.pdf'


@pytest.mark.parametrize(
    "name",
    [
        '";filename=a.html;x.pdf',
        "x\r\nSet-Cookie: a=b.pdf",
        "évaluation «finale».pdf",
        "invoice\u202egnp.pdf",
    ],
)
def test_the_download_header_carries_one_safe_name_in_two_encodings(name):
    header = content_disposition(sanitise_filename(name))
    assert header.startswith('attachment; filename="')
    assert "\r" not in header and "\n" not in header
    ascii_part = header.split('filename="', 1)[1].split('"', 1)[0]
    assert ascii_part.isascii()
    assert '"' not in ascii_part and ";" not in ascii_part
    assert header.count("filename=") == 1
    assert header.count("filename*=UTF-8''") == 1
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert all(c.isalnum() or c in "%-._~" for c in encoded), encoded


def test_the_download_header_keeps_the_exact_unicode_name_percent_encoded():
    header = content_disposition("évaluation.pdf")
    assert header.endswith("filename*=UTF-8''%C3%A9valuation.pdf")
    assert 'filename="evaluation.pdf"' in header


@pytest.mark.parametrize("name", ["report.PDF", "Q1.2025.summary.xlsx", "photo.jpeg", "a.csv"])
def test_ordinary_names_pass_the_name_rules(name):
    assert check_filename(name) == name.rsplit(".", 1)[1].lower()


def test_a_refusal_names_the_rule_it_applied():
    with pytest.raises(FileRefused) as caught:
        check_filename("x.exe")
    assert caught.value.rule == "extension_not_allowed"
    assert caught.value.message_dict["file"] == [caught.value.reason]
