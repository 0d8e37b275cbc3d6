"""Streaming evidence uploads to disk: size limit, SHA-256 and text checks as the bytes arrive.

Installed per request by the upload views (``request.upload_handlers = [handler]`` before the body
is read), so the rest of the site keeps Django's default handlers. The file streams into the
evidence storage's own folder for local storage, so storing it is a rename rather than a copy.
Whatever happens – a refusal, a dropped connection, a parse error – the view calls
`EvidenceUploadHandler.discard_all()` and no temporary file outlives the request.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from .rules import StreamScan, too_large_message
from .storage import staging_dir


class StreamedEvidenceFile(UploadedFile):
    """An upload on disk with what was learnt while it streamed (`scan`)."""

    def __init__(self, path: str, handle, name: str, content_type: str, charset=None):
        super().__init__(handle, name, content_type, 0, charset)
        self.path = path
        #: The file name as the client sent it (after Django's own path stripping).
        self.raw_name = name
        self.scan = StreamScan()

    def temporary_file_path(self) -> str:
        return self.path

    def close(self):
        """Closes and removes the temporary file; once stored (renamed away) it is not there."""
        try:
            return self.file.close()
        finally:
            self.discard()

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.path)


class EvidenceUploadHandler(FileUploadHandler):
    """Streams one file to disk, refusing it as soon as it passes ``EVIDENCE_MAX_BYTES``."""

    chunk_size = 1024 * 1024

    def __init__(self, request=None, *, max_bytes: int | None = None, max_files: int = 1):
        super().__init__(request)
        self.max_bytes = settings.EVIDENCE_MAX_BYTES if max_bytes is None else max_bytes
        self.max_files = max_files
        self.files: list[StreamedEvidenceFile] = []
        #: Why the upload was stopped, and the HTTP status that says so (None when it was not).
        self.refusal: str | None = None
        self.refusal_status: int = 400

    def _stop(self, message: str, status: int) -> None:
        self.refusal = message
        self.refusal_status = status
        self.discard_all()
        raise StopUpload(connection_reset=False)

    def new_file(self, field_name, file_name, content_type, content_length, *args, **kwargs):
        super().new_file(field_name, file_name, content_type, content_length, *args, **kwargs)
        if len(self.files) >= self.max_files:
            self._stop("Upload one file at a time.", 400)
        fd, path = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=staging_dir())
        handle = os.fdopen(fd, "w+b")
        # The client's Content-Type is kept only as what it claimed; it never decides anything.
        self.file = StreamedEvidenceFile(path, handle, file_name, content_type or "")
        self.files.append(self.file)

    def receive_data_chunk(self, raw_data: bytes, start: int):
        if start + len(raw_data) > self.max_bytes:
            self._stop(too_large_message(self.max_bytes), 413)
        self.file.write(raw_data)
        self.file.scan.feed(raw_data)
        return None

    def file_complete(self, file_size: int) -> StreamedEvidenceFile:
        self.file.scan.finish()
        self.file.flush()
        self.file.seek(0)
        self.file.size = file_size
        return self.file

    def upload_interrupted(self) -> None:
        self.discard_all()

    def discard_all(self) -> None:
        """Removes every temporary file this request created that was not stored."""
        for streamed in self.files:
            streamed.discard()
