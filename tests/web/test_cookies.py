"""The session cookie lives where a browser is: webhooks neither read nor set one."""

from __future__ import annotations

from tests.support.inbound_factory import post_sms


def test_a_webhook_answers_without_a_session_cookie(app, client):
    response = post_sms(client, app, "When is the break?", apply=False)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert client.get("/healthz").headers.get("Set-Cookie") is None


def test_a_webhook_error_is_json_without_a_session(client):
    response = client.post("/webhooks/twilio/sms", data={"Body": "hi"})  # unsigned
    assert response.status_code == 403 and response.is_json
    assert "Set-Cookie" not in response.headers


def test_pages_still_get_their_session_and_csrf_cookie(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "session=" in response.headers.get("Set-Cookie", "")
