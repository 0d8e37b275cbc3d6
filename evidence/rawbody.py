"""Reading a large request body straight from gunicorn's socket.

gunicorn hands a WSGI application its request body through two layers of ``BytesIO`` buffers
(its ``Body`` and its ``Unreader``), which copy every byte four or five times and hold the GIL
while they do. For a 1 GiB evidence upload that doubles the time of the whole request and keeps
the upload thread from hashing and writing in parallel. When the body is still untouched, this
module takes over the rest of it: what gunicorn has already read ahead comes first, then the
socket is read directly into fresh buffers, one copy per byte. Whatever lies beyond the body
(a pipelined request) is handed back to gunicorn, and gunicorn's own reader always knows how
much of the body is still on the socket, so if parsing stops early gunicorn discards the rest
before the next request on the connection, as it would have done itself.

Only gunicorn's plain ``Content-Length`` body is taken over, recognised by its exact classes;
a chunked body, any other server (Django's test client, ``runserver``, uWSGI) or a gunicorn
whose internals differ keeps the standard ``request.read()``.
"""

from __future__ import annotations

from django.http import HttpRequest, UnreadablePostError


class DirectBody:
    """`read(size)` over what gunicorn had buffered, then the socket itself."""

    def __init__(self, sock, buffered: bytes, length: int, reader):
        self.sock = sock
        self.buffered = buffered
        #: gunicorn's `LengthReader`, kept counting what of the body is still on the socket.
        self.reader = reader
        self.remaining = length - len(buffered)
        reader.length = self.remaining

    def read(self, size: int) -> bytes | bytearray:
        if self.buffered:
            data, self.buffered = self.buffered[:size], self.buffered[size:]
            return data
        size = min(size, self.remaining)
        if size <= 0:
            return b""
        # A fresh buffer per read: the upload thread may still hold views of the previous one.
        buffer = bytearray(size)
        view = memoryview(buffer)
        received = 0
        try:
            while received < size:
                count = self.sock.recv_into(view[received:], size - received)
                if not count:  # the client went away; the reader reports the short body
                    break
                received += count
        except OSError as exc:
            raise UnreadablePostError(*exc.args) from exc
        finally:
            view.release()
            self.remaining -= received
            self.reader.length = self.remaining
        if received < size:
            del buffer[received:]
        return buffer


def direct_body(request, content_length: int) -> DirectBody | None:
    """A direct reader for the rest of `request`'s body under gunicorn, or None to use
    `request.read()` (another server, a chunked body, or a body already partly read)."""
    if not isinstance(request, HttpRequest) or getattr(request, "_read_started", True):
        return None
    environ = getattr(request, "environ", {})
    sock = environ.get("gunicorn.socket")
    if sock is None:
        return None
    try:
        from gunicorn.http.body import Body, LengthReader
        from gunicorn.http.unreader import SocketUnreader
    except ImportError:
        return None
    body = environ.get("wsgi.input")
    try:
        if type(body) is not Body or body.buf.tell():
            return None
        reader = body.reader
        if type(reader) is not LengthReader or reader.length != content_length:
            return None
        unreader = reader.unreader
        if type(unreader) is not SocketUnreader or unreader.sock is not sock:
            return None
        buffered = unreader.take_buffered()
    except AttributeError:  # a gunicorn built differently: keep its own reader
        return None
    if len(buffered) > content_length:  # a pipelined request follows; it stays gunicorn's
        unreader.unread(buffered[content_length:])
        buffered = buffered[:content_length]
    request._read_started = True  # as request.read() would mark it
    return DirectBody(sock, buffered, content_length, reader)
