"""What an evidence file must be before it is stored: the upload rules, one function per rule.

Every refusal is a `FileRefused` (a `ValidationError` on the ``file`` field) whose message names
the rule that was broken, so the person uploading knows what to fix. The client's Content-Type
header never decides anything: the type comes from the bytes (``filetype`` plus a structural check
per format) and must agree with the file name's extension.

The checks read the file as it arrived on disk; nothing here loads a whole file into memory.
Office and OpenDocument files are opened as zip archives and judged on their central directory
(entry count, sizes, ratio, names) before any entry is decompressed; the few XML parts read are
parsed with defusedxml, which refuses DTDs and entity declarations.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

import filetype
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

#: Extension → (kind, canonical content type). The kind is what the bytes must turn out to be.
ALLOWED_EXTENSIONS: dict[str, tuple[str, str]] = {
    "pdf": ("pdf", "application/pdf"),
    "docx": (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "odt": ("odt", "application/vnd.oasis.opendocument.text"),
    "ods": ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
    "csv": ("text", "text/csv"),
    "txt": ("text", "text/plain"),
    "png": ("png", "image/png"),
    "jpg": ("jpeg", "image/jpeg"),
    "jpeg": ("jpeg", "image/jpeg"),
}

ALLOWED_DESCRIPTION = (
    "PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), OpenDocument text (.odt) or "
    "spreadsheet (.ods), CSV, plain text (.txt), PNG or JPEG"
)

KIND_NAMES = {
    "pdf": "a PDF",
    "docx": "a Word document",
    "xlsx": "an Excel workbook",
    "pptx": "a PowerPoint presentation",
    "odt": "an OpenDocument text",
    "ods": "an OpenDocument spreadsheet",
    "text": "text",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "zip": "a zip archive",
    "unknown": "not a format that can be recognised",
}

#: Extensions that must not appear anywhere in a name, even before the last dot
#: ("report.php.pdf"): servers and desktops that trust inner extensions would run them.
_DANGEROUS = """
    php php3 php4 php5 php7 phtml phar asp aspx ascx jsp jspx cgi pl py rb sh bash
    exe dll com bat cmd msi scr vbs vbe js mjs jse ws wsf wsh ps1 psm1 hta jar
    html htm xhtml shtml svg svgz xml xsl swf
