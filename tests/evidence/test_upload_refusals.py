"""Every upload rule, through the real upload view: the refusal names the rule, nothing is stored
and no temporary file is left (RELIABILITY "Evidence files" 7–12), on local and S3 storage."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from tests.evidence import files
from tests.evidence.helpers import assert_nothing_stored, errors_of, post_file, provider_client

pytestmark = pytest.mark.usefixtures("evidence_store")


def refused(response, *fragments: str) -> str:
    assert response.status_code in (400, 413), response.status_code
    message = " ".join(errors_of(response))
    for fragment in fragments:
        assert fragment.lower() in message.lower(), message
    return message


@pytest.fixture
def client(party_a):
    return provider_client(party_a)


@pytest.mark.parametrize(
    ("filename", "rule"),
    [
        ("x.pdf.html", ".html files cannot be uploaded"),
        ("x.php%00.pdf", "encoded null byte"),
        ("x.pdf.", "ends with a dot or a space"),
        ("x.pdf ", "ends with a dot or a space"),
        ("x.svg", ".svg files cannot be uploaded"),
        ("x.html", ".html files cannot be uploaded"),
        ("x.docm", ".docm files cannot be uploaded"),
        ("x.xlsm", ".xlsm files cannot be uploaded"),
        ("x.php.pdf", "hides another extension (.php)"),
        ("noextension", "has no extension"),
    ],
)
def test_a_name_outside_the_allow_list_is_refused(client, party_a, evidence_store, filename, rule):
    response = post_file(client, party_a, filename, files.pdf(1), content_type="application/pdf")
    refused(response, rule)
    assert_nothing_stored(evidence_store)


def test_an_encoded_null_byte_decoded_by_the_parser_still_leaves_a_refused_name(
    client, party_a, evidence_store
):
    # RFC 5987 form: the parser decodes %00 to a NUL and strips it, leaving "x.php.pdf".
    response = post_file(
        client, party_a, "", files.pdf(2), filename_part="filename*=UTF-8''x.php%00.pdf"
    )
    refused(response, "hides another extension (.php)")
    assert_nothing_stored(evidence_store)


def test_html_renamed_pdf_is_refused_on_its_bytes(client, party_a, evidence_store):
    response = post_file(
        client, party_a, "report.pdf", files.html_page(), content_type="application/pdf"
    )
    refused(response, "content is text, not the .pdf")
    assert_nothing_stored(evidence_store)


def test_png_renamed_xlsx_is_refused_on_its_bytes(client, party_a, evidence_store):
    response = post_file(client, party_a, "scores.xlsx", files.png(3))
    refused(response, "content is a PNG image, not the .xlsx")
    assert_nothing_stored(evidence_store)


def test_a_spoofed_content_type_header_does_not_decide(client, party_a, evidence_store):
    # Claims to be a PDF, named .pdf, but the bytes are a PNG image.
    response = post_file(
        client, party_a, "report.pdf", files.png(4), content_type="application/pdf"
    )
    refused(response, "content is a PNG image, not the .pdf")
    assert_nothing_stored(evidence_store)


def test_a_true_file_with_a_wrong_content_type_header_is_accepted_as_what_it_is(
    client, party_a, evidence_store
):
    response = post_file(client, party_a, "photo.png", files.png(5), content_type="text/html")
    assert response.status_code == 302
    from evidence.models import EvidenceItem

    assert EvidenceItem.objects.get().content_type == "image/png"


def test_a_png_header_with_an_html_body_is_refused(client, party_a, evidence_store):
    polyglot = files.png(6)[:8] + files.html_page()
    response = post_file(client, party_a, "photo.png", polyglot, content_type="image/png")
    refused(response, "PNG image is not well formed")
    assert_nothing_stored(evidence_store)


def test_a_png_with_html_appended_after_its_end_is_refused(client, party_a, evidence_store):
    response = post_file(client, party_a, "photo.png", files.png(7) + files.html_page())
    refused(response, "data after the end of the image")
    assert_nothing_stored(evidence_store)


def test_html_renamed_txt_is_refused(client, party_a, evidence_store):
    response = post_file(client, party_a, "notes.txt", files.html_page())
    refused(response, "HTML, SVG or script markup")
    assert_nothing_stored(evidence_store)


def test_svg_renamed_csv_is_refused(client, party_a, evidence_store):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    response = post_file(client, party_a, "data.csv", svg)
    refused(response, "HTML, SVG or script markup")
    assert_nothing_stored(evidence_store)


def test_a_csv_that_is_not_utf8_is_refused(client, party_a, evidence_store):
    response = post_file(client, party_a, "data.csv", "name,town\nJosé,Cádiz\n".encode("latin-1"))
    refused(response, "not valid UTF-8")
    assert_nothing_stored(evidence_store)


def test_a_text_file_with_nul_bytes_is_refused(client, party_a, evidence_store):
    response = post_file(client, party_a, "notes.txt", "notes".encode("utf-16-le"))
    refused(response, "null bytes")
    assert_nothing_stored(evidence_store)


def test_one_byte_over_the_limit_is_refused_with_413(client, party_a, evidence_store, settings):
    settings.EVIDENCE_MAX_BYTES = 4096
    data = files.pdf(8)
    data = data + b"%" * (4097 - len(data))
    assert len(data) == 4097
    response = post_file(client, party_a, "big.pdf", data)
    assert response.status_code == 413
    refused(response, "larger than 4.0")
    # The other fields arrived before the file and are kept for the person to resend.
    assert response.context["form"].data["description"] == "Highways inspection report"
    assert_nothing_stored(evidence_store)


def test_exactly_the_limit_is_accepted(client, party_a, evidence_store, settings):
    settings.EVIDENCE_MAX_BYTES = 4096
    data = files.pdf(9)
    data = data[:-7] + b"%" * (4096 - len(data)) + data[-7:]
    assert len(data) == 4096
    assert post_file(client, party_a, "exact.pdf", data).status_code == 302


def test_more_files_than_data_upload_max_number_files_are_refused(
    client, party_a, evidence_store, settings
):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    response = post_file(client, party_a, "a.pdf", files.pdf(10), extra_files=5)
    refused(response, "one file at a time")
    assert_nothing_stored(evidence_store)


def test_two_files_in_one_upload_are_refused(client, party_a, evidence_store):
    response = post_file(client, party_a, "a.pdf", files.pdf(11), extra_files=1)
    refused(response, "one file at a time")
    assert_nothing_stored(evidence_store)


def test_a_zip_of_ten_thousand_entries_is_refused(client, party_a, evidence_store):
    entries = {f"word/media/{i}.xml": b"" for i in range(10_000)}
    bomb = files.docx(12, extra=entries)
    response = post_file(client, party_a, "big.docx", bomb)
    refused(response, "10,003 parts", "at most 2,000")
    assert_nothing_stored(evidence_store)


def test_a_docx_with_a_huge_compression_ratio_is_refused(client, party_a, evidence_store):
    bomb = files.docx(13, extra={"word/media/blob.bin": b"\0" * (60 * 1024 * 1024)})
    assert len(bomb) < 200 * 1024
    response = post_file(client, party_a, "bomb.docx", bomb)
    refused(response, "decompression bomb")
    assert_nothing_stored(evidence_store)


@pytest.mark.parametrize("entry", ["../evil.xml", "../../x", "/etc/passwd", "word/../../x.xml"])
def test_an_archive_entry_outside_the_document_is_refused(client, party_a, evidence_store, entry):
    response = post_file(client, party_a, "report.docx", files.docx_with_entry(entry))
    refused(response, "unsafe path")
    assert_nothing_stored(evidence_store)


def test_xml_entity_expansion_is_refused(client, party_a, evidence_store):
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><document>&lol2;'
    )
    types = zipfile.ZipFile(io.BytesIO(files.docx(14))).read(files.CT)
    bomb = files.zip_with(
        {
            files.CT: types,
            "_rels/.rels": files.RELS.format(target="word/document.xml").encode(),
            "word/document.xml": laughs + b"</document>",
        }
    )
    response = post_file(client, party_a, "laughs.docx", bomb)
    refused(response, "declares XML entities")
    assert_nothing_stored(evidence_store)


def test_entity_declarations_in_the_content_types_part_are_refused(client, party_a, evidence_store):
    types = (
        b'<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">&x;</Types>'
    )
    response = post_file(client, party_a, "x.docx", files.zip_with({files.CT: types}))
    refused(response, "declares XML entities")
    assert_nothing_stored(evidence_store)


@pytest.mark.parametrize("kind", ["docm", "xlsm"])
def test_macro_enabled_content_renamed_to_an_allowed_extension_is_refused(
    client, party_a, evidence_store, kind
):
    name = "report.docx" if kind == "docm" else "scores.xlsx"
    response = post_file(client, party_a, name, files.ooxml(kind, 15))
    refused(response, "contains macros")
    assert_nothing_stored(evidence_store)


def test_a_vba_project_inside_a_docx_is_refused(client, party_a, evidence_store):
    doc = files.docx(16, extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})
    response = post_file(client, party_a, "report.docx", doc)
    refused(response, "contains macros")
    assert_nothing_stored(evidence_store)


def test_an_opendocument_with_basic_macros_is_refused(client, party_a, evidence_store):
    doc = files.odf("odt", 17, extra={"Basic/Standard/Module1.xml": b"<module/>"})
    response = post_file(client, party_a, "minutes.odt", doc)
    refused(response, "contains macros")
    assert_nothing_stored(evidence_store)


def test_a_docx_renamed_xlsx_is_refused(client, party_a, evidence_store):
    response = post_file(client, party_a, "scores.xlsx", files.docx(18))
    refused(response, "content is a Word document, not the .xlsx")
    assert_nothing_stored(evidence_store)


def test_an_empty_file_is_refused(client, party_a, evidence_store):
    response = post_file(client, party_a, "empty.pdf", b"")
    refused(response, "empty")
    assert_nothing_stored(evidence_store)


def test_a_truncated_pdf_is_refused(client, party_a, evidence_store):
    response = post_file(client, party_a, "cut.pdf", files.pdf(19)[:-8])
    refused(response, "no end-of-file marker")
    assert_nothing_stored(evidence_store)


def test_files_beyond_data_upload_max_number_files_leave_no_temporary_file(
    client, party_a, evidence_store, settings
):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1
    response = post_file(client, party_a, "a.pdf", files.pdf(20), extra_files=1)
    refused(response, "one file at a time")
    assert_nothing_stored(evidence_store)


def test_a_name_that_tries_to_inject_a_second_filename_parameter_is_refused(
    client, party_a, evidence_store
):
    response = post_file(
        client, party_a, "", files.pdf(22), filename_part='filename="\\";filename=a.html"'
    )
    refused(response, ".html files cannot be uploaded")
    assert_nothing_stored(evidence_store)


@pytest.mark.parametrize(
    ("filename_part", "stored_name"),
    [
        ('filename="../../x.pdf"', "x.pdf"),
        ('filename="CON.pdf"', "_CON.pdf"),
        (f'filename="{"n" * 300}.pdf"', "n" * 251 + ".pdf"),
        ("filename*=UTF-8''invoice%E2%80%AEgnp.pdf", "invoicegnp.pdf"),
        ('filename="\\";filename=a.html;x.pdf"', '";filename=a.html;x.pdf'),
    ],
)
def test_an_awkward_name_is_kept_only_as_sanitised_metadata(
    client, party_a, evidence_store, filename_part, stored_name
):
    from evidence.models import EvidenceItem

    response = post_file(client, party_a, "", files.pdf(23), filename_part=filename_part)
    assert response.status_code == 302
    item = EvidenceItem.objects.get()
    assert item.original_filename == stored_name
    assert evidence_store.blobs() == [item.storage_key]
    assert re.fullmatch(r"[0-9a-f]{2}/[0-9a-f]{40}", item.storage_key)


def test_uploads_beyond_the_hourly_limit_are_refused_before_the_body_is_read(
    client, party_a, evidence_store, settings
):
    settings.EVIDENCE_UPLOADS_PER_HOUR = 2
    for seed in (1, 2):
        assert post_file(client, party_a, f"r{seed}.pdf", files.pdf(seed)).status_code == 302
    response = post_file(client, party_a, "r3.pdf", files.pdf(3))
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "up to 2 files an hour" in response.content.decode()
    assert len(evidence_store.blobs()) == 2
    assert evidence_store.leftovers() == []
