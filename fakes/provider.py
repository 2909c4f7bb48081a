"""A fake Twilio + SendGrid HTTP API on 127.0.0.1 that the real client libraries talk to."""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from fakes.provider_media import MediaStore
from fakes.provider_apis import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDGRID_KEY,
    SENDGRID_PATH,
    TWILIO_PATH,
    basic_auth,
    forced_error,
    sendgrid_error,
    sendgrid_send,
    twilio_create,
    twilio_error,
)


class FakeProvider:
    """Threaded fake of both providers; knobs: latency, failure_rate, script, hang."""

    def __init__(
        self,
        *,
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        sendgrid_key=SENDGRID_KEY,
        latency=0.0,
        failure_rate=0.0,
        failures=("429", "500", "timeout"),
        seed=0,
        timeout_hold=30.0,
        retry_after=1,
        port=0,
        host="127.0.0.1",
    ):
        """Knobs may be changed while running; script entries are consumed first-in, first-out."""
        self.account_sid, self.auth_token, self.sendgrid_key = account_sid, auth_token, sendgrid_key
        self.latency, self.failure_rate, self.failures = latency, failure_rate, tuple(failures)
        self.timeout_hold, self.retry_after, self.port, self.host = timeout_hold, retry_after, port, host
        self.hang, self.lock, self._rng = False, threading.Lock(), random.Random(seed)
        self.script: deque = deque()  # ("twilio"|"sendgrid", status or "timeout", code/message)
        self.accepted: list[dict] = []  # what a real provider would have taken and sent
        self.requests: list[dict] = []  # every request, including refused and held ones
        self.media = MediaStore()  # learners' MMS pictures, behind basic auth and a redirect
        self._stopping, self._server = threading.Event(), None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321; pass as TWILIO_API_BASE and SENDGRID_API_HOST."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeProvider":
        """Listen on its host (127.0.0.1 unless told otherwise) and serve from a daemon thread."""
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler)
        self._server.provider = self
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True, name="fake-provider").start()
        return self

    def stop(self) -> None:
        """Stop listening, then release held requests (they get no answer): a client's retry after
        that answerless hang-up finds the port closed, as when a provider's host goes away."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._stopping.set()
        self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def add_media(self, data: bytes, content_type: str) -> str:
        """Keep a picture as Twilio keeps an MMS's; returns its MediaUrl (fetched with the account's credentials)."""
        return self.media.add(self.url, self.account_sid, data, content_type)

    def _accept(self, message: dict) -> None:
        with self.lock:
            self.accepted.append(message)

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


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so pooled clients reuse connections
    disable_nagle_algorithm = True  # headers and body are two writes: without it each answer waits ~40 ms for an ACK
    server_version = "FakeProvider/1"
    timeout = 10  # idle keep-alive connections end, so their threads do not pile up across tests

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass

    def do_GET(self):
        p: FakeProvider = self.server.provider
        authenticated = basic_auth(self.headers.get("Authorization")) == (p.account_sid, p.auth_token)
        status, headers, body = p.media.answer(urlsplit(self.path).path, authenticated, p.account_sid)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        p: FakeProvider = self.server.provider
        arrived = {
            "arrived_monotonic": time.monotonic(),
            "arrived_at": time.time(),
            "peer_host": self.client_address[0],
        }
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urlsplit(self.path).path
        twilio = TWILIO_PATH.match(path)
        provider = "twilio" if twilio else "sendgrid" if path == SENDGRID_PATH else None
        record = {
            "provider": provider,
            "method": "POST",
            "path": self.path,
            "body": raw,
            "headers": dict(self.headers),
            "peer": self.client_address,
            "outcome": None,
            **arrived,
        }
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
        if basic_auth(self.headers.get("Authorization")) != (p.account_sid, p.auth_token):
            return self._send(401, twilio_error(401, 20003))
        if match["sid"] != p.account_sid:
            return self._send(404, twilio_error(404, 20404))
        forced = p._forced("twilio")
        if forced:
            return self._forced_answer(p, "twilio", *forced)
        fields = parse_qs(raw.decode(), keep_blank_values=True)
        form = {k: v[0] for k, v in fields.items()}
        status, body, accepted = twilio_create(form, p.account_sid)
        if accepted:
            accepted["media_urls"] = fields.get("MediaUrl", [])
        if accepted:
            p._accept({**accepted, **arrived})
        return self._send(status, body)

    def _sendgrid(self, p, _match, raw, arrived):
        if self.headers.get("Authorization") != f"Bearer {p.sendgrid_key}":
            message = "The provided authorization grant is invalid, expired, or revoked"
            return self._send(401, sendgrid_error(message))
        forced = p._forced("sendgrid")
        if forced:
            return self._forced_answer(p, "sendgrid", *forced)
        try:
            status, body, accepted = sendgrid_send(json.loads(raw or b"null"))
        except ValueError:
            status, body, accepted = 400, sendgrid_error("Invalid JSON"), None
        if not accepted:
            return self._send(status, body)
        p._accept({**accepted, **arrived})
        return self._send(status, None, {"X-Message-Id": accepted["message_id"]})

    def _forced_answer(self, p, provider, status, detail):
        if status == "timeout":  # hold past the client's timeout, then hang up without answering
            p._stopping.wait(p.timeout_hold)
            return self._drop()
        return self._send(status, *forced_error(provider, status, detail, p.retry_after))

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


def main(argv=None) -> None:
    """Run the fake standalone, print its URL, serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m fakes.provider")
    options = {
        "--port": 0,
        "--latency": 0.0,
        "--failure-rate": 0.0,
        "--seed": 0,
        "--timeout-hold": 30.0,
        "--retry-after": 1,
        "--account-sid": ACCOUNT_SID,
        "--auth-token": AUTH_TOKEN,
        "--sendgrid-key": SENDGRID_KEY,
    }
    for flag, default in options.items():
        parser.add_argument(flag, type=type(default), default=default)
    provider = FakeProvider(**vars(parser.parse_args(argv))).start()
    print(provider.url, flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    provider.stop()
    print(f"accepted {len(provider.accepted)} of {len(provider.requests)} requests", file=sys.stderr)


if __name__ == "__main__":
    main()
