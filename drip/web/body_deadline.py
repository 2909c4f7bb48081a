"""A request body that stops arriving is given up after a few idle seconds (408), not held for minutes.

gunicorn's gevent worker holds up to 1,000 connections, and nothing in it bounds how long a body may
take: a client that sends its headers and then a byte now and then would keep a slot for as long as it
likes. This middleware, in front of everything (the Twilio fast path included), reads the body first,
with a timeout of `idle` seconds on the connection's socket for each read. Where the server hands no
socket (the test client, other servers), the body is left to the app as before.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

from drip.domain import numbers
from drip.web.limits import body_limit

CHUNK = 64 * 1024
TIMED_OUT = b"The request body stopped arriving.\n"


class BodyStalled(Exception):
    """No byte of the body arrived for the idle time."""


def _connection(stream):
    """The socket under gevent's pywsgi input (rfile is the socket's buffered file), or None."""
    raw = getattr(getattr(stream, "rfile", None), "raw", None)
    return getattr(raw, "_sock", None)


def read_body(connection, stream, length: int | None, limit: int, idle: float) -> bytes:
    """The body (length bytes, or to its end when chunked, at most limit + 1), each read within `idle` seconds.

    BodyStalled when a read times out (or the client went away mid-body)."""
    before = connection.gettimeout()
    connection.settimeout(idle)
    parts: list[bytes] = []
    left = length if length is not None else limit + 1
    try:
        while left > 0:
            chunk = stream.read(min(CHUNK, left))
            if not chunk:
                break
            parts.append(chunk)
            left -= len(chunk)
    except (TimeoutError, OSError) as stalled:
        raise BodyStalled() from stalled
    finally:
        connection.settimeout(before)
    return b"".join(parts)


class BodyDeadline:
    """WSGI middleware: read the body with an idle deadline, then hand the request on with the body in memory."""

    def __init__(self, wsgi_app: Callable, idle_seconds: float):
        self.wsgi_app, self.idle = wsgi_app, idle_seconds

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        length = numbers.parse_int(environ.get("CONTENT_LENGTH") or "", high=2**40)
        limit = body_limit(environ.get("PATH_INFO", ""))
        wanted = (chunked or bool(length)) and (length is None or length <= limit)
        connection = _connection(environ.get("wsgi.input"))
        if self.idle <= 0 or not wanted or connection is None:
            return self.wsgi_app(environ, start_response)  # an oversized body is refused (413) unread
        try:
            body = read_body(connection, environ["wsgi.input"], None if chunked else length, limit, self.idle)
        except BodyStalled:
            start_response(
                "408 Request Timeout",
                [("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close"), ("Content-Length", "35")],
            )
            return [TIMED_OUT]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.wsgi_app(environ, start_response)
