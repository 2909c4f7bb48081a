"""Cohort-page readers take turns, a few at a time in each web process, so the webhooks never queue behind them.

A web process serves every request from one gevent loop and one pool of database connections. With
the page open on five hundred phones, a thousand reader requests can be in flight at once: each
holds a connection and takes its turn on the CPU, and a status callback from Twilio arriving then
waits behind all of them. This middleware lets at most `slots` requests for /c/ pages (the page, its
room refreshes that need a read, posts and votes) into the app at once (a refresh answered from memory,
nearly all of them, is answered before the gate: web.room_refresh); the others wait, first come first served, for
at most `wait` seconds, then answer 503 with Retry-After. The page's script waits that long before its
next refresh; without the script, the busy page opens the cohort page again by itself. A post (an
answer, a poll's answer, a vote) waits six times as long, since it carries what the learner wrote, and
if it is refused all the same its busy page stays put and asks them to go back and send it again.
Webhooks, the admin and everything else pass
straight through: they always find a connection and the loop is never busy with more than a few readers.

Under gevent, a reader let in also gives way: it starts (and the page starts rendering) only when the
loop has nothing else to do (`gevent.idle`), so a webhook that arrives is served before the readers'
next stretch of work, and readers get the CPU the webhooks leave.

A slot is given back as soon as the app has its answer (the database connection is back in the pool by
then): a reader on a slow phone network keeps no slot while the page travels.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar

from flask import current_app
from sqlalchemy import event
from markupsafe import escape
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from drip.domain.languages import DEFAULT, SUPPORTED
from drip.domain.words import mark, say
from drip.web.headers import security_headers

READER_PATH = "/c/"
GIVE_WAY_AT_MOST = 1.0  # seconds a reader let in waits, each time it gives way, for the loop to have nothing else
# Made without templates or the database: when it is sent the process is busy. In the language the phone's
# browser asks for (Accept-Language; the learner's own setting is in the database), English otherwise.
PAGE = (
    '<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><meta name="robots" content="noindex">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}'
    "<title>{title}</title><style>body{{font:1.125rem/1.5 system-ui,sans-serif;margin:2rem 1.25rem;max-width:36rem}}"
    "</style></head><body><h1>{title}</h1><p>{text}</p></body></html>\n"
)
BUSY = (
    mark("One moment"),
    mark("Many people are reading this page right now. It will open again by itself in %(seconds)s seconds."),
)
NOT_SENT = (
    mark("Not sent yet"),
    mark(
        "Many people are on this page right now, and what you sent did not get through. "
        "Go back and send it again in a few seconds."
    ),
)
MAYBE_SENT = (  # a reader worker took the post and gave no answer: stored or not, sending it again is safe
    mark("Please check"),
    mark(
        "Many people are on this page right now, and what you sent may not have got through. "
        "Go back and send it again in a few seconds: if it did arrive, it will not be posted twice."
    ),
)
POST_WAITS = 6  # times as long as a reader's wait: a post carries what the learner wrote
TOKEN = re.compile(r"/c/([A-Za-z0-9_-]{1,100})(?:/|$)")


class ReaderRequest:
    """A cohort-page request inside the gate: whether it has written yet."""

    __slots__ = ("wrote",)

    def __init__(self):
        self.wrote = False


_reading: ContextVar[ReaderRequest | None] = ContextVar("drip_reader_request", default=None)


def _gevent() -> bool:
    """Whether this process serves from a gevent loop (gunicorn's gevent worker patched threading)."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is installed with the web
        return False
    return monkey.is_module_patched("threading")


def semaphore(slots: int):
    """A gevent semaphore in a gevent process, else a thread one."""
    if _gevent():
        from gevent.lock import BoundedSemaphore

        return BoundedSemaphore(slots)
    return threading.BoundedSemaphore(slots)


def others_first() -> None:
    """A reader's request gives way: under gevent, it goes on once no other request is ready to run (or after
    GIVE_WAY_AT_MOST seconds: a flood of webhooks delays a reader, it does not hold its slot for ever); else at once."""
    if _gevent():
        from gevent import Timeout, idle

        with Timeout(GIVE_WAY_AT_MOST, False):
            idle()


def render_giving_way(template_name: str, every: int = 32, **context) -> str:
    """render_template for a long page: every `every` pieces of output it gives way (others_first), so the
    template, a reader's longest stretch of CPU, never holds up a webhook for all of its length."""
    app = current_app._get_current_object()
    template = app.jinja_env.get_or_select_template(template_name)
    app.update_template_context(context)
    if int(app.config["COHORT_READER_SLOTS"]) <= 0:  # no gate, no giving way: every reader is let in at once
        return template.render(context)
    parts = []
    for count, part in enumerate(template.generate(context), 1):
        parts.append(part)
        if count % every == 0:
            others_first()
    return "".join(parts)


class ReaderGate:
    """WSGI middleware: at most `slots` cohort-page requests in the app at once, each waiting `wait` s at most."""

    def __init__(self, wsgi_app: Callable, config: Mapping):
        self.wsgi_app, self.slots = wsgi_app, int(config["COHORT_READER_SLOTS"])
        self.wait, retry_after = float(config["COHORT_READER_WAIT"]), int(config["COHORT_READER_RETRY_AFTER"])
        self._turns = None  # made at the first request: after gunicorn's worker has patched threading
        self._made = threading.Lock()
        self.retry_after = retry_after
        self.busy_headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Retry-After", str(retry_after)),
            ("Cache-Control", "no-store"),
            ("X-Robots-Tag", "noindex, nofollow"),
            ("Referrer-Policy", "no-referrer"),  # the token is in the address, as on the page itself
            *((name, value) for name, value in security_headers(config) if name != "Referrer-Policy"),
        ]

    def turns(self):
        """The semaphore of this process's reader slots."""
        if self._turns is None:
            with self._made:
                if self._turns is None:
                    self._turns = semaphore(self.slots)
        return self._turns

    def busy(
        self, path: str, method: str = "GET", accept_language: str | None = None, *, maybe_sent: bool = False
    ) -> bytes:
        """The page a reader gets when the process is busy: it opens the cohort page again by itself (a post's
        or a refresh's address would not do for a reload), after Retry-After seconds; after a post, it stays,
        and says the post was not sent, or, when a reader worker took it and failed (`maybe_sent`), that it
        may not have been."""
        asked = (accept_language or "")[:MAX_ACCEPT_LANGUAGE]
        language = parse_accept_header(asked, LanguageAccept).best_match(SUPPORTED, default=DEFAULT)
        if method not in ("GET", "HEAD"):
            title, text, refresh = *(MAYBE_SENT if maybe_sent else NOT_SENT), ""
        else:
            token = TOKEN.match(path)
            title, text = BUSY
            again = f"; url=/c/{token.group(1)}" if token else ""
            refresh = f'<meta http-equiv="refresh" content="{self.retry_after}{again}">'
        return PAGE.format(
            lang=language,
            refresh=refresh,
            title=escape(say(language, title)),
            text=escape(say(language, text, seconds=self.retry_after)),
        ).encode()

    def turn_away(self, environ: dict, start_response: Callable, *, maybe_sent: bool = False) -> Iterable[bytes]:
        """Answer the busy page (503, Retry-After) for this request; `maybe_sent` as for `busy`."""
        method = environ.get("REQUEST_METHOD", "GET")
        page = self.busy(
            environ.get("PATH_INFO", ""), method, environ.get("HTTP_ACCEPT_LANGUAGE"), maybe_sent=maybe_sent
        )
        start_response("503 Service Unavailable", [*self.busy_headers, ("Content-Length", str(len(page)))])
        return [] if method == "HEAD" else [page]  # gevent's server sends whatever it is given, also for a HEAD

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if self.slots <= 0 or not environ.get("PATH_INFO", "").startswith(READER_PATH):
            return self.wsgi_app(environ, start_response)
        turns, method = self.turns(), environ.get("REQUEST_METHOD", "GET")
        if not turns.acquire(timeout=self.wait * (1 if method in ("GET", "HEAD") else POST_WAITS)):
            return self.turn_away(environ, start_response)
        reading = _reading.set(ReaderRequest())
        try:
            others_first()
            answer = self.wsgi_app(environ, start_response)
            # Flask has rendered the whole answer and given the connection back by now; a streamed
            # answer (none on these paths) would be read whole here rather than hold the slot unread.
            return answer if isinstance(answer, list) else _read_whole(answer)
        finally:
            _reading.reset(reading)
            turns.release()


