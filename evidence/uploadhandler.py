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
import queue
import tempfile
import threading

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from .multipart import LeanMultipartReader
from .rules import StreamScan, too_large_message
from .storage import is_local, staging_dir

#: How much of an upload may wait in the page cache before its write to disk is started.
WRITEBACK_STEP = 32 * 1024 * 1024


class _Writer(threading.Thread):
    """Writes and hashes chunks beside the request thread, which goes on parsing the body.

    Both file writes and SHA-256 release the GIL, so on a multi-core server the upload runs at
    the speed of the slower of parsing and hashing rather than their sum. The queue is short, so
    at most a few chunks are in memory.
    """

    def __init__(self, streamed: StreamedEvidenceFile, *, early_writeback: bool = False):
        super().__init__(name="evidence-upload-writer", daemon=True)
        self.streamed = streamed
        self.chunks: queue.Queue[bytes | memoryview | None] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.early_writeback = early_writeback and hasattr(os, "posix_fadvise")
        self.written = 0
        self.written_back = 0

    def run(self) -> None:
        handle, scan = self.streamed.file, self.streamed.scan
        while (chunk := self.chunks.get()) is not None:
            if self.error is None:
                try:
                    handle.write(chunk)
                    scan.feed(chunk)
                    self.written += len(chunk)
                    if self.early_writeback:
                        self._start_writeback(handle)
                except BaseException as exc:  # noqa: BLE001 - re-raised in the request thread
                    self.error = exc

    def _start_writeback(self, handle) -> None:
        """Asks the kernel to start writing what has arrived so far to disk, without waiting.

        The stored file is flushed to disk before its row is saved; started early, that
        flush overlaps the upload instead of following it, and a large upload does not fill
        the page cache with pages nobody is about to read.
        """
        pending = self.written - self.written_back
        if pending >= WRITEBACK_STEP:
            os.posix_fadvise(handle.fileno(), self.written_back, pending, os.POSIX_FADV_DONTNEED)
            self.written_back = self.written

    def put(self, chunk: bytes | memoryview) -> None:
        if self.error is not None:
            raise self.error
        self.chunks.put(chunk)

    def finish(self) -> None:
        """Waits for every queued chunk to be written; raises what went wrong, if anything."""
        self.chunks.put(None)
        self.join()
        if self.error is not None:
            raise self.error


class StreamedEvidenceFile(UploadedFile):
    """An upload on disk with what was learnt while it streamed (`scan`)."""

    def __init__(self, path: str, handle, name: str, content_type: str, charset=None):
        super().__init__(handle, name, content_type, 0, charset)
        self.path = path
        #: The file name as the client sent it (after Django's own path stripping).
        self.raw_name = name
        self.scan = StreamScan()
        self.writer: _Writer | None = None

    def temporary_file_path(self) -> str:
        return self.path

    def close(self):
        """Closes and removes the temporary file; once stored (renamed away) it is not there."""
        try:
            return self.file.close()
        finally:
            self.discard()

    def discard(self) -> None:
        if self.writer is not None and self.writer.is_alive():
            with contextlib.suppress(BaseException):
                self.writer.finish()
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

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        """Reads the whole body with the lean reader (fewer copies than Django's parser)."""
        return LeanMultipartReader(self, input_data, content_length, boundary, encoding).parse()

    def new_file(self, field_name, file_name, content_type, content_length, *args, **kwargs):
        super().new_file(field_name, file_name, content_type, content_length, *args, **kwargs)
        if len(self.files) >= self.max_files:
            self._stop("Upload one file at a time.", 400)
        fd, path = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=staging_dir())
        handle = os.fdopen(fd, "w+b")
        # The client's Content-Type is kept only as what it claimed; it never decides anything.
        self.file = StreamedEvidenceFile(path, handle, file_name, content_type or "")
        self.files.append(self.file)
        self.file.writer = _Writer(self.file, early_writeback=is_local())
        self.file.writer.start()

    def receive_data_chunk(self, raw_data: bytes | memoryview, start: int):
        if start + len(raw_data) > self.max_bytes:
            self._stop(too_large_message(self.max_bytes), 413)
        self.file.writer.put(raw_data)
        return None

    def file_complete(self, file_size: int) -> StreamedEvidenceFile:
        self.file.writer.finish()
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
