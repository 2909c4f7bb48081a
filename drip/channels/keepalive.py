"""HTTP/1.1 to one provider origin over kept-alive connections: the sending threads' road to Twilio.

Each request borrows an idle connection (or opens one), writes its request line, headers and body
in one send, reads the whole answer and hands the connection back for the next thread. requests
and urllib3 wrapped the same http.client call in sessions, adapters, pools, retries and response
objects that cost more CPU than the call itself: in the dispatch benchmark 0.9 ms of a worker's
CPU a message went to the Twilio call, against 0.25 ms for http.client alone.

What may have reached the provider is told apart from what cannot have, as the send path needs it
(nothing sent twice, nothing lost): `Unreachable` when no connection could be made, `NoAnswer` when
the request may have left.
"""

from __future__ import annotations

import http.client
import os
import socket
import ssl
import time
from collections import deque
from typing import NamedTuple
from urllib.parse import urlsplit

from urllib3.util.wait import wait_for_read

IDLE_LIMIT = 64  # connections kept open between requests: one per sending thread
# A connection idle for less than this is reused without asking the socket whether the server has
# closed it (servers keep idle connections for seconds to minutes). Should one have been closed all
# the same, its request fails as NoAnswer and the retry goes out on a new connection.
FRESH_SECONDS = 1.0


class Unreachable(OSError):
    """No connection could be made (refused, no route, the connect timed out): nothing was sent."""

    def __init__(self, message: str, *, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


class NoAnswer(OSError):
    """The request was sent, or partly, and no whole answer came back: the provider may have taken it."""

    def __init__(self, message: str, *, timed_out: bool = False):
        super().__init__(message)
        self.timed_out = timed_out


class Answer(NamedTuple):
    """One HTTP answer, read whole."""

    status: int
    body: bytes
    headers: http.client.HTTPMessage


class Origin:
    """Kept-alive connections to one scheme://host:port, shared by any number of threads."""

    def __init__(self, base_url: str, *, verify: bool | str = True, idle_limit: int = IDLE_LIMIT):
        parts = urlsplit(base_url)
        self.scheme, self.host, self.port = parts.scheme, parts.hostname or "", parts.port
        self.path = parts.path.rstrip("/")  # a base below the root prefixes every request's path
        self._context = _tls(verify) if self.scheme == "https" else None
        # (connection, when it was handed back): append and pop are atomic, no lock
        self._idle: deque[tuple[http.client.HTTPConnection, float]] = deque()
        self._idle_limit = idle_limit
        self._closed = False

    def request(self, method: str, target: str, body: bytes | None, headers: dict, timeout: float) -> Answer:
        """Send one request (`target`: the path and query under this origin) and read its whole answer."""
        connection = self._borrow(timeout)
        try:
            connection.request(method, self.path + target, body, headers)
            response = connection.getresponse()
            data = response.read()
        except TimeoutError as error:
            connection.close()
            self._drop_idle()  # a link that went down leaves idle connections that take writes and never answer
            raise NoAnswer(f"no answer within {timeout} s: {error}", timed_out=True) from error
        except (OSError, http.client.HTTPException) as error:  # reset, closed mid-answer, garbled
            connection.close()
            raise NoAnswer(f"the connection failed during the request: {error!r}") from error
        if response.will_close or self._closed or len(self._idle) >= self._idle_limit:
            connection.close()
        else:
            self._idle.append((connection, time.monotonic()))
        return Answer(response.status, data, response.headers)

    def close(self) -> None:
        """Close the idle connections; those in use close when their request ends."""
        self._closed = True
        self._drop_idle()

    def _drop_idle(self) -> None:
        while self._idle:
            try:
                self._idle.pop()[0].close()
            except IndexError:  # another thread took the last one
                break

    def _borrow(self, timeout: float) -> http.client.HTTPConnection:
        while self._idle:
            try:
                connection, since = self._idle.pop()
            except IndexError:  # another thread took the last one
                break
            # An idle connection with something to read has been closed by the server (or sent junk):
            # reusing it would lose the request in a reset. urllib3 checks the same before each reuse.
            fresh = time.monotonic() - since < FRESH_SECONDS
            if connection.sock is not None and (fresh or not wait_for_read(connection.sock, timeout=0.0)):
                if connection.timeout != timeout:
                    connection.timeout = timeout
                    connection.sock.settimeout(timeout)
                return connection
            connection.close()
        return self._connect(timeout)

    def _connect(self, timeout: float) -> http.client.HTTPConnection:
        if self._context is not None:
            connection = http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self._context)
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.connect()
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except TimeoutError as error:
            connection.close()
            raise Unreachable(f"could not connect to {self.host} within {timeout} s", timed_out=True) from error
        except OSError as error:  # refused, unreachable, no such host, a TLS handshake refused
            connection.close()
            raise Unreachable(f"could not connect to {self.host}: {error}") from error
        return connection


def _tls(verify: bool | str) -> ssl.SSLContext:
    """The TLS context requests would use: the CA bundle it names (certifi's by default), or none."""
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        return context
    if verify is True:
        import certifi

        verify = certifi.where()
    return (
        ssl.create_default_context(capath=verify)
        if os.path.isdir(verify)
        else ssl.create_default_context(cafile=verify)
    )