MAX_ACCEPT_LANGUAGE = 200  # characters of Accept-Language read for a busy page (a long one costs the busy web CPU)


def after_statement(connection, _cursor, statement: str, *_) -> None:
    """SQLAlchemy's after_cursor_execute: a reader whose read has answered goes on with its rows only once the
    webhooks whose statements answered at the same moment have gone on with theirs. Not once the request has
    written or locked rows (after a write or a SELECT … FOR UPDATE, a webhook's write could wait for its locks;
    the rest of the request is short), and never on SQLite, which waits for a lock inside C and so would stop
    the whole loop behind the reader. The request's own state, not the connection's: nothing is looked at
    when a transaction ends, or when a database restart has invalidated a connection."""
    request = _reading.get()
    if request is None or request.wrote or connection.dialect.name == "sqlite":
        return
    if statement.lstrip()[:6].upper() != "SELECT" or " FOR " in statement.upper():
        request.wrote = True
        return
    others_first()


def watch_statements(engine) -> None:
    """Make a reader give way after its reads on this engine (`after_statement`)."""
    event.listen(engine, "after_cursor_execute", after_statement)


def _read_whole(answer: Iterable[bytes]) -> list[bytes]:
    try:
        return list(answer)
    finally:
        close = getattr(answer, "close", None)
        if close is not None:
            close()
