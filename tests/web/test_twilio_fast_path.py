"""The Twilio fast path answers exactly as the Flask views would, and leaves everything else to them."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from drip.extensions import db
from drip.models import InboundReceipt, ProviderEvent
from tests.support.inbound_factory import SMS_PATH, sms_form, twilio_signature

TOKEN = "fast-path-auth-token"
BASE = "https://drip.example.org"
STATUS_PATH = "/webhooks/twilio/status"
VIEWS = {STATUS_PATH: "webhooks_status.twilio_status", SMS_PATH: "webhooks_inbound.twilio_sms"}


@pytest.fixture()
def signed(app):
    app.config.update(TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=BASE)
    return app


def status_form(n: int) -> dict:
    return {"MessageSid": f"SM{n:032x}", "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}


def post(client, path: str, form, *, query: str = "", signature: str | None = None):
    url = path + (f"?{query}" if query else "")
    if signature is None:
        signature = RequestValidator(TOKEN).compute_signature(BASE + url, form)
    return client.post(
        url,
        data=urlencode(list(form.items(multi=True)) if isinstance(form, MultiDict) else form),
        headers={"X-Twilio-Signature": signature},
        content_type="application/x-www-form-urlencoded",
    )


def answered(response) -> tuple:
    return response.status, sorted(response.headers.items()), response.get_data()


@pytest.fixture()
def views(signed, monkeypatch):
    """Count the calls of the two Flask views; `views.only()` sends every request to them."""

    class Views:
        calls: list[str] = []

        @staticmethod
        def only():
            # The stalled-body guard (issue 23) sits in front of the fast path: skip the fast path behind it.
            guard = signed.wsgi_app
            monkeypatch.setattr(guard, "wsgi_app", guard.wsgi_app.wsgi_app)

    for path, endpoint in VIEWS.items():
        view = signed.view_functions[endpoint]

        def counted(*args, _view=view, _path=path, **kwargs):
            Views.calls.append(_path)
            return _view(*args, **kwargs)

        monkeypatch.setitem(signed.view_functions, endpoint, counted)
    return Views


def test_a_status_callback_is_stored_and_answered_as_the_view_answers_it(signed, client, views):
    fast = post(client, STATUS_PATH, status_form(1), query="d=7")
    assert views.calls == []  # answered without the Flask view
    views.only()
    slow = post(client, STATUS_PATH, status_form(2), query="d=7")
    assert views.calls == [STATUS_PATH]
    assert answered(fast) == answered(slow) and fast.status_code == 204
    assert "Content-Security-Policy" in fast.headers and "Strict-Transport-Security" in fast.headers
    stored = db.session.scalars(select(ProviderEvent).order_by(ProviderEvent.id)).all()
    assert [(e.event_id, e.payload["MessageSid"]) for e in stored] == [
        (f"SM{1:032x}:delivered", f"SM{1:032x}"),
        (f"SM{2:032x}:delivered", f"SM{2:032x}"),
    ]
    assert stored[0].payload == stored[1].payload | {"MessageSid": f"SM{1:032x}"}  # the hint ?d= kept alike


def test_texts_are_stored_or_answered_in_twiml_as_the_view_does(signed, client, views):
    # HELP is answered in the request (TwiML); a question is stored for a worker (empty TwiML).
    sms = lambda body, n: sms_form(body, sid=f"SM{n:032x}")  # noqa: E731
    fast = [post(client, SMS_PATH, sms("HELP", 1)), post(client, SMS_PATH, sms("What is SBI?", 2))]
    assert views.calls == []
    views.only()
    slow = [post(client, SMS_PATH, sms("HELP", 3)), post(client, SMS_PATH, sms("What is SBI?", 4))]
    assert views.calls == [SMS_PATH, SMS_PATH]
    assert [answered(r) for r in fast] == [answered(r) for r in slow]
    assert b"<Message>" in fast[0].get_data() and b"<Message>" not in fast[1].get_data()
    assert db.session.scalar(select(func.count()).select_from(InboundReceipt)) == 2  # the two questions


def test_a_repeat_is_a_repeat_on_either_path(signed, client, views):
    assert post(client, STATUS_PATH, status_form(5)).status_code == 204
    views.only()
    assert post(client, STATUS_PATH, status_form(5)).status_code == 204
    assert db.session.scalar(select(func.count()).select_from(ProviderEvent)) == 1


def test_what_is_not_the_common_case_goes_on_to_the_view_unchanged(signed, client, views):
    # A forged signature: refused by the view, with its JSON error.
    forged = post(client, STATUS_PATH, status_form(6), signature="not-a-signature")
    assert forged.status_code == 403 and forged.is_json and views.calls == [STATUS_PATH]
    # A repeated field: signed over both values, as the view's MultiDict reads them.
    repeated = MultiDict([*status_form(7).items(), ("ErrorCode", "1"), ("ErrorCode", "2")])
    assert post(client, STATUS_PATH, repeated).status_code == 204 and views.calls[-1] == STATUS_PATH
    # Not urlencoded: the view parses (and here refuses) it.
    form = sms_form("multipart?")
    response = client.post(
        SMS_PATH,
        data=form,
        headers={"X-Twilio-Signature": twilio_signature(signed, form)},
        content_type="multipart/form-data",
    )
    assert views.calls[-1] == SMS_PATH and response.status_code == 200
    # Over the limit: the view's 413.
    big = status_form(8) | {"Padding": "x" * 70_000}
    assert post(client, STATUS_PATH, big).status_code == 413
    # Malformed (no MessageSid): the view's 400, with its message.
    calls = len(views.calls)
    malformed = post(client, STATUS_PATH, {k: v for k, v in status_form(9).items() if k != "MessageSid"})
    assert malformed.status_code == 400 and len(views.calls) == calls + 1
