"""Under gunicorn the upload reader takes the body straight from the socket, and gets exactly
the bytes gunicorn's own reader would have given.

These tests use gunicorn's real request parser and WSGI environ on a real socket pair, the way
its workers do, so a gunicorn release that changes what `evidence.rawbody` relies on fails
here (or falls back to gunicorn's reader, which the first test notices).
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.http.multipartparser import MultiPartParserError
from django.test import RequestFactory
from gunicorn.config import Config
from gunicorn.http import wsgi as gunicorn_wsgi
from gunicorn.http.parser import RequestParser

from evidence import multipart
from evidence.rawbody import DirectBody, direct_body
from tests.evidence import files
from tests.evidence.test_multipart import LeanHandler

PEER = ("127.0.0.1", 50000)


def http_post(body: bytes, content_type: str, *, path: str = "/upload/") -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: testserver\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class GunicornConnection:
    """One client connection as a gunicorn worker sees it: its parser over a real socket."""

    def __init__(self, raw: bytes, *, close_after: bool = True):
        self.server, self.client = socket.socketpair()
        self.sender = threading.Thread(target=self._send, args=(raw, close_after), daemon=True)
        self.sender.start()
        self.config = Config()
        self.parser = RequestParser(self.config, self.server, PEER)

    def _send(self, raw: bytes, close_after: bool) -> None:
        self.client.sendall(raw)
        if close_after:
            self.client.shutdown(socket.SHUT_WR)

    def next_request(self) -> WSGIRequest:
        message = next(self.parser)
        _, environ = gunicorn_wsgi.create(
            message, self.server, PEER, ("127.0.0.1", 8000), self.config
        )
        return WSGIRequest(environ)

    def close(self) -> None:
        self.sender.join(timeout=10)
        self.server.close()
        self.client.close()


@pytest.fixture
def connections():
    opened: list[GunicornConnection] = []

    def open_connection(raw: bytes, **kwargs) -> GunicornConnection:
        opened.append(GunicornConnection(raw, **kwargs))
        return opened[-1]

    yield open_connection
    for connection in opened:
        connection.close()


def read_upload(request: WSGIRequest):
    """Parses the body with the upload reader; returns the reader and (POST, FILES)."""
    content_type = request.META["CONTENT_TYPE"]
    boundary = content_type.split("boundary=")[1].encode()
    reader = multipart.LeanMultipartReader(
        LeanHandler(), request, int(request.META["CONTENT_LENGTH"]), boundary
    )
    return reader, reader.parse()


def test_a_large_body_under_gunicorn_is_read_from_the_socket_byte_for_byte(connections):
    data = os.urandom(3 * 1024 * 1024 + 17)
    body, content_type = files.multipart(
        {"description": "Quarterly report", "period_start": "2025-01-01"},
        [("file", 'filename="report.pdf"', data, "application/pdf")],
    )
    request = connections(http_post(body, content_type)).next_request()

    reader, (post, found) = read_upload(request)

    assert isinstance(reader.stream, DirectBody)
    upload = found["file"]
    assert hashlib.sha256(upload.read()).hexdigest() == hashlib.sha256(data).hexdigest()
    assert post["description"] == "Quarterly report"
    assert post["period_start"] == "2025-01-01"


def test_a_pipelined_request_behind_the_body_stays_with_gunicorn(connections):
    """gunicorn's reader is left at the end of the body: nothing of the next request is lost."""
    first, content_type = files.multipart({}, [("file", 'filename="a.txt"', b"one", "text/plain")])
    second = b"second request body"
    raw = http_post(first, content_type) + http_post(second, "text/plain", path="/next/")
    connection = connections(raw)

    read_upload(connection.next_request())
    following = connection.next_request()

    assert following.path == "/next/"
    assert following.body == second


def test_after_a_malformed_body_gunicorn_discards_the_rest_before_the_next_request(connections):
    body, content_type = files.multipart(
        {"description": "x"}, [("file", 'filename="r.pdf"', os.urandom(2 * 1024 * 1024), "x/y")]
    )
    malformed = body.replace(
        b'--EVIDENCE\r\nContent-Disposition: form-data; name="file"', b"--EVIDENCE!!", 1
    )
    raw = http_post(malformed, content_type) + http_post(b"next", "text/plain", path="/next/")
    connection = connections(raw)

    with pytest.raises(MultiPartParserError):
        read_upload(connection.next_request())
    following = connection.next_request()

    assert following.path == "/next/"
    assert following.body == b"next"


def test_a_client_that_stops_mid_body_gets_a_parse_error_not_a_short_file(connections):
    body, content_type = files.multipart(
        {}, [("file", 'filename="r.pdf"', os.urandom(512 * 1024), "application/pdf")]
    )
    head_and_half = http_post(body, content_type)[: -len(body) // 2]
    request = connections(head_and_half).next_request()

    with pytest.raises(MultiPartParserError):
        read_upload(request)


def test_a_body_already_partly_read_keeps_gunicorns_reader(connections):
    body, content_type = files.multipart({}, [("file", 'filename="a.txt"', b"abc", "text/plain")])
    request = connections(http_post(body, content_type)).next_request()
    request.read(10)

    assert direct_body(request, len(body)) is None


def test_a_chunked_body_keeps_gunicorns_reader(connections):
    raw = (
        b"POST /upload/ HTTP/1.1\r\nHost: testserver\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: text/plain\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    )
    request = connections(raw).next_request()

    assert direct_body(request, 3) is None


def test_other_servers_keep_the_standard_stream():
    body, content_type = files.multipart({}, [("file", 'filename="a.txt"', b"abc", "text/plain")])
    request = RequestFactory().generic("POST", "/upload/", body, content_type=content_type)

    assert direct_body(request, len(body)) is None