"""
DANGEROUS_INNER_EXTENSIONS = frozenset(_DANGEROUS.split())

#: Windows device names: a file called "CON.pdf" cannot even be saved on Windows.
RESERVED_NAMES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"COM{i}" for i in range(1, 10)]
    + [f"LPT{i}" for i in range(1, 10)]
)

MAX_FILENAME_LENGTH = 255

# Archive limits. Real documents have tens to a few hundred entries and compress text 5–20×.
ARCHIVE_MAX_ENTRIES = 2000
ARCHIVE_MAX_UNCOMPRESSED = 1024 * 1024 * 1024
ARCHIVE_MAX_RATIO = 100
ARCHIVE_MAX_ENTRY_RATIO = 1000
XML_PART_MAX_BYTES = 5 * 1024 * 1024
XML_PROLOG_BYTES = 64 * 1024

OOXML_MAIN_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
}
ODF_MIMETYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ENCODED_CONTROL = re.compile(r"%(?:[01][0-9a-f]|7f)", re.IGNORECASE)
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Markup that a browser or an image viewer would treat as a page or a script.
_MARKUP = re.compile(
    rb"<\s*(?:!doctype|html|head|body|script|svg|iframe|object|embed|meta|style|\?xml|img|"
    rb"frameset)\b|javascript:",
    re.IGNORECASE,
)
MARKUP_OVERLAP = 32


class FileRefused(ValidationError):
    """An upload broke one of the rules; the message says which and what to do."""

    def __init__(self, message: str, code: str):
        super().__init__({"file": ValidationError(message, code=code)})
        self.rule = code
        self.reason = message


# --- Names -----------------------------------------------------------------------------------


def _strip_invisible(name: str) -> str:
    name = unicodedata.normalize("NFC", name)
    name = _BIDI.sub("", name)
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cs"))
    return name


def sanitise_filename(name: str) -> str:
    """The uploader's file name made safe to keep and show: no path, no control or bidi
    characters, no Windows device name, at most 255 characters with the extension kept.

    It is metadata only: files are stored under a random key.
    """
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _strip_invisible(name).strip().rstrip(". ")
    name = re.sub(r"\s+", " ", name)
    if name in ("", ".", ".."):
        name = "evidence"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.split(".")[0].upper() in RESERVED_NAMES:
        stem = f"_{stem}"
    ext = ext[:20]
    room = MAX_FILENAME_LENGTH - (len(ext) + 1 if ext else 0)
    stem = stem[:room].rstrip(". ") or "evidence"
    return f"{stem}.{ext}" if ext else stem


def check_filename(raw_name: str) -> str:
    """The lower-case extension of an allowed file name; refuses names that try to smuggle
    another type past the allow-list (inner or encoded extensions, trailing dots or spaces)."""
    name = (raw_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    if _CONTROL.search(name) or _ENCODED_CONTROL.search(name) or "\x00" in name:
        raise FileRefused(
            "The file name contains a control character or an encoded null byte (such as %00). "
            "Rename the file using letters, numbers, spaces, dots, dashes and underscores.",
            "filename_control",
        )
    if name != name.rstrip(". "):
        raise FileRefused(
            "The file name ends with a dot or a space. Rename the file so it ends with its "
            "extension, for example .pdf.",
            "filename_trailing",
        )
    stem, dot, ext = name.rpartition(".")
    ext = ext.lower()
    if not dot or not stem:
        raise FileRefused(
            f"The file name has no extension. Upload a {ALLOWED_DESCRIPTION} file whose name "
            "ends with its extension, for example .pdf.",
            "extension_missing",
        )
    if ext not in ALLOWED_EXTENSIONS:
        hint = " Save it without macros as .docx, .xlsx or .pptx." if ext.endswith("m") else ""
        raise FileRefused(
            f".{ext} files cannot be uploaded. Upload a {ALLOWED_DESCRIPTION} file.{hint}",
            "extension_not_allowed",
        )
    inner = {part.lower().strip() for part in stem.split(".")[1:]}
    bad = sorted(inner & DANGEROUS_INNER_EXTENSIONS)
    if bad:
        raise FileRefused(
            f"The file name hides another extension (.{bad[0]}) before .{ext}. Rename the file "
            "so it has only its real extension.",
            "extension_double",
        )
    return ext


# --- Scanning the bytes as they stream -------------------------------------------------------


@dataclass
class StreamScan:
    """SHA-256, size, the first bytes and the text checks, computed chunk by chunk as an upload
    streams in, so nothing needs the whole file in memory or a second pass over it."""

    head_limit: int = 64 * 1024
    size: int = 0
    head: bytearray = field(default_factory=bytearray)
    utf8_valid: bool = True
    has_nul: bool = False
    has_markup: bool = False
    _hash: object = field(default_factory=hashlib.sha256, repr=False)
    _decoder: object = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")(), repr=False
    )
    _tail: bytes = b""

    def feed(self, chunk: bytes | memoryview) -> None:
        self._hash.update(chunk)
        self.size += len(chunk)
        if len(self.head) < self.head_limit:
            self.head += chunk[: self.head_limit - len(self.head)]
        if not self.utf8_valid:
            return  # not text: nothing more to learn from the rest
        chunk = bytes(chunk)  # the upload reader passes zero-copy views
        if b"\x00" in chunk:
            self.has_nul = True
            self.utf8_valid = False
            return
        try:
            self._decoder.decode(chunk)
        except UnicodeDecodeError:
            self.utf8_valid = False
            return
        if not self.has_markup:
            window = self._tail + chunk
            if _MARKUP.search(window):
                self.has_markup = True
            self._tail = window[-MARKUP_OVERLAP:]

    def finish(self) -> None:
        if self.utf8_valid:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.utf8_valid = False

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


def scan_stream(fileobj: BinaryIO, chunk_size: int = 1024 * 1024) -> StreamScan:
    """Scans a file that did not stream through the upload handler (commands, the API)."""
    scan = StreamScan()
    fileobj.seek(0)
    while chunk := fileobj.read(chunk_size):
        scan.feed(chunk)
    scan.finish()
    fileobj.seek(0)
    return scan


# --- Content ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inspection:
    """What an accepted file turned out to be."""

    extension: str
    kind: str
    content_type: str
    sha256: str
    size: int
    display_name: str


def _refuse_mismatch(ext: str, found: str) -> FileRefused:
    return FileRefused(
        f"The file's content is {KIND_NAMES.get(found, f'a .{found} file')}, not the .{ext} its "
        "name says. Upload the file in its real format with the matching extension.",
        "content_mismatch",
    )


def _sniff(head: bytes) -> str | None:
    guess = filetype.guess(bytes(head[:8192]))
    if guess is None:
        return None
    mime = guess.mime
    for kind, content_type in ALLOWED_EXTENSIONS.values():
        if content_type == mime:
            return kind
    if mime == "application/zip" or head[:4] == b"PK\x03\x04":
        return "zip"
    return guess.extension


def inspect_upload(
    fileobj: BinaryIO, *, raw_name: str, max_bytes: int, scan: StreamScan | None = None
) -> Inspection:
    """Applies every rule to one uploaded file and says what it is, or raises `FileRefused`."""
    ext = check_filename(raw_name)
    if scan is None:
        scan = scan_stream(fileobj)
    if scan.size == 0:
        raise FileRefused("The file is empty. Upload a file that has content.", "empty")
    if scan.size > max_bytes:
        raise FileRefused(too_large_message(max_bytes), "too_large")
    kind, content_type = ALLOWED_EXTENSIONS[ext]
    sniffed = _sniff(bytes(scan.head))
    if kind == "text":
        _check_text(scan, sniffed, ext)
    elif kind in OOXML_MAIN_TYPES or kind in ODF_MIMETYPES:
        if sniffed not in (kind, "zip", *OOXML_MAIN_TYPES, *ODF_MIMETYPES):
            raise _refuse_mismatch(ext, sniffed or ("text" if scan.utf8_valid else "unknown"))
        found = check_archive(fileobj, expected=kind)
        if found != kind:
            raise _refuse_mismatch(ext, found)
    else:
        if sniffed != kind:
            raise _refuse_mismatch(ext, sniffed or ("text" if scan.utf8_valid else "unknown"))
        {"pdf": _check_pdf, "png": _check_png, "jpeg": _check_jpeg}[kind](fileobj, scan)
    fileobj.seek(0)
    return Inspection(
        extension=ext,
        kind=kind,
        content_type=content_type,
        sha256=scan.sha256,
        size=scan.size,
        display_name=sanitise_filename(raw_name),
    )


def too_large_message(max_bytes: int) -> str:
    return (
        f"The file is larger than {filesizeformat(max_bytes)}, the most an evidence file may be. "
        "Upload a smaller file, or split it into parts."
    )


def _check_text(scan: StreamScan, sniffed: str | None, ext: str) -> None:
    if sniffed is not None:
        raise _refuse_mismatch(ext, sniffed)
    if scan.has_nul:
        raise FileRefused(
            f"The .{ext} file contains null bytes, so it is not plain text. Save it as UTF-8 text "
            "and upload it again.",
            "text_binary",
        )
    if not scan.utf8_valid:
        raise FileRefused(
            f"The .{ext} file is not valid UTF-8 text. Save it with UTF-8 encoding (in Excel: "
            "'CSV UTF-8') and upload it again.",
            "text_encoding",
        )
    if scan.has_markup:
        raise FileRefused(
            f"The .{ext} file contains HTML, SVG or script markup. Only plain text and CSV data "
            "can be uploaded as text; upload a PDF instead.",
            "text_markup",
        )


def _check_pdf(fileobj: BinaryIO, scan: StreamScan) -> None:
    fileobj.seek(max(0, scan.size - 8192))
    if b"%%EOF" not in fileobj.read():
        raise FileRefused(
            "The PDF is incomplete (it has no end-of-file marker). Export the PDF again and "
            "upload the new copy.",
            "pdf_truncated",
        )


def _check_png(fileobj: BinaryIO, scan: StreamScan) -> None:
    """Walks every PNG chunk (length, type, CRC) to IEND: nothing may hide after or between."""

    def refuse(why: str) -> FileRefused:
        return FileRefused(
            f"The PNG image is not well formed ({why}). Export the image again as PNG.",
            "png_malformed",
        )

    fileobj.seek(8)
    position, first = 8, True
    while True:
        header = fileobj.read(8)
        if len(header) < 8:
            raise refuse("it ends before its last chunk")
        length, ctype = struct.unpack(">I4s", header)
        if not ctype.isalpha() or length > 2**31 - 1 or position + 12 + length > scan.size:
            raise refuse("a chunk header is invalid")
        if first and ctype != b"IHDR":
            raise refuse("it does not start with an image header")
        first = False
        crc = zlib.crc32(ctype)
        remaining = length
        while remaining:
            data = fileobj.read(min(remaining, 1024 * 1024))
            if not data:
                raise refuse("a chunk is cut short")
            crc = zlib.crc32(data, crc)
            remaining -= len(data)
        (stored_crc,) = struct.unpack(">I", fileobj.read(4))
        if stored_crc != crc & 0xFFFFFFFF:
            raise refuse("a chunk's checksum is wrong")
        position += 12 + length
        if ctype == b"IEND":
            break
    if position != scan.size:
        raise refuse("there is data after the end of the image")


def _check_jpeg(fileobj: BinaryIO, scan: StreamScan) -> None:
    """Walks the JPEG marker segments up to the image data, and needs the end-of-image marker."""

    def refuse(why: str) -> FileRefused:
        return FileRefused(
            f"The JPEG image is not well formed ({why}). Export the image again as JPEG.",
            "jpeg_malformed",
        )

    fileobj.seek(2)
    while True:
        marker = fileobj.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            raise refuse("a segment marker is missing")
        code = marker[1]
        if code == 0xD9:
            raise refuse("it has no image data")
        if code == 0x01 or 0xD0 <= code <= 0xD7:
            continue
        raw = fileobj.read(2)
        if len(raw) < 2:
            raise refuse("a segment is cut short")
        (length,) = struct.unpack(">H", raw)
        if length < 2:
            raise refuse("a segment length is invalid")
        fileobj.seek(length - 2, 1)
        if code == 0xDA:  # start of scan: entropy-coded data follows
            break
    fileobj.seek(max(0, scan.size - 4096))
    if b"\xff\xd9" not in fileobj.read():
        raise refuse("it has no end-of-image marker")


# --- Archives (Office Open XML and OpenDocument) ---------------------------------------------


def _refuse_archive(why: str, code: str) -> FileRefused:
    return FileRefused(
        f"The document was refused because {why}. Open it in its application, save a fresh "
        "copy and upload that.",
        code,
    )


def _unsafe_entry_name(name: str) -> bool:
    if not name or "\x00" in name or "\\" in name:
        return True
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return True
    return any(part == ".." for part in name.split("/"))


def check_archive(fileobj: BinaryIO, *, expected: str) -> str:
    """Judges an Office/OpenDocument zip on its directory before reading any entry, then reads
    the few parts that say what it is. Returns the kind it found ("docx", "ods", …)."""
    fileobj.seek(0, 2)
    compressed_size = fileobj.tell()
    fileobj.seek(0)
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refuse_archive("it is not a readable zip archive", "archive_invalid") from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > ARCHIVE_MAX_ENTRIES:
            raise _refuse_archive(
                f"it holds {len(entries):,} parts (at most {ARCHIVE_MAX_ENTRIES:,} are allowed)",
                "archive_entries",
            )
        names = set()
        total = 0
        for info in entries:
            if _unsafe_entry_name(info.filename):
                raise _refuse_archive(
                    "a part has an unsafe path (absolute, or containing '..')", "archive_path"
                )
            if info.filename in names:
                raise _refuse_archive("two parts have the same name", "archive_path")
            names.add(info.filename)
            if info.flag_bits & 0x1:
                raise _refuse_archive("it is encrypted", "archive_encrypted")
            total += info.file_size
            if info.file_size > 1024 * 1024 and (
                info.file_size > ARCHIVE_MAX_ENTRY_RATIO * max(info.compress_size, 1)
            ):
                raise _refuse_archive(
                    "a part expands more than a thousandfold (a decompression bomb)",
                    "archive_ratio",
                )
        if total > ARCHIVE_MAX_UNCOMPRESSED:
            raise _refuse_archive(
                f"it would expand to {filesizeformat(total)} (more than "
                f"{filesizeformat(ARCHIVE_MAX_UNCOMPRESSED)})",
                "archive_size",
            )
        if total > 10 * 1024 * 1024 and total > ARCHIVE_MAX_RATIO * max(compressed_size, 1):
            raise _refuse_archive(
                f"it expands more than {ARCHIVE_MAX_RATIO}-fold (a decompression bomb)",
                "archive_ratio",
            )
        # The directory is sound: now look inside, XML parts through defusedxml only.
        for info in entries:
            if info.filename.lower().endswith((".xml", ".rels")):
                _check_xml_prolog(archive, info)
        if "[Content_Types].xml" in names:
            return _ooxml_kind(archive, names)
        if "mimetype" in names:
            return _odf_kind(archive, names)
    return "zip"


def _read_part(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    with archive.open(name) as part:
        data = part.read(limit + 1)
    if len(data) > limit:
        raise _refuse_archive(f"its part {name} is implausibly large", "archive_size")
    return data


def _check_xml_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    with archive.open(info) as part:
        prolog = part.read(XML_PROLOG_BYTES)
    if re.search(rb"<!\s*(DOCTYPE|ENTITY)", prolog, re.IGNORECASE):
        raise _refuse_archive(
            "it declares XML entities (a document type definition), which can expand without limit",
            "xml_entities",
        )


def _parse_xml(data: bytes, name: str):
    try:
        return SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise _refuse_archive(
            "it declares XML entities (a document type definition), which can expand without limit",
            "xml_entities",
        ) from exc
    except SafeET.ParseError as exc:
        raise _refuse_archive(f"its part {name} is not well-formed XML", "xml_invalid") from exc


def _ooxml_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    root = _parse_xml(_read_part(archive, "[Content_Types].xml", XML_PART_MAX_BYTES), "types")
    types = {el.get("ContentType", "") for el in root.iter() if el.get("ContentType")}
    lowered = {t.lower() for t in types}
    if any("macroenabled" in t or "vbaproject" in t for t in lowered) or any(
        n.lower().endswith("vbaproject.bin") for n in names
    ):
        raise FileRefused(
            "The document contains macros (it is macro-enabled, like .docm or .xlsm). Save it "
            "as a .docx, .xlsx or .pptx without macros and upload that.",
            "macros",
        )
    for kind, main in OOXML_MAIN_TYPES.items():
        if main in types:
            return kind
    return "zip"


def _odf_kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    mimetype = _read_part(archive, "mimetype", 200).decode("ascii", "replace").strip()
    if any(n.startswith(("Basic/", "Scripts/")) for n in names):
        raise FileRefused(
            "The document contains macros or scripts. Save it without macros and upload that.",
            "macros",
        )
    if "META-INF/manifest.xml" in names:
        _parse_xml(_read_part(archive, "META-INF/manifest.xml", XML_PART_MAX_BYTES), "manifest")
    for kind, expected in ODF_MIMETYPES.items():
        if mimetype == expected:
            return kind
    return "zip"
