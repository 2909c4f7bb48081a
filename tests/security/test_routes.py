"""The probe, replayed on every route of the URL map: another trainer's ids, huge ids, CSRF, big bodies.

Routes come from the app's URL map, so a new route is covered without editing this file; a new
kind of URL argument fails `test_every_url_argument_has_a_value` until world.py names a value.
"""

from __future__ import annotations

import pytest

from drip.web import CSRF_EXEMPT_BLUEPRINTS, PUBLIC_BLUEPRINTS
from tests.conftest import csrf_token, login
from tests.security.world import PASSWORD, holdings

HUGE = 2**64 + 1
MISSING = {
    "session_id": 99_999,
    "learner_id": 99_999,
    "sequence_id": 99_999,
    "step_id": 99_999,
    "reply_id": 99_999,
    "question_id": 99_999,
    "token_id": 99_999,
    "upload_id": "nosuchupload",
    "item_id": 99_999,
    "media_id": 99_999,
}
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
OWNED = {
    "session_id",
    "learner_id",
    "sequence_id",
    "step_id",
    "reply_id",
    "question_id",
    "token_id",
    "upload_id",
    "item_id",
    "media_id",
}


@pytest.fixture()
def two(app):
    """Trainer A and trainer B, each with one of everything."""
    return holdings("a@example.com", "Ann", "+14155550111"), holdings("b@example.com", "Bob", "+14155550122")


def _rules(app, *, with_args: bool):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or bool(rule.arguments) != with_args:
            continue
        for method in sorted(rule.methods & set(METHODS)):
            yield rule, method


def _path(rule, values: dict) -> str:
    # A link token (cohort page) that belongs to no one: such routes must still answer 404.
    values = {"token": "no-such-link-token-000000", **values}
    return rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]


def _call(client, method: str, path: str, *, token: str | None = None, csrf: str | None = None, api_token=None):
    headers = {"Authorization": f"Bearer {api_token}"} if api_token else {}
    if path.startswith("/api/"):
        return client.open(path, method=method, headers=headers, json={} if method != "GET" else None)
    data = {"csrf_token": csrf} if csrf and method != "GET" else None
    return client.open(path, method=method, data=data, headers=headers)


def test_every_url_argument_has_a_value(app, two):
    a, _ = two
    names = {name for rule, _ in _rules(app, with_args=True) for name in rule.arguments}
    public_only = {"token", "filename"}  # unsubscribe tokens and static files: no trainer's id
    assert names - public_only <= set(a.ids), names - public_only - set(a.ids)


def test_another_trainers_ids_answer_404_on_every_route(app, client, two):
    a, b = two
    assert login(client, b.email, PASSWORD).status_code == 302
    csrf = csrf_token(client, "/")
    checked = 0
    for rule, method in _rules(app, with_args=True):
        if rule.endpoint.split(".")[0] in PUBLIC_BLUEPRINTS - {"api"} or not rule.arguments & OWNED:
            continue
        response = _call(client, method, _path(rule, a.ids), csrf=csrf, api_token=b.token)
        missing = _call(client, method, _path(rule, {**a.ids, **MISSING}), csrf=csrf, api_token=b.token)
        # Another trainer's id is answered exactly like an id that exists nowhere; the API may
        # refuse an empty body (422) before it looks the id up, for both alike.
        assert response.status_code == missing.status_code, (method, rule.rule, response.status_code)
        assert response.status_code in ((404, 422) if rule.rule.startswith("/api/") else (404,)), (method, rule.rule)
        checked += 1
    assert checked >= 30


def test_the_owner_reaches_every_page_those_ids_name(app, client, two):
    a, _ = two
    login(client, a.email, PASSWORD)
    for rule, method in _rules(app, with_args=True):
        if method != "GET" or rule.endpoint in {"board.events", "static"} or "token" in rule.arguments:
            continue
        response = _call(client, "GET", _path(rule, a.ids), api_token=a.token)
        assert response.status_code == 200, (rule.rule, response.status_code)


def test_ids_beyond_any_column_answer_404_everywhere(app, client, two):
    a, _ = two
    login(client, a.email, PASSWORD)
    csrf = csrf_token(client, "/")
    huge = {name: (HUGE if isinstance(value, int) else value) for name, value in a.ids.items()}
    checked = 0
    for rule, method in _rules(app, with_args=True):
        if not any(isinstance(a.ids.get(name), int) for name in rule.arguments):
            continue
        for value in (HUGE, 0, 2**31):
            path = _path(rule, {**huge, **{n: value for n in rule.arguments if isinstance(a.ids.get(n), int)}})
            response = _call(client, method, path, csrf=csrf, api_token=a.token)
            assert response.status_code == 404, (method, path, response.status_code)
            checked += 1
    assert checked >= 90


def test_every_admin_post_without_a_csrf_token_is_refused(app, client, two):
    a, _ = two
    login(client, a.email, PASSWORD)
    checked = 0
    for with_args in (False, True):
        for rule, method in _rules(app, with_args=with_args):
            if method == "GET" or rule.endpoint.split(".")[0] in CSRF_EXEMPT_BLUEPRINTS:
                continue
            path = _path(rule, a.ids) if with_args else rule.rule
            response = client.open(path, method=method, data={"name": "x", "body": "x"})
            assert response.status_code == 400, (method, path, response.status_code)
            assert b"CSRF" in response.data
            checked += 1
    assert checked >= 25


def test_a_wrong_method_answers_405_with_allow(client):
    for path, allowed in (
        ("/api/v1/sessions", {"GET", "POST"}),
        ("/logout", {"POST"}),
        ("/webhooks/twilio/sms", {"POST"}),
    ):
        response = client.open(path, method="DELETE")
        assert response.status_code == 405
        assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}
