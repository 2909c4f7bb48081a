"""A room refresh from the cohort page's script: answered from memory without Flask, or by the view.

Five hundred phones with the cohort page open in the live window ask for /c/<token>/room.json every
five seconds, and nearly every time the room is what they last got: a 304. The answer comes from
memory (services.cohort.refresh and room_rows read each session's links, votes and questions at most
once or twice a second per process), so it costs the app about a tenth of a millisecond; Flask's
request cycle around it (the browser session, the login wall's hook, URL matching, the response
object) cost twice as much again, on every refresh, in the process that also answers Twilio.

`RoomFastPath` answers a refresh whose every part is in memory, with the view's status, headers and
body. A refresh that needs a read (the first of a second for its session, an unknown token), a dead
link and anything unexpected go on, untouched, to the reader gate and the view, which read, take
their turn behind webhooks and answer errors as every other page does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from werkzeug.http import parse_etags, quote_etag

from drip.models import utcnow
from drip.services.cohort import refresh, room
from drip.services.cohort.recent import NotKept, from_memory
from drip.web import cohort_parts
from drip.web.headers import security_headers

PATH = re.compile(r"/c/([A-Za-z0-9_-]{1,100})/room\.json")
LOG_EVERY = 60.0  # seconds between two logged failures of the fast path


@dataclass(frozen=True)
class RoomAnswer:
    """One learner's room as their refresh gets it: its ETag, and its JSON made only when it is sent."""

    etag: str
    session_id: int
    rows: tuple
    voted: frozenset[int]
    live: bool
    poll: int | None

    def body(self) -> str:
        return cohort_parts.room_json(self.session_id, self.rows, self.voted, live=self.live, poll=self.poll)


def room_answer(token: str, now: datetime) -> RoomAnswer | None:
    """The room as the link's learner sees it now (approved questions with votes, the open poll), or None for a
    dead link. The link, the session and the votes come from reads shared by all the session's readers."""
    reader = refresh.reader(token, now)
    if reader is None:
        return None
    ts = reader.training_session
    live = room.is_live(ts, now)
    rows, voted = room.shown_and_voted(ts, reader.learner_id) if live else ((), frozenset())
    poll = ts.open_poll_step_id if live else None
    # The ETag is this learner's room as it would be sent (their own votes in it): unchanged, a bodiless 304.
    etag = cohort_parts.room_etag(ts.id, rows, voted, live=live, poll=poll)
    return RoomAnswer(etag, ts.id, rows, voted, live, poll)


class RoomFastPath:
    """WSGI middleware in front of the reader gate (see the module's docstring)."""

    def __init__(self, app: Flask, wsgi_app: Callable):
        self.app, self.wsgi_app = app, wsgi_app
        self._logged = -LOG_EVERY

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        found = PATH.fullmatch(environ.get("PATH_INFO", "")) if method in ("GET", "HEAD") else None
        answer = self._from_memory(found[1], environ.get("HTTP_IF_NONE_MATCH")) if found else None
        if answer is None:
            return self.wsgi_app(environ, start_response)
        etag, body = answer
        headers = [("ETag", quote_etag(etag)), *cohort_parts.PRIVATE_HEADERS.items()]
        headers.extend(item for item in security_headers(self.app.config) if item[0] != "Referrer-Policy")
        if body is None:
            start_response("304 NOT MODIFIED", headers)
            return []
        headers += [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        start_response("200 OK", headers)
        return [body] if method == "GET" else []

    def _from_memory(self, token: str, if_none_match: str | None) -> tuple[str, bytes | None] | None:
        """(ETag, body, or None when the learner has this room already) if everything it needs is in memory,
        else None (the view answers it)."""
        try:
            with self.app.app_context(), from_memory():
                answer = room_answer(token, utcnow())
                if answer is None:  # a dead link: the view's page says so
                    return None
                if parse_etags(if_none_match).contains_weak(answer.etag):
                    return answer.etag, None
                return answer.etag, answer.body().encode()
        except NotKept:  # a read is due: the gate and the view make it
            return None
        except Exception:  # anything unexpected: the view answers it, errors as on every page
            now = time.monotonic()
            if now - self._logged >= LOG_EVERY:  # a lasting fault would otherwise log a hundred times a second
                self._logged = now
                self.app.logger.exception("room refresh from memory failed; the view answers it")
            return None
