"""Evidence tests run on both storages: the local folder and a real S3-compatible server.

The S3 server is moto's threaded server, listening on a loopback port for the whole session; boto3
talks to it over HTTP like to any S3 endpoint (no patched client). Each test gets its own key
prefix, so tests never see each other's files.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.storage import Storage, storages

from evidence.storage import evidence_storage, list_blobs, staging_dir

S3_BUCKET = "evidence-tests"
S3_CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}


@pytest.fixture(scope="session")
def s3_endpoint() -> str:
    from moto.server import ThreadedMotoServer

    # boto3 ≥ 1.36 adds CRC checksums to every request unless told to only when required; an
    # S3-compatible server need not support them.
    os.environ["AWS_REQUEST_CHECKSUM_CALCULATION"] = "when_required"
    os.environ["AWS_RESPONSE_CHECKSUM_VALIDATION"] = "when_required"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    import boto3

    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_CREDENTIALS["access_key"],
        aws_secret_access_key=S3_CREDENTIALS["secret_key"],
    ).create_bucket(Bucket=S3_BUCKET)
    yield endpoint
    server.stop()


@dataclass
class EvidenceStore:
    kind: str
    temp_dir: Path

    @property
    def storage(self) -> Storage:
        return evidence_storage()

    def blobs(self) -> list[str]:
        return sorted(list_blobs(self.storage))

    def leftovers(self) -> list[str]:
        """Temporary upload files still on disk (there must never be any after a request)."""
        found = [p.name for p in self.temp_dir.iterdir()] if self.temp_dir.exists() else []
        incoming = staging_dir()
        if incoming != self.temp_dir:
            found += [p.name for p in incoming.iterdir()]
        return found

    def overwrite(self, key: str, data: bytes) -> None:
        """Changes a stored file behind the app's back (what a disk fault or an intruder does)."""
        if self.kind == "local":
            Path(self.storage.path(key)).write_bytes(data)
        else:
            self.storage.bucket.Object(self.storage._normalize_name(key)).put(Body=data)

    def remove(self, key: str) -> None:
        self.storage.delete(key)


@pytest.fixture(
    params=["local", pytest.param("s3", marks=pytest.mark.s3)],
)
def evidence_store(request, settings, tmp_path) -> EvidenceStore:
    """The evidence storage for one test: the local folder, or a fresh prefix on the S3 server."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-tmp")
    (tmp_path / "upload-tmp").mkdir()
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        conf = dict(settings.STORAGES)
        conf["evidence"] = {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": S3_BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                **S3_CREDENTIALS,
                "file_overwrite": False,
                "default_acl": None,
                "querystring_auth": True,
                "location": f"t-{uuid.uuid4().hex}",
                "max_memory_size": 2 * 1024 * 1024,
            },
        }
        settings.STORAGES = conf
    storages._storages.pop("evidence", None)
    yield EvidenceStore(kind=request.param, temp_dir=tmp_path / "upload-tmp")
    storages._storages.pop("evidence", None)
