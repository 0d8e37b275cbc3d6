"""A lean multipart/form-data reader for evidence uploads.

Django's `MultiPartParser` copies every byte of a file several times on its way to the upload
handler (joining and slicing each chunk around the boundary search), which caps a large upload at
a fraction of the disk's speed. This reader finds the boundary in each chunk as it arrives and
hands the file's bytes on as zero-copy views of that chunk; only the few bytes that might be the
start of a boundary are ever held back. It keeps Django's limits and conventions: the number of
fields and files, the size of the non-file fields, file names stripped of paths and unprintable
characters, a part without a file name skipped.

It plugs in through the documented upload-handler hook (`FileUploadHandler.handle_raw_input`),
so the request's ``POST`` and ``FILES`` look exactly as Django's parser would make them. Under
gunicorn it reads the body straight from the socket (`evidence.rawbody`).
"""

from __future__ import annotations

import html

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadhandler import StopUpload
from django.http import QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.encoding import force_str
from django.utils.http import parse_header_parameters

from .rawbody import direct_body

READ_SIZE = 1024 * 1024
MAX_HEADER_BYTES = 16 * 1024


def sanitize_file_name(file_name: str) -> str | None:
    """The same cleaning Django's own parser applies to uploaded file names."""
    file_name = html.unescape(file_name)
    file_name = file_name.rsplit("/")[-1].rsplit("\\")[-1]
    file_name = "".join(char for char in file_name if char.isprintable())
    return None if file_name in {"", ".", ".."} else file_name


def _held_back(data: bytes, delimiter: bytes) -> int:
    """How many bytes at the end of `data` could be the start of the delimiter."""
    start = max(0, len(data) - len(delimiter) + 1)
    position = data.find(b"\r", start)
    while position != -1:
        if delimiter.startswith(data[position:]):
            return len(data) - position
        position = data.find(b"\r", position + 1)
    return 0


class LeanMultipartReader:
    def __init__(self, handler, stream, content_length: int, boundary: bytes, encoding=None):
        self.handler = handler
        self.stream = direct_body(stream, content_length) or stream
        self.remaining = content_length
        self.delimiter = b"\r\n--" + boundary
        self.encoding = encoding or settings.DEFAULT_CHARSET
        self.post = QueryDict(mutable=True)
        self.files = MultiValueDict()
        self.field_bytes = 0
        self.field_count = 0
        self.file_count = 0

    def _read(self) -> bytes | bytearray:
        if self.remaining <= 0:
            return b""
        data = self.stream.read(min(READ_SIZE, self.remaining))
        self.remaining -= len(data)
        return data

    def _drain(self) -> None:
        while self._read():
            pass

    def parse(self) -> tuple[QueryDict, MultiValueDict]:
        try:
            self._parse()
        except StopUpload:
            self._drain()
        self.post._mutable = False
        return self.post, self.files

    def _parse(self) -> None:
        # The body opens with "--boundary"; a CRLF in front makes every boundary look alike.
        data = b"\r\n" + self._read()
        data = self._skip_to_delimiter(data)
        while data is not None:
            data = self._need(data, 2)
            if data[:2] == b"--":
                self._drain()
                return
            if data[:2] != b"\r\n":
                raise MultiPartParserError("Malformed multipart body: bad boundary line.")
            data = self._part(data[2:])

    def _need(self, data: bytes, count: int) -> bytes:
        while len(data) < count:
            more = self._read()
            if not more:
                raise MultiPartParserError("The multipart body ended early.")
            data += more
        return data

    def _skip_to_delimiter(self, data: bytes) -> bytes | None:
        while True:
            index = data.find(self.delimiter)
            if index != -1:
                return data[index + len(self.delimiter) :]
            keep = _held_back(data, self.delimiter)
            more = self._read()
            if not more:
                raise MultiPartParserError("The multipart body has no parts.")
            data = (data[len(data) - keep :] if keep else b"") + more

    def _part(self, data: bytes) -> bytes:
        while (end := data.find(b"\r\n\r\n")) == -1:
            if len(data) > MAX_HEADER_BYTES:
                raise MultiPartParserError("A part's headers are too long.")
            more = self._read()
            if not more:
                raise MultiPartParserError("The multipart body ended inside a part's headers.")
            data += more
        headers: dict[str, str] = {}
        for line in data[:end].decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        data = data[end + 4 :]
        _, disposition = parse_header_parameters(headers.get("content-disposition", ""))
        field_name = force_str(disposition.get("name", ""), self.encoding, errors="replace")
        if headers.get("content-transfer-encoding", "").lower() == "base64":
            raise MultiPartParserError("Base64-encoded parts are not accepted.")
        if not disposition.get("filename"):  # Django's rule: an empty file name makes a field
            return self._field(field_name, data)
        self.file_count += 1
        max_files = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        if max_files is not None and self.file_count > max_files:
            raise TooManyFilesSent(
                "The number of files exceeded settings.DATA_UPLOAD_MAX_NUMBER_FILES."
            )
        file_name = sanitize_file_name(
            force_str(disposition["filename"], self.encoding, errors="replace")
        )
        if not file_name:
            return self._body(data, None)
        content_type, extra = parse_header_parameters(headers.get("content-type", ""))
        self.handler.new_file(field_name, file_name, content_type, None, extra.get("charset"))
        data = self._body(data, self.handler.receive_data_chunk)
        self.files.appendlist(field_name, self.handler.file_complete(self._received))
        return data

    def _field(self, name: str, data: bytes) -> bytes:
        value = bytearray()

        def collect(chunk, start):
            value.extend(chunk)
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and self.field_bytes + len(value) > limit:
                raise RequestDataTooBig(
                    "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."
                )

        data = self._body(data, collect)
        self.field_count += 1
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        if limit is not None and self.field_count > limit:
            raise TooManyFieldsSent(
                "The number of GET/POST parameters exceeded settings.DATA_UPLOAD_MAX_NUMBER_FIELDS."
            )
        self.field_bytes += len(value) + len(name) + 2
        self.post.appendlist(name, force_str(bytes(value), self.encoding, errors="replace"))
        return data

    def _body(self, data: bytes, sink) -> bytes:
        """Passes the part's bytes to `sink(view, offset)` up to the next delimiter; returns
        what follows the delimiter."""
        self._received = 0
        while True:
            index = data.find(self.delimiter)
            if index != -1:
                self._emit(sink, data, index)
                return data[index + len(self.delimiter) :]
            keep = _held_back(data, self.delimiter)
            self._emit(sink, data, len(data) - keep)
            more = self._read()
            if not more:
                raise MultiPartParserError("The multipart body ended inside a part.")
            data = data[len(data) - keep :] + more if keep else more

    def _emit(self, sink, data: bytes, length: int) -> None:
        if length <= 0:
            return
        if sink is not None:
            # A view, not a copy: safe to hand to the writer thread, as no buffer is written
            # to again once read (each read gets a fresh one).
            sink(memoryview(data)[:length], self._received)
        self._received += length
