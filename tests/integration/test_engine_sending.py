"""The send job: checks at send time, rendering, the outbox, and the real provider libraries."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from drip.extensions import db
from drip.models import Delivery, Learner, OutboxMessage
from drip.services.delivery.dispatch import claim_due, new_job_id
from drip.services.programs.enrolment import enrol
from drip.services.delivery.send import SendRefused, send_claimed, send_one_off
from drip.services.programs.sessions import cancel_session
from tests.support.engine_factory import deliveries, make_learners, make_sequence, make_session
from fakes.provider import FakeProvider
from fakes.provider_apis import ACCOUNT_SID, AUTH_TOKEN, SENDGRID_KEY

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(days=2)


def claimed(trainer, count=2, *, channel="sms", body=None, **session):
    """`count` learners enrolled in a one-step session, their deliveries claimed for one job."""
    kw = {"body": body} if body else {}
    sequence = make_sequence(trainer, ["PT0S"], channel=channel, **kw)
    ts = make_session(trainer, [sequence], NOW + timedelta(hours=1), **session)
    learners = make_learners(trainer, count, timezones=("Europe/London",))
    enrol(ts, learners, now=NOW)
    job = new_job_id()
    return ts, learners, claim_due(LATER, 100, job_id=job), job


@pytest.fixture()
def fake():
    with FakeProvider(timeout_hold=0.2) as provider:
        yield provider


@pytest.fixture()
def providers(app, fake):
    """The app sending through the real twilio and sendgrid libraries to the fake provider."""
    app.config.update(
        SMS_PROVIDER="twilio",
        EMAIL_PROVIDER="sendgrid",
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM_NUMBER="+15005550001",
        TWILIO_API_BASE=fake.url,
        SENDGRID_API_KEY=SENDGRID_KEY,
        SENDGRID_FROM_EMAIL="team@drip.example.org",
        SENDGRID_API_HOST=fake.url,
        SMS_RATE=0,
        PUBLIC_BASE_URL="https://drip.example.org",
        INBOUND_EMAIL_DOMAIN="in.drip.example.org",
    )
    yield app
    from drip.channels.registry import close_channels

    close_channels(app)


def test_outbox_sms_is_rendered_in_the_learners_zone_and_recorded_once(app, trainer):
    ts, learners, ids, job = claimed(
        trainer, body="Hi {{ first_name }}: {{ session.title }} at {{ session.starts_at }}"
    )
    assert send_claimed(ids, job) == {"not_ours": 0, "delivered": 2}  # the outbox is where a message arrives
    assert send_claimed(ids, job) == {"not_ours": 2}  # a repeat of the job sends nothing
    outbox = {m.delivery_id: m for m in db.session.scalars(select(OutboxMessage))}
    for d in deliveries(ts.id):
        message = outbox[d.id]
        assert (d.status, d.provider_message_id) == ("delivered", message.provider_message_id)
        assert d.provider_message_id.startswith("OB") and d.attempts == 1
        assert d.sent_at is not None and d.delivered_at == d.sent_at
        assert message.trainer_id == trainer.id and message.channel == "sms"
        assert message.body == "Hi Learner: Feedback that lands at Mon 2 Mar, 1:00 PM GMT"


def test_outbox_email_has_escaped_html_a_footer_and_the_unsubscribe_headers(app, trainer):
    # Links untracked here (tests/integration/test_reading.py covers tracked ones): the join URL shows as written.
    app.config.update(
        PUBLIC_BASE_URL="https://drip.example.org", INBOUND_EMAIL_DOMAIN="in.drip.example.org", TRACK_LINKS=False
    )
    ts, learners, ids, job = claimed(
        trainer, 1, channel="email", body="Hello {{ name }}\n\nJoin: {{ session.join_url }}"
    )
    learners[0].name = "<b>Bob</b> & co"
    db.session.commit()
    send_claimed(ids, job)
    message = db.session.scalar(select(OutboxMessage))
    d = deliveries(ts.id)[0]
    token = learners[0].unsubscribe_token
    assert message.subject == "Step Feedback that lands"
    assert message.body.startswith("Hello <b>Bob</b> & co\n\nJoin: https://meet.example.com/x")
    assert f"https://drip.example.org/u/{token}" in message.body
    assert "&lt;b&gt;Bob&lt;/b&gt; &amp; co" in message.html and "<b>Bob" not in message.html
    assert '<a href="https://meet.example.com/x">' in message.html
    assert message.headers == {
        "List-Unsubscribe": f"<https://drip.example.org/u/{token}/one-click>, "
        f"<mailto:unsubscribe@in.drip.example.org?subject=unsubscribe-{token}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Reply-To": f"reply+{d.reply_token}@in.drip.example.org",
    }


def test_checks_at_send_time_skip_opted_out_cancelled_and_unreachable_learners(app, trainer):
    from drip.services.inbound import optout

    ts, learners, ids, job = claimed(trainer, 3)
    optout.opt_out_sms(learners[0].phone, source="sms_keyword")  # skips the queued delivery itself
    db.session.commit()
    db.session.execute(update(Delivery).where(Delivery.learner_id == learners[0].id).values(status="queued"))
    db.session.execute(update(Learner).where(Learner.id == learners[1].id).values(phone=None))
    db.session.commit()

    assert send_claimed(ids, job) == {"not_ours": 0, "skipped": 2, "delivered": 1}
    rows = {d.learner_id: d for d in deliveries(ts.id)}
    assert "Opted out of SMS (replied STOP)" in rows[learners[0].id].error_message
    assert (rows[learners[1].id].status, rows[learners[1].id].error_message) == ("skipped", "no phone number")

    ts2, _, ids2, job2 = claimed(trainer, 1)
    cancel_session(ts2)
    db.session.execute(update(Delivery).where(Delivery.session_id == ts2.id).values(status="queued", job_id=job2))
    db.session.commit()
    assert send_claimed(ids2, job2) == {"not_ours": 0, "skipped": 1}
    assert deliveries(ts2.id)[0].error_message == "session cancelled"


def test_a_live_prompt_picked_up_after_the_session_ended_is_skipped_not_sent_late(app, trainer):
    from drip.models import Step

    # The session (NOW + 1 h, one hour long) is long over by the time the workers get to it.
    ts, _, ids, job = claimed(trainer, 1, hours=1)
    db.session.execute(update(Step).where(Step.id == deliveries(ts.id)[0].step_id).values(kind="live_prompt"))
    db.session.commit()
    assert send_claimed(ids, job) == {"not_ours": 0, "skipped": 1}
    [late] = deliveries(ts.id)
    assert (late.status, late.error_code, late.error_message) == ("skipped", "session_over", "session over")
    assert db.session.scalar(select(OutboxMessage.id)) is None


def test_a_delivery_taken_back_or_claimed_by_another_job_is_not_sent(app, trainer):
    ts, _, ids, job = claimed(trainer, 2)
    db.session.execute(update(Delivery).where(Delivery.id == ids[0]).values(status="scheduled", job_id=None))
    db.session.execute(update(Delivery).where(Delivery.id == ids[1]).values(job_id="drip-send-other"))
    db.session.commit()
    assert send_claimed(ids, job) == {"not_ours": 2}
    assert db.session.scalar(select(OutboxMessage.id)) is None


def test_twilio_through_the_real_library_with_a_status_callback_per_delivery(providers, trainer, fake):
    ts, learners, ids, job = claimed(trainer, 2)
    assert send_claimed(ids, job)["sent"] == 2
    accepted = {m["delivery_id"]: m for m in fake.accepted}
    for d in deliveries(ts.id):
        message = accepted[d.id]
        assert d.provider_message_id == message["sid"] and message["from"] == "+15005550001"
        callback = urlsplit(message["status_callback"])
        assert callback.path == "/webhooks/twilio/status" and parse_qs(callback.query) == {"d": [str(d.id)]}


def test_provider_errors_end_as_failed_with_the_reason_and_21610_opts_the_learner_out(providers, trainer, fake):
    ts, learners, ids, job = claimed(trainer, 4)
    fake.script.extend([("twilio", 400, 21211), ("twilio", 400, 21610), ("twilio", 500), ("twilio", "timeout")])
    outcome = send_claimed(ids, job)
    assert outcome == {"not_ours": 0, "failed": 2, "sent": 2}  # the 500 and the timeout were retried
    rows = deliveries(ts.id)
    failed = {d.error_code: d for d in rows if d.status == "failed"}
    assert set(failed) == {"21211", "21610"}
    assert "not a valid phone number" in failed["21211"].error_message
    opted = db.session.get(Learner, failed["21610"].learner_id)
    db.session.refresh(opted)
    assert opted.sms_opted_out_at is not None
    assert sorted(m["delivery_id"] for m in fake.accepted) == sorted(d.id for d in rows if d.status == "sent")


def test_a_send_whose_answer_was_lost_and_then_the_provider_went_away_is_unknown_not_resent(providers, trainer, fake):
    ts, learners, ids, job = claimed(trainer, 1)
    fake.hang = True  # Twilio has the request; its answer will never come

    def provider_host_goes_down():
        deadline = time.monotonic() + 10
        while not fake.requests and time.monotonic() < deadline:  # the request reaches the provider
            time.sleep(0.01)
        fake.stop()  # the port closes, then the held request is hung up on

    stopper = threading.Thread(target=provider_host_goes_down)
    stopper.start()
    try:
        assert send_claimed(ids, job) == {"not_ours": 0, "unknown": 1}
    finally:
        stopper.join()
    [d] = deliveries(ts.id)
    assert d.status == "unknown" and "not resent automatically" in d.error_message
    assert len(fake.requests) == 1  # the retry found the port closed and stopped there


def test_sendgrid_through_the_real_library(providers, trainer, fake):
    ts, learners, ids, job = claimed(trainer, 1, channel="email")
    assert send_claimed(ids, job)["sent"] == 1
    mail = next(m for m in fake.accepted if m["provider"] == "sendgrid")
    d = deliveries(ts.id)[0]
    assert mail["delivery_id"] == d.id and mail["reply_to"] == f"reply+{d.reply_token}@in.drip.example.org"
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert d.provider_message_id == mail["message_id"]


def test_one_off_messages_honour_opt_outs_and_go_through_the_channel(app, trainer):
    from drip.services.inbound import optout

    learner = make_learners(trainer, 1)[0]
    result = send_one_off(trainer, learner, "sms", "Thanks for your question!")
    message = db.session.scalar(select(OutboxMessage))
    assert (message.provider_message_id, message.delivery_id, message.trainer_id) == (
        result.provider_message_id,
        None,
        trainer.id,
    )
    optout.opt_out_sms(learner.phone, source="sms_keyword")
    db.session.commit()
    with pytest.raises(SendRefused, match="Opted out of SMS"):
        send_one_off(trainer, learner, "sms", "Again?")
    learner.email = None
    with pytest.raises(SendRefused, match="no email address"):
        send_one_off(trainer, learner, "email", "Hello")
