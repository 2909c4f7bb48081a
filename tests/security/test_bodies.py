"""Oversized bodies get 413 before anyone reads them (issue 16, finding 4)."""

from __future__ import annotations

import io

import pytest
from werkzeug.test import EnvironBuilder, run_wsgi_app

from drip.web.limits import FORM_LIMIT, body_limit


def _post(app, path: str, stream, headers: dict[str, str]) -> int:
    """POST a raw stream through the whole WSGI app, as a server would hand it over."""
    environ = EnvironBuilder(path=path, method="POST", content_type="application/x-www-form-urlencoded").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = stream
    environ.update(
        {
            "HTTP_" + k.upper().replace("-", "_") if k != "Content-Length" else "CONTENT_LENGTH": v
            for k, v in headers.items()
        }
    )
    if "Transfer-Encoding" in headers:
        environ["wsgi.input_terminated"] = True
    _, status, _ = run_wsgi_app(app, environ, buffered=True)
    return int(status.split()[0])


class CountingStream(io.RawIOBase):
    """A body that claims to be huge and counts what the server reads of it."""

    def __init__(self, size: int) -> None:
        self.left, self.read_bytes = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left, 65536)
        buffer[:n] = b"a" * n
        self.left -= n
        self.read_bytes += n
        return n


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/twilio/sms",
        "/webhooks/twilio/status",
        "/webhooks/sendgrid/inbound",
        "/webhooks/sendgrid/events",
        "/login",
        "/api/v1/sessions",
        "/learners/import",
    ],
)
def test_a_200_mb_post_is_refused_unread(app, path):
    body = CountingStream(200 * 1024 * 1024)
    assert _post(app, path, body, {"Content-Length": str(200 * 1024 * 1024)}) == 413
    assert body.read_bytes == 0


def test_a_chunked_body_is_cut_off_at_the_limit(app):
    limit = body_limit("/login")
    body = CountingStream(50 * limit)
    assert _post(app, "/login", body, {"Transfer-Encoding": "chunked"}) == 413
    assert body.read_bytes <= limit + 65536


def test_limits_follow_the_route():
    assert body_limit("/webhooks/twilio/sms") < body_limit("/api/v1/sessions") < body_limit("/learners/import")
    assert body_limit("/sequences/1/steps/new") == FORM_LIMIT > 100 * 1024  # an email body of 100 KB fits


def test_the_api_answers_413_as_json(client):
    response = client.post("/api/v1/sessions", data=b"x" * (body_limit("/api/") + 1), content_type="application/json")
    assert response.status_code == 413
    assert set(response.get_json()) == {"error", "details"}
