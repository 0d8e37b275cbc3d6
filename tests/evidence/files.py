"""Real files of every accepted type, and the hostile ones the upload rules must refuse.

Each builder takes a `seed` so that two files differ (the duplicate rule would refuse twins).
"""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook
from PIL import Image

CT = "[Content_Types].xml"
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="{target}"/></Relationships>'
)
OOXML = {
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "docm": ("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
    "xlsm": ("xl/workbook.xml", "application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
}


def pdf(seed: int = 0, body: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
        + f"% evidence {seed}\n".encode()
        + body
        + b"\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def png(seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (seed % 256, (seed // 256) % 256, 80)).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (seed % 256, 40, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def ooxml(
    kind: str = "docx", seed: int = 0, extra: dict[str, bytes] | None = None, body: bytes = b""
) -> bytes:
    part, main_type = OOXML[kind]
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{main_type}"/></Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(CT, types)
        archive.writestr("_rels/.rels", RELS.format(target=part))
        archive.writestr(
            part,
            f'<?xml version="1.0" encoding="UTF-8"?><document seed="{seed}">'.encode()
            + body
            + b"</document>",
        )
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx(seed: int = 0, **kwargs) -> bytes:
    return ooxml("docx", seed, **kwargs)


def pptx(seed: int = 0) -> bytes:
    return ooxml("pptx", seed)


def xlsx(seed: int = 0) -> bytes:
    workbook = Workbook()
    workbook.active["A1"] = f"Customer satisfaction {seed}"
    workbook.active["B1"] = seed
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def odf(kind: str = "odt", seed: int = 0, extra: dict[str, bytes] | None = None) -> bytes:
    mimetype = {
        "odt": "application/vnd.oasis.opendocument.text",
        "ods": "application/vnd.oasis.opendocument.spreadsheet",
    }[kind]
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # stored, first, as ODF requires
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr(
            "content.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            f'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" seed="{seed}"/>',
            zipfile.ZIP_DEFLATED,
        )
        for name, data in (extra or {}).items():
            archive.writestr(name, data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def csv(seed: int = 0) -> bytes:
    return f"\ufeffquarter,score,comment\n2025 Q{seed % 4 + 1},{seed},Résumé of survey\n".encode()


def txt(seed: int = 0) -> bytes:
    return f"Site inspection notes {seed}.\nAll gullies cleared – see photos.\n".encode()


VALID = {
    "pdf": pdf,
    "docx": docx,
    "xlsx": xlsx,
    "pptx": pptx,
    "odt": lambda seed=0: odf("odt", seed),
    "ods": lambda seed=0: odf("ods", seed),
    "csv": csv,
    "txt": txt,
    "png": png,
    "jpg": jpeg,
    "jpeg": jpeg,
}


def zip_with(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_with_entry(name: str, data: bytes = b"payload") -> bytes:
    """A docx carrying one more entry under a name that zipfile writes as given ("../x")."""
    return docx(99, extra={name: data})


def html_page() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def multipart(
    fields: dict[str, str], files: list[tuple[str, str, bytes, str]], boundary: str = "EVIDENCE"
) -> tuple[bytes, str]:
    """A multipart body written byte for byte, so tests control the exact file name header and
    the claimed Content-Type. `files` holds (field, disposition filename part, bytes, type)."""
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f"--{boundary}\r\n".encode())
        out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for field, filename_part, data, content_type in files:
        out.write(f"--{boundary}\r\n".encode())
        out.write(f'Content-Disposition: form-data; name="{field}"; {filename_part}\r\n'.encode())
        out.write(f"Content-Type: {content_type}\r\n\r\n".encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"
