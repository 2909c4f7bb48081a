"""Finding 5: a webhook whose body never finishes held a connection open for minutes (2 × 1,000 slots).

Now gunicorn, run as the Procfile runs it (gevent workers), answers 408 and closes within a few
seconds once a body stops arriving, on the Twilio fast path and on every other path, and a body that
arrives slowly but steadily still gets through.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IDLE = 2.0  # DRIP_BODY_TIMEOUT for this server; the default is 5 s


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answer_or_none(port: int) -> bytes | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return s.recv(100)
    except OSError:
        return None


@pytest.fixture(scope="module")
def gunicorn_port(app_config, tmp_path_factory):
    port = _free_port()
    instance = tmp_path_factory.mktemp("gunicorn-instance")
    env = {
        **os.environ,
        # Its own empty database: these requests never get as far as one.
        "DATABASE_URL": f"sqlite:///{instance / 'drip.db'}",
        "REDIS_URL": app_config["REDIS_URL"],
        "SECRET_KEY": "test-secret",
        "DRIP_INSTANCE_PATH": str(instance),
        "DRIP_BODY_TIMEOUT": str(IDLE),
    }
    for name in ("TWILIO_ACCOUNT_SID", "SENDGRID_API_KEY"):
        env.pop(name, None)
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    command += ["--worker-class", "gevent_pywsgi", "--worker-connections", "1000", "drip:create_app()"]
    log = instance / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while _answer_or_none(port) is None:
                assert server.poll() is None, log.read_text()[-2000:]
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)


def _stalled(port: int, path: str) -> tuple[bytes, float]:
    """Send headers and part of the body, then nothing: what the server answers, and after how long."""
    with socket.create_connection(("127.0.0.1", port), timeout=IDLE + 10) as s:
        s.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 500\r\n\r\nFrom=%2B14155550101&Body=hel".encode()
        )
        started = time.monotonic()
        answer = b""
        while chunk := s.recv(4096):
            answer += chunk
        return answer, time.monotonic() - started


@pytest.mark.parametrize("path", ["/webhooks/twilio/sms", "/webhooks/sendgrid/inbound", "/login"])
def test_a_body_that_stops_arriving_gets_408_within_seconds(gunicorn_port, path):
    answer, waited = _stalled(gunicorn_port, path)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert IDLE * 0.9 <= waited < IDLE + 5  # the connection is closed too: the slot is free again


def test_a_slow_but_steady_body_still_gets_through(gunicorn_port):
    body = b"From=%2B14155550101&Body=hello"
    with socket.create_connection(("127.0.0.1", gunicorn_port), timeout=20) as s:
        s.sendall(
            b"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        # The whole body takes twice IDLE, each piece under a third of it (a thread woken late has room).
        for start in range(0, len(body), 5):
            s.sendall(body[start : start + 5])
            time.sleep(IDLE * 0.3)
        answer = s.recv(200)
    assert answer.startswith(b"HTTP/1.1 403"), answer  # unsigned: refused by the webhook, not timed out
