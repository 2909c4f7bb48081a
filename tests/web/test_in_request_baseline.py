"""The benches' second baseline (bench/in_request_app.py) is the in-request design: each Twilio webhook
applied or routed inside its request, by its Flask view, and nothing stored for a worker."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from drip.extensions import db
from drip.models import Delivery, InboundMessage, InboundReceipt, ProviderEvent
from drip.services.webhooks import intake
from tests.support.delivery_rows import make_delivery, make_learner
from tests.support.inbound_factory import SMS_PATH, sms_form, twilio_signature

TOKEN = "in-request-auth-token"
BASE = "https://drip.example.org"
STATUS_PATH = "/webhooks/twilio/status"
SID = "SM" + "c" * 32


@pytest.fixture()
def baseline(app, app_config, monkeypatch):
    """The bench's app beside the test's, on the same database; intake's functions put back afterwards."""
    from bench import in_request_app

    for name in ("store_twilio_status", "store_sms"):
        monkeypatch.setattr(intake, name, getattr(intake, name))
    bench_app = in_request_app.create_app({**app_config, "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": BASE})
    yield bench_app
    with bench_app.app_context():
        db.engine.dispose()


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_status_callback_is_applied_in_its_request_by_the_view(baseline, trainer):
    delivery = make_delivery(make_learner(trainer), provider_message_id=SID, status="sent")
    form = {"MessageSid": SID, "MessageStatus": "delivered", "AccountSid": "AC" + "0" * 32}
    path = f"{STATUS_PATH}?d={delivery.id}"
    signature = RequestValidator(TOKEN).compute_signature(BASE + path, form)
    calls = []
    view = baseline.view_functions["webhooks_status.twilio_status"]
    baseline.view_functions["webhooks_status.twilio_status"] = lambda: calls.append(1) or view()
    with baseline.app_context():
        client = baseline.test_client()
        headers = {"X-Twilio-Signature": signature}
        body = urlencode(form)
        answers = [
            client.post(path, data=body, headers=headers, content_type="application/x-www-form-urlencoded")
            for _ in range(2)
        ]
        db.session.remove()
    assert [a.status_code for a in answers] == [204, 204] and calls == [1, 1]  # no fast path
    db.session.expire_all()
    assert db.session.get(Delivery, delivery.id).status == "delivered"  # no worker ran
    event = db.session.scalar(select(ProviderEvent))
    assert _count(ProviderEvent) == 1 and event.applied_at is not None and event.delivery_id == delivery.id


def test_a_text_is_routed_in_its_request(baseline):
    form = sms_form("What is SBI, and how do I use it with my team?")
    with baseline.app_context():
        response = baseline.test_client().post(
            SMS_PATH, data=form, headers={"X-Twilio-Signature": twilio_signature(baseline, form)}
        )
        db.session.remove()
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert _count(InboundMessage) == 1 and _count(InboundReceipt) == 0  # routed, nothing left for a worker
