"""A web worker passes every cohort-page request on to the reader workers (drip.reader_processes).

The web worker has the request's body in memory by then (BodyDeadline read it, within its limit and
its idle deadline; a body over the limit is refused here, unread, as on every path). It writes the
request whole to a reader worker's Unix socket, reads the answer whole and sends it on: its own loop
only moves bytes, while the page is read, rendered and answered by a process the kernel runs after
the webhooks. The reader worker sees the learner's address (X-Drip-Client, which only these sockets
carry: they live in a folder only Drip's user can enter) and the request as it came.

Room refreshes go too. Answered from memory here (web.room_refresh) they would cost the web worker
less CPU than passing them on, but not every one is: the reads a session's memory needs (its links,
votes and questions, each second) and the refreshes that come while one is under way go through
Flask and the database, in the webhooks' loop. Passed on, the web worker's CPU per reader request
fell from 3.4 to 1.4-1.5 ms (bench/README.md, section 10).

Where no reader worker listens (one restarting, or culled by SIGTTOU), the next is tried, then the web
worker serves the request itself. At most FORWARDS_AT_ONCE requests wait on the readers per web
worker, each at most TIMEOUT seconds: past that, the reader gate's busy page. A reader worker that
fails after it took a request (or dies while it answers: a body shorter than its Content-Length): a page
or a refresh is served here; a post may have been stored, so it is not applied again here: the learner's
page says it may not have got through, and sending it again is safe (the same words to the same prompt
within minutes are stored once; a vote, from the script or the plain form, says which way it goes).
"""

from __future__ import annotations

import logging
import random
import socket
import time
from collections.abc import Callable, Iterable
from io import BytesIO
from urllib.parse import quote

from drip import reader_processes
from drip.domain import numbers
from drip.web.limits import body_limit
from drip.web.reader_gate import POST_WAITS, READER_PATH, ReaderGate, semaphore

CLIENT = "X-Drip-Client"
TIMEOUT = 40.0  # seconds without a byte from the reader worker, at least (a post's wait for a turn there, + 10 s)
FORWARDS_AT_ONCE = 100  # requests one web worker keeps waiting on the readers; more get the busy page at once
LOG_EVERY = 60.0
# Hop-by-hop headers are this hop's alone (the body goes whole: no 100 Continue); Date and Server are the web's.
NOT_PASSED = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "expect"}
NOT_PASSED_BACK = NOT_PASSED | {"date", "server"}
_logger = logging.getLogger(__name__)


class ReaderUnreachable(Exception):
    """No reader worker listens at that socket: nothing was sent."""


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


def parse_answer(raw: bytes, method: str = "GET") -> tuple[str, list[tuple[str, str]], bytes]:
    """(status, headers, body) of the reader worker's whole answer to a `method` request (interim 1xx answers
    skipped); ReaderFailed if it is not one (a body shorter than its Content-Length: the reader died sending it)."""
    while True:
        head, separator, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        version, _, status = lines[0].partition(" ")
        if not separator or not version.startswith("HTTP/") or not status[:3].isdigit():
            raise ReaderFailed(f"not an HTTP answer ({len(raw)} bytes)")
        if not status.startswith("1"):
            break
        raw = body
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value, key = name.strip(), value.strip(), name.strip().lower()
        if key == "content-length" and numbers.parse_int(value, high=2**40) != len(body):
            if not (method == "HEAD" or status.startswith(("204", "304"))):  # a reader that died while it answered
                raise ReaderFailed(f"{len(body)} bytes of a {value}-byte answer")
        if key not in NOT_PASSED_BACK:
            headers.append((name, value))
    return status, headers, body


def exchange(path: str, message: bytes, timeout: float = TIMEOUT) -> bytes:
    """Send `message` to the reader worker at `path` and read its whole answer (the connection closes)."""
    try:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    except OSError as error:  # out of file descriptors: nothing was sent, the web worker serves it
        raise ReaderUnreachable(str(error)) from error
    try:
        connection.settimeout(timeout)
        try:
            connection.connect(path)
        except OSError as error:  # no such socket, or nothing listening there
            raise ReaderUnreachable(str(error)) from error
        try:
            connection.sendall(message)
            parts = []
            while part := connection.recv(65536):
                parts.append(part)
        except OSError as error:  # timed out, or the worker went away
            raise ReaderFailed(str(error)) from error
        return b"".join(parts)
    finally:
        connection.close()


class ForwardReaders:
    """WSGI middleware in a web worker: cohort-page requests go to the reader workers (see the module's docstring)."""

    def __init__(self, wsgi_app: Callable, gate: ReaderGate, paths: tuple[str, ...], timeout: float = TIMEOUT):
        self.wsgi_app, self.gate, self.paths, self.timeout = wsgi_app, gate, paths, timeout
        self._turn = random.randrange(len(paths))  # web workers start at different readers, then take turns
        self._waiting = None  # made at the first request: after gunicorn's worker has patched threading
        self._logged = -LOG_EVERY

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(READER_PATH):
            return self.wsgi_app(environ, start_response)
        length = numbers.parse_int(environ.get("CONTENT_LENGTH") or "0", high=2**40)
        if length is None or length > body_limit(path) or "HTTP_TRANSFER_ENCODING" in environ:
            return self.wsgi_app(environ, start_response)  # a body BodyDeadline left unread: refused here, unread
        if self._waiting is None:
            self._waiting = semaphore(FORWARDS_AT_ONCE)
        if not self._waiting.acquire(blocking=False):
            return self.gate.turn_away(environ, start_response)
        try:
            body = environ["wsgi.input"].read(length) if length else b""
            answer = self._forward(environ, body)
        finally:
            self._waiting.release()
        if answer is None:  # no reader worker listening: served here
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = BytesIO(body), str(len(body))
            return self.wsgi_app(environ, start_response)
        if isinstance(answer, ReaderFailed):
            if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
                environ["wsgi.input"] = BytesIO(body)
                return self.wsgi_app(environ, start_response)
            return self.gate.turn_away(environ, start_response, maybe_sent=True)  # the reader may have stored it
        status, headers, body = answer
        start_response(status, headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]

    def _forward(self, environ: dict, body: bytes):
        """The answer of the first reader worker listening, a ReaderFailed, or None when none listens."""
        message = request_bytes(environ, body)
        self._turn += 1
        for slot in range(self._turn, self._turn + len(self.paths)):
            try:
                answer = exchange(self.paths[slot % len(self.paths)], message, self.timeout)
                return parse_answer(answer, environ.get("REQUEST_METHOD", "GET"))
            except ReaderUnreachable as error:
                self._log("no reader worker at a cohort page socket: %s", error)
            except ReaderFailed as failed:
                self._log("a reader worker failed a cohort page request: %s", failed)
                return failed
        return None

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
    paths = reader_processes.sockets()
    if not paths or gate is None:
        return
    if reader_processes.role() == reader_processes.READER:
        app.wsgi_app = FromTheWeb(app.wsgi_app)
    elif reader_processes.role() == reader_processes.WEB:
        # Longer than a post may wait for a turn in the reader (its gate's wait, POST_WAITS times): a post given up
        # here while the reader still stores it would tell the learner it may not have got through.
        app.wsgi_app = ForwardReaders(app.wsgi_app, gate, paths, timeout=max(TIMEOUT, gate.wait * POST_WAITS + 10))
