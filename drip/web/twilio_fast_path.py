"""The two Twilio webhooks that come by the thousand, answered without Flask's request cycle.

A 9:00 step to 5,000 learners brings 10,000-15,000 status callbacks within a minute, and a room
texting its questions brings hundreds of texts a second. Of the CPU each such webhook cost, Flask's
request cycle (routing, request hooks, form parsing, the response object) was about 0.3 ms, against
0.6 ms for verifying and storing it (measured in process; bench/README.md, "Issue 14, third pass").

This middleware takes only the common case: a POST to one of the two paths, urlencoded, of a known
length under the path's limit, with no repeated field. It does what the view does (verify the
signature, store, answer) and answers with the same status, headers and body. Everything else goes
on, body intact, to the Flask views: an unsigned or forged request, a malformed or oversized body, a
database error. They answer it exactly as before, so every refusal, limit and error message keeps
its one implementation there.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl

from flask import Flask

from drip.channels.twilio_sms import verify_twilio_signature
from drip.metrics import observe_webhook
from drip.web.headers import security_headers
from drip.web.limits import body_limit

FORM = "application/x-www-form-urlencoded"
Answer = tuple[str, list[tuple[str, str]], bytes]


def _status(form: dict, query: dict) -> Answer:
    from drip.services.webhooks import intake

    intake.store_twilio_status(form, delivery_hint=query.get("d"))
    return "204 NO CONTENT", [("Content-Type", "text/html; charset=utf-8")], b""


def _sms(form: dict, query: dict) -> Answer:
    from drip.services.webhooks import intake
    from drip.web.inbound_hooks import twiml_text

    outcome = intake.store_sms(form)
    body = twiml_text(None if outcome.duplicate else outcome.answer).encode()
    return "200 OK", [("Content-Type", "application/xml; charset=utf-8"), ("Content-Length", str(len(body)))], body


def _status_token(config) -> str:
    return config["TWILIO_AUTH_TOKEN"]


def _sms_token(config) -> str:
    from drip.services.inbound.receive import sms_webhook_token

    return sms_webhook_token(config)


# path: (the view's endpoint, for the webhook latency metric; the signing token; the handler)
ROUTES: dict[str, tuple[str, Callable, Callable[[dict, dict], Answer]]] = {
    "/webhooks/twilio/status": ("webhooks_status.twilio_status", _status_token, _status),
    "/webhooks/twilio/sms": ("webhooks_inbound.twilio_sms", _sms_token, _sms),
}


def _fields(text: str) -> dict | None:
    """The form's fields, or None when one repeats (the view's MultiDict signs those differently)."""
    pairs = parse_qsl(text, keep_blank_values=True)
    fields = dict(pairs)
    return fields if len(fields) == len(pairs) else None


def _first_values(query: str) -> dict:
    values: dict = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        values.setdefault(name, value)  # as request.args.get: the first of repeated names
    return values


class TwilioFastPath:
    """WSGI middleware in front of the Flask app (see the module's docstring)."""

    def __init__(self, app: Flask, wsgi_app: Callable):
        self.app, self.wsgi_app = app, wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        route = ROUTES.get(environ.get("PATH_INFO", ""))
        if route is None or environ.get("REQUEST_METHOD") != "POST":
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        answer = self._answer(environ, route)
        if answer is None:
            return self.wsgi_app(environ, start_response)
        status, headers, body = answer
        headers.extend(security_headers(self.app.config))
        start_response(status, headers)
        observe_webhook(route[0], time.perf_counter() - started)
        return [body] if body else []

    def _answer(self, environ: dict, route) -> Answer | None:
        """The answer for the common case, or None to leave the request to the Flask view."""
        endpoint, token_of, handle = route
        path = environ["PATH_INFO"]
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return None
        if not 0 <= length <= body_limit(path) or not environ.get("CONTENT_TYPE", "").startswith(FORM):
            return None
        raw = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(raw)  # the view reads the same body if it comes to that
        try:
            fields = _fields(raw.decode("utf-8"))
        except UnicodeDecodeError:
            return None
        config = self.app.config
        query = environ.get("QUERY_STRING", "")
        url = config["PUBLIC_BASE_URL"] + path + (f"?{query}" if query else "")
        signature = environ.get("HTTP_X_TWILIO_SIGNATURE")
        if fields is None or not verify_twilio_signature(token_of(config), url, fields, signature):
            return None
        try:
            with self.app.app_context():
                return handle(fields, _first_values(query))
        except Exception:  # malformed, or the database away: the view answers it (400, 503) as it always has
            return None
