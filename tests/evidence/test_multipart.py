"""The lean multipart reader gives the same POST and FILES as Django's own parser, however the
body is cut into reads, and keeps Django's limits."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, MemoryFileUploadHandler
from django.http.multipartparser import MultiPartParser

from evidence import multipart
from tests.evidence import files


class CollectingHandler(FileUploadHandler):
    """Collects each file in memory, whichever parser feeds it."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.data = bytearray()

    def receive_data_chunk(self, raw_data, start):
        assert start == len(self.data)
        self.data.extend(raw_data)

    def file_complete(self, file_size):
        assert file_size == len(self.data)
        return SimpleUploadedFile(self.file_name, bytes(self.data), self.content_type)


class LeanHandler(CollectingHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        return multipart.LeanMultipartReader(
            self, input_data, content_length, boundary, encoding
        ).parse()


def parse(body: bytes, content_type: str, handler_cls):
    meta = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}
    post, found = MultiPartParser(meta, io.BytesIO(body), [handler_cls()]).parse()
    return (
        {k: post.getlist(k) for k in post},
        {k: [(f.name, f.content_type, f.read()) for f in found.getlist(k)] for k in found},
    )


BOUNDARY_HEAVY = b"\r\n--EVIDENCX" * 3 + b"\r\n-" + b"\r" * 40 + b"\r\n--EVIDENC"

BODIES = [
    ({"a": "1", "b": "ü"}, [("file", 'filename="r.pdf"', files.pdf(1), "application/pdf")]),
    ({}, [("file", 'filename="x.bin"', BOUNDARY_HEAVY, "application/octet-stream")]),
    ({"a": "x" * 5000}, [("file", "filename*=UTF-8''%C3%A9t%C3%A9.txt", b"summer", "text/plain")]),
    ({"a": ""}, [("file", 'filename=""', b"ignored", "text/plain")]),
    (
        {"k": "v"},
        [("f1", 'filename="../../a.txt"', b"", "text/plain"), ("f2", 'filename="b"', b"2", "x/y")],
    ),
]


@pytest.mark.parametrize("read_size", [1, 3, 7, 64, 1024 * 1024])
@pytest.mark.parametrize("case", range(len(BODIES)))
def test_the_lean_reader_matches_djangos_parser(monkeypatch, read_size, case):
    fields, uploads = BODIES[case]
    body, content_type = files.multipart(fields, uploads)
    monkeypatch.setattr(multipart, "READ_SIZE", read_size)
    assert parse(body, content_type, LeanHandler) == parse(body, content_type, CollectingHandler)


def test_a_field_after_the_file_is_read_too(monkeypatch):
    body, content_type = files.multipart({}, [("file", 'filename="a.txt"', b"abc", "text/plain")])
    body = body.replace(
        b"--EVIDENCE--",
        b'--EVIDENCE\r\nContent-Disposition: form-data; name="z"\r\n\r\nlast\r\n--EVIDENCE--',
    )
    monkeypatch.setattr(multipart, "READ_SIZE", 5)
    assert parse(body, content_type, LeanHandler) == parse(body, content_type, CollectingHandler)
    assert parse(body, content_type, LeanHandler)[0] == {"z": ["last"]}


def test_too_many_fields_are_refused_as_django_does(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 2
    body, content_type = files.multipart({"a": "1", "b": "2", "c": "3"}, [])
    with pytest.raises(TooManyFieldsSent):
        parse(body, content_type, LeanHandler)


def test_too_many_files_are_refused_as_django_does(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1
    uploads = [("f", f'filename="{i}.txt"', b"x", "text/plain") for i in range(2)]
    body, content_type = files.multipart({}, uploads)
    with pytest.raises(TooManyFilesSent):
        parse(body, content_type, LeanHandler)


def test_memory_handler_is_unaffected(settings):
    """Other views keep Django's parser: only the evidence handler brings the lean reader."""
    body, content_type = files.multipart({"a": "1"}, [("f", 'filename="a.txt"', b"x", "t/p")])
    meta = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}
    post, found = MultiPartParser(meta, io.BytesIO(body), [MemoryFileUploadHandler()]).parse()
    assert post["a"] == "1" and found["f"].read() == b"x"
