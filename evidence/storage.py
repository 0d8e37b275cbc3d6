"""Where evidence files live: Django's ``storages["evidence"]`` (local folder or S3-compatible).

Files are stored under random keys; the app writes each key once and never overwrites or deletes
a stored file that has a row. Two prefixes are the app's own and never hold evidence: uploads in
flight (local storage only, so the final store is a rename) and the quarantine for blobs that
turned out to have no row.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages

INCOMING_DIR = ".incoming"
QUARANTINE_PREFIX = "quarantine"
RESERVED_PREFIXES = (INCOMING_DIR, QUARANTINE_PREFIX)
READ_CHUNK = 1024 * 1024


def evidence_storage() -> Storage:
    return storages["evidence"]


def is_local(storage: Storage | None = None) -> bool:
    return isinstance(storage or evidence_storage(), FileSystemStorage)


def new_storage_key() -> str:
    """A random, server-generated key; two hex characters of it make a sub-folder so no single
    folder grows huge. Nothing of the uploader's file name goes into it."""
    token = secrets.token_hex(20)
    return f"{token[:2]}/{token}"


def staging_dir() -> Path:
    """Where an upload streams to while it arrives: inside the evidence folder for local storage
    (same file system, so storing it is a rename, not a copy), else the temporary folder."""
    storage = evidence_storage()
    if isinstance(storage, FileSystemStorage):
        path = Path(storage.location) / INCOMING_DIR
    else:
        path = Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def make_durable(key: str, storage: Storage | None = None) -> None:
    """Flushes a newly stored local file and its folder entry to disk.

    Called before the evidence row commits, so a committed row never points at a file that a
    power cut could still truncate or lose. Object storage confirms durability in its own
    response, so there is nothing to do for it.
    """
    storage = storage or evidence_storage()
    if not isinstance(storage, FileSystemStorage):
        return
    path = Path(storage.path(key))
    for target in (path, path.parent):
        descriptor = os.open(target, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def iter_blob(key: str, chunk_size: int = READ_CHUNK) -> Iterator[bytes]:
    """The stored bytes of one key, chunk by chunk (FileNotFoundError when it is gone)."""
    with evidence_storage().open(key, "rb") as handle:
        while chunk := handle.read(chunk_size):
            yield chunk


def hash_blob(key: str) -> tuple[str, int]:
    """SHA-256 and size of a stored file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    for chunk in iter_blob(key):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def list_blobs(storage: Storage | None = None, prefix: str = "") -> Iterator[str]:
    """Every stored key outside the app's own in-flight and quarantine prefixes."""
    storage = storage or evidence_storage()
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{prefix}/{name}" if prefix else name
    for directory in directories:
        if not prefix and directory in RESERVED_PREFIXES:
            continue
        yield from list_blobs(storage, f"{prefix}/{directory}" if prefix else directory)
