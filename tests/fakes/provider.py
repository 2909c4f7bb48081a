"""A fake Twilio + SendGrid HTTP API on 127.0.0.1 that the real client libraries talk to."""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import secrets
import signal
import sys
import threading
import time
import uuid
from collections import deque
from email.utils import format_datetime
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-auth-token"
SENDGRID_KEY = "SG.fake-key"
TWILIO_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
TWILIO_ERRORS = {
    21211: "The 'To' number is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    20429: "Too Many Requests", 20500: "An internal server error has occurred",
    21602: "Message body is required.", 21604: "A 'To' phone number is required.",
    21603: "A 'From' phone number or MessagingServiceSid is required.",
    20003: "Authentication Error - invalid username", 20404: "The requested resource was not found",
}


class FakeProvider:
    """Threaded fake of both providers; knobs: latency, failure_rate, script, hang."""

    def __init__(self, *, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, sendgrid_key=SENDGRID_KEY,
                 latency=0.0, failure_rate=0.0, failures=("429", "500", "timeout"), seed=0,
                 timeout_hold=30.0, retry_after=1, port=0):
        self.account_sid, self.auth_token, self.sendgrid_key = account_sid, auth_token, sendgrid_key
        self.latency, self.failure_rate, self.failures = latency, failure_rate, tuple(failures)
        self.timeout_hold, self.retry_after, self.port = timeout_hold, retry_after, port
        self.hang = False
        self.script: deque = deque()  # ("twilio"|"sendgrid", status or "timeout", code/message)
        self.accepted: list[dict] = []
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self._rng = random.Random(seed)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321; pass as TWILIO_API_BASE and SENDGRID_API_HOST."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeProvider":
        """Listen on 127.0.0.1 and serve from a daemon thread."""
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.provider = self
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True,
                         name="fake-provider").start()
        return self

    def stop(self) -> None:
        """Release held requests, stop serving and close every open connection."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def accepted_for(self, provider: str) -> list[dict]:
        """Accepted messages of one provider ("twilio" or "sendgrid")."""
        with self.lock:
            return [m for m in self.accepted if m["provider"] == provider]

    def _forced(self, provider: str):
        """The scripted or randomly injected failure for this request, if any."""
        with self.lock:
            for entry in self.script:
                if entry[0] == provider:
                    self.script.remove(entry)
                    return (tuple(entry) + (None,))[1:3]
            if self.failure_rate and self._rng.random() < self.failure_rate:
                kind = self._rng.choice(self.failures)
                return (kind if kind == "timeout" else int(kind)), None
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a held ("timeout") request must not delay stop()
    request_queue_size = 1024  # listen backlog: bursts of new connections from many workers

    def __init__(self, *args):
        super().__init__(*args)
        self.open_sockets: set = set()
        self.sockets_lock = threading.Lock()

    def process_request(self, request, client_address):
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def close_connections(self):
        with self.sockets_lock:
            sockets, self.open_sockets = list(self.open_sockets), set()
        for sock in sockets:
            try:
                sock.shutdown(2)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so pooled clients reuse connections
    server_version = "FakeProvider/1"

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass

    def do_GET(self):
        self._send(404, {"message": "not found"})

    def do_POST(self):
        p: FakeProvider = self.server.provider
        arrived = {"arrived_monotonic": time.monotonic(), "arrived_at": time.time()}
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urlsplit(self.path).path
        twilio = TWILIO_PATH.match(path)
        provider = "twilio" if twilio else "sendgrid" if path == "/v3/mail/send" else None
        record = {"provider": provider, "method": "POST", "path": self.path, "body": raw,
                  "headers": dict(self.headers), "peer": self.client_address, **arrived}
        with p.lock:
            p.requests.append(record)
        if provider is None:
            record["outcome"] = self._send(404, {"message": "not found"})
            return
        while p.hang and not p._stopping.is_set():  # held until hang is switched off or stop()
            p._stopping.wait(0.05)
        if p.latency:
            p._stopping.wait(p.latency)
        if p._stopping.is_set():
            record["outcome"] = self._drop()
            return
        handle = self._twilio if twilio else self._sendgrid
        record["outcome"] = handle(p, twilio, raw, arrived)

    def _twilio(self, p, match, raw, arrived):
        user, _, password = _basic_auth(self.headers.get("Authorization"))
        if (user, password) != (p.account_sid, p.auth_token):
            return self._twilio_error(401, 20003)
        if match["sid"] != p.account_sid:
            return self._twilio_error(404, 20404)
        forced = p._forced("twilio")
        if forced:
            return self._forced_answer(p, "twilio", *forced)
        form = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
        to, body = form.get("To"), form.get("Body")
        if not to:
            return self._twilio_error(400, 21604)
        if not body:
            return self._twilio_error(400, 21602)
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return self._twilio_error(400, 21603)
        if not E164.match(to):
            return self._twilio_error(400, 21211)
        sid, now = "SM" + uuid.uuid4().hex, format_datetime(datetime.now(timezone.utc))
        callback = form.get("StatusCallback")
        d = parse_qs(urlsplit(callback).query).get("d", [None])[0] if callback else None
        with p.lock:
            p.accepted.append({"provider": "twilio", "sid": sid, "to": to, "body": body,
                               "from": form.get("From"), "status_callback": callback,
                               "messaging_service_sid": form.get("MessagingServiceSid"),
                               "delivery_id": _id(d), **arrived})
        uri = f"/2010-04-01/Accounts/{p.account_sid}/Messages/{sid}.json"
        return self._send(201, {
            "sid": sid, "account_sid": p.account_sid, "to": to, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "body": body,
            "status": "queued", "direction": "outbound-api", "api_version": "2010-04-01",
            "num_segments": "1", "num_media": "0", "price": None, "price_unit": "USD",
            "error_code": None, "error_message": None, "date_created": now, "date_updated": now,
            "date_sent": None, "uri": uri, "subresource_uris": {"media": uri[:-5] + "/Media.json"}})

    def _sendgrid(self, p, _match, raw, arrived):
        if self.headers.get("Authorization") != f"Bearer {p.sendgrid_key}":
            return self._sendgrid_error(401, "The provided authorization grant is invalid, "
                                             "expired, or revoked", None)
        forced = p._forced("sendgrid")
        if forced:
            return self._forced_answer(p, "sendgrid", *forced)
        try:
            mail = json.loads(raw or b"null")
            problem = _sendgrid_problem(mail)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError):
            problem = ("Bad Request", None)
        if problem:
            return self._sendgrid_error(400, *problem)
        message_id = secrets.token_urlsafe(16)
        content = {c["type"]: c["value"] for c in mail["content"]}
        person = mail["personalizations"][0]
        custom = {**mail.get("custom_args", {}), **person.get("custom_args", {})}
        with p.lock:
            p.accepted.append({
                "provider": "sendgrid", "message_id": message_id, "to": person["to"][0]["email"],
                "from": mail["from"]["email"], "subject": mail.get("subject"),
                "body": content["text/plain"], "html": content["text/html"],
                "reply_to": (mail.get("reply_to") or {}).get("email"), "custom_args": custom,
                "headers": mail.get("headers", {}), "delivery_id": _id(custom["delivery_id"]),
                **arrived})
        return self._send(202, None, {"X-Message-Id": message_id})

    def _forced_answer(self, p, provider, status, detail):
        if status == "timeout":  # hold past the client's timeout, then hang up without answering
            p._stopping.wait(p.timeout_hold)
            return self._drop()
        if provider == "sendgrid":
            return self._sendgrid_error(status, detail or f"Scripted error {status}", None)
        if detail is None and (status == 429 or status >= 500):
            detail = 20429 if status == 429 else 20500
        return self._twilio_error(status, detail)

    def _twilio_error(self, status, code):
        body = {"code": code, "message": TWILIO_ERRORS.get(code, f"Error {code or status}"),
                "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}
        return self._send(status, body, self._retry_headers(status))

    def _sendgrid_error(self, status, message, field):
        body = {"errors": [{"message": message, "field": field, "help": None}]}
        return self._send(status, body, self._retry_headers(status))

    def _retry_headers(self, status):
        return {"Retry-After": str(self.server.provider.retry_after)} if status == 429 else {}

    def _send(self, status, body, headers=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        return status

    def _drop(self):
        self.close_connection = True
        return "timeout"


def _sendgrid_problem(mail):
    """(message, field) of the first rule this /v3/mail/send body breaks, or None."""
    people = mail.get("personalizations") or []
    headers = mail.get("headers") or {}
    types = [c.get("type") for c in mail.get("content") or []]
    custom = {**mail.get("custom_args", {}), **(people[0].get("custom_args", {}) if people else {})}
    rules = [
        (people and all(person.get("to") for person in people), "personalizations",
         "The personalizations field is required and must have at least one to address."),
        ((mail.get("from") or {}).get("email"), "from", "The from object must be provided."),
        (mail.get("subject"), "subject", "The subject is required."),
        (types[:2] == ["text/plain", "text/html"], "content",
         "Content must have text/plain first, then text/html."),
        ("delivery_id" in custom, "custom_args", "custom_args.delivery_id is required."),
        ("<https://" in headers.get("List-Unsubscribe", "")
         and "<mailto:" in headers.get("List-Unsubscribe", ""), "headers",
         "List-Unsubscribe must carry an https and a mailto link."),
        (headers.get("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click", "headers",
         "List-Unsubscribe-Post must be List-Unsubscribe=One-Click."),
    ]
    return next(((message, field) for ok, field, message in rules if not ok), None)


def _basic_auth(header):
    try:
        return base64.b64decode(header.split(" ", 1)[1]).decode().partition(":")
    except (AttributeError, IndexError, ValueError):
        return "", "", ""


def _id(value):
    return int(value) if isinstance(value, str) and value.isdigit() else value


def main(argv=None) -> None:
    """Run the fake standalone, print its URL, serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.provider")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--account-sid", default=ACCOUNT_SID)
    parser.add_argument("--auth-token", default=AUTH_TOKEN)
    parser.add_argument("--sendgrid-key", default=SENDGRID_KEY)
    args = parser.parse_args(argv)
    provider = FakeProvider(port=args.port, latency=args.latency, failure_rate=args.failure_rate,
                            seed=args.seed, account_sid=args.account_sid,
                            auth_token=args.auth_token, sendgrid_key=args.sendgrid_key).start()
    print(provider.url, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    provider.stop()
    print(f"accepted {len(provider.accepted)} of {len(provider.requests)} requests",
          file=sys.stderr)


if __name__ == "__main__":
    main()
