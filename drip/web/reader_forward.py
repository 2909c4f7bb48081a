"""A web worker passes the cohort page's pages and posts on to the reader workers (drip.reader_processes).

The web worker reads the request (its body too: BodyDeadline has bounded how long that may take),
writes it whole to the readers' Unix socket, reads the answer whole and sends it on. Its own loop
only moves bytes: the page is read, rendered and answered by a process the kernel runs after the
webhooks. The reader worker sees the learner's address (X-Drip-Client, which only this socket
carries: it lives in a folder only Drip's user can enter) and the request as it came.

Room refreshes stay here: nearly all are answered from memory before this (web.room_refresh), for
about what passing one on would cost, and the few that read fill that memory (once a second for a
session), behind the reader gate as before.

The master holds the readers' socket, so while gunicorn restarts a reader worker, requests wait in
its queue for the new one (a few seconds). Only when nothing listens there (the socket removed) does
the web worker serve the request itself. A reader worker that fails after it took a request: a page
is served here; a post (an answer, a vote) may have been stored, so it is not sent twice: the
learner gets the page asking them to send it again.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterable
from io import BytesIO
from urllib.parse import quote

from drip import reader_processes
from drip.web.reader_gate import READER_PATH, ReaderGate
from drip.web.room_refresh import PATH as ROOM_REFRESH

CLIENT = "X-Drip-Client"
TIMEOUT = 120.0  # seconds without a byte from the reader worker before giving up (its gate waits 30 s at most)
LOG_EVERY = 60.0
# Hop-by-hop headers are this hop's alone; Date and Server are the web worker's own.
NOT_PASSED = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
NOT_PASSED_BACK = NOT_PASSED | {"date", "server"}
_logger = logging.getLogger(__name__)


class ReaderUnreachable(Exception):
    """No reader worker took the request: it is served here."""


class ReaderFailed(Exception):
    """A reader worker took the request and gave no whole answer."""


def request_bytes(environ: dict, body: bytes) -> bytes:
    """The request as an HTTP/1.0 message for the reader worker (one request per connection)."""
    target = environ.get("RAW_URI") or quote(environ.get("PATH_INFO", "/"), safe="/;=,~!$&'()*+:@-._")
    if "RAW_URI" not in environ and environ.get("QUERY_STRING"):
        target += "?" + environ["QUERY_STRING"]
    lines = [f"{environ.get('REQUEST_METHOD', 'GET')} {target} HTTP/1.0"]
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
            if name not in NOT_PASSED and name != CLIENT.lower() and name != "content-length":
                lines.append(f"{name}: {value}")
    if environ.get("CONTENT_TYPE"):
        lines.append(f"content-type: {environ['CONTENT_TYPE']}")
    if body or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        lines.append(f"content-length: {len(body)}")
    lines.append(f"{CLIENT}: {environ.get('REMOTE_ADDR', '')}")
    lines.append("connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def parse_answer(raw: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status, headers, body) of the reader worker's whole answer; ReaderFailed if it is not one."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, _, status = lines[0].partition(" ")
    if not separator or not version.startswith("HTTP/") or not status[:3].isdigit():
        raise ReaderFailed(f"not an HTTP answer ({len(raw)} bytes)")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() not in NOT_PASSED_BACK:
            headers.append((name.strip(), value.strip()))
    return status, headers, body


def _body(environ: dict) -> bytes:
    """The request's body, whole (BodyDeadline has refused one too large or too slow by now)."""
    length = environ.get("CONTENT_LENGTH", "")
    stream = environ["wsgi.input"]
    if length.isdigit():
        return stream.read(int(length))
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        return stream.read()
    return b""


def exchange(path: str, message: bytes, timeout: float = TIMEOUT) -> bytes:
    """Send `message` to the reader workers at `path` and read their whole answer (the connection closes)."""
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(timeout)
        try:
            connection.connect(path)
        except OSError as error:
            raise ReaderUnreachable(str(error)) from error
        try:
            connection.sendall(message)
            parts = []
            while part := connection.recv(65536):
                parts.append(part)
        except OSError as error:
            raise ReaderFailed(str(error)) from error
        return b"".join(parts)
    finally:
        connection.close()


class ForwardReaders:
    """WSGI middleware in a web worker: cohort pages and posts go to the reader workers (see the module's docstring)."""

    def __init__(self, wsgi_app: Callable, gate: ReaderGate, path: str):
        self.wsgi_app, self.gate, self.path = wsgi_app, gate, path
        self._logged = -LOG_EVERY

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(READER_PATH) or ROOM_REFRESH.fullmatch(path):
            return self.wsgi_app(environ, start_response)
        method = environ.get("REQUEST_METHOD", "GET")
        body = _body(environ)
        try:
            status, headers, answer = parse_answer(exchange(self.path, request_bytes(environ, body)))
        except ReaderUnreachable as error:
            self._log("no reader worker took a cohort page request; served here: %s", error)
            return self._here(environ, body, start_response)
        except ReaderFailed as error:
            self._log("a reader worker failed a cohort page request: %s", error)
            if method in ("GET", "HEAD"):
                return self._here(environ, body, start_response)
            refusal = self.gate.busy(environ["PATH_INFO"], method, environ.get("HTTP_ACCEPT_LANGUAGE"))
            start_response("503 Service Unavailable", [*self.gate.busy_headers, ("Content-Length", str(len(refusal)))])
            return [refusal]
        start_response(status, headers)
        return [answer]

    def _here(self, environ: dict, body: bytes, start_response: Callable) -> Iterable[bytes]:
        environ["wsgi.input"] = BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body)) if body else environ.get("CONTENT_LENGTH", "")
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.wsgi_app(environ, start_response)

    def _log(self, message: str, error: Exception) -> None:
        now = time.monotonic()
        if now - self._logged >= LOG_EVERY:  # a reader restarting would otherwise log once a request
            self._logged = now
            _logger.warning(message, error)


class FromTheWeb:
    """WSGI middleware in a reader worker: the learner's address as the web worker saw it."""

    def __init__(self, wsgi_app: Callable):
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        environ["REMOTE_ADDR"] = environ.pop("HTTP_X_DRIP_CLIENT", "")
        return self.wsgi_app(environ, start_response)


def init_app(app) -> None:
    """Wrap the app for this process's part (nothing outside gunicorn or without reader workers)."""
    gate = app.extensions.get("drip_reader_gate")
    path = reader_processes.socket_path()
    if path is None or gate is None:
        return
    if reader_processes.role() == reader_processes.READER:
        app.wsgi_app = FromTheWeb(app.wsgi_app)
    elif reader_processes.role() == reader_processes.WEB:
        app.wsgi_app = ForwardReaders(app.wsgi_app, gate, path)
