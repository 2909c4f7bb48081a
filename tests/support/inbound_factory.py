"""Rows and signed webhook posts for the inbound, board and replies tests (written directly, no engine)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from twilio.request_validator import RequestValidator

from drip.domain import catalog
from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Reply, Sequence, Step, TrainingSession, utcnow
from drip.services.inbound.receive import sms_webhook_token
from tests.support.webhook_drain import drain

SMS_PATH = "/webhooks/twilio/sms"
EMAIL_PATH = "/webhooks/sendgrid/inbound"


def make_session(
    trainer,
    *,
    starts_at: datetime | None = None,
    hours: float = 2,
    title: str = "Feedback that lands",
    join_keyword: str | None = None,
    timezone: str = "Europe/London",
) -> TrainingSession:
    """A training session of `trainer` (live now unless starts_at says otherwise)."""
    starts_at = starts_at or utcnow() - timedelta(minutes=10)
    ts = TrainingSession(
        trainer_id=trainer.id,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        timezone=timezone,
        join_keyword=join_keyword,
    )
    db.session.add(ts)
    db.session.commit()
    return ts


def make_learner(
    trainer, name: str = "Ada Lovelace", *, phone: str | None = "+14155550101", email: str | None = None
) -> Learner:
    """A learner of `trainer`."""
    learner = Learner(trainer_id=trainer.id, name=name, phone=phone, email=email)
    db.session.add(learner)
    db.session.commit()
    return learner


def enrol(ts: TrainingSession, *learners: Learner) -> list[Enrollment]:
    """Enrol learners in a session (no deliveries)."""
    rows = [Enrollment(session_id=ts.id, learner_id=learner.id) for learner in learners]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def make_step(
    trainer,
    kind: str,
    *,
    channel: str = "sms",
    choices=None,
    body: str = "Step body",
    subject: str | None = None,
    position: int = 0,
) -> Step:
    """A step of a fresh sequence of `trainer`."""
    sequence = Sequence(trainer_id=trainer.id, name=f"{kind} sequence")
    step = Step(
        kind=kind,
        channel=channel,
        anchor="end",
        offset="P1D",
        body=body,
        choices=choices,
        subject=subject,
        position=position,
    )
    sequence.steps.append(step)
    db.session.add(sequence)
    db.session.commit()
    return step


def make_reply(ts: TrainingSession, learner: Learner, step: Step | None, body: str, **fields) -> Reply:
    """A learner's reply in a session, to `step` (filed as that step's kind expects) or, without one, a
    practice report; `fields` sets any other column (channel, shared, delivery_id, created_at...)."""
    kind = catalog.step_kind(step.kind).reply_kind if step is not None else "practice_report"
    reply = Reply(
        trainer_id=ts.trainer_id,
        session_id=ts.id,
        learner_id=learner.id,
        step_id=step.id if step is not None else None,
        body=body,
        **{"kind": kind, "channel": "sms", **fields},
    )
    db.session.add(reply)
    db.session.commit()
    return reply


def sent_delivery(
    ts: TrainingSession,
    learner: Learner,
    step: Step,
    *,
    sent_at: datetime | None = None,
    provider_message_id: str | None = None,
) -> Delivery:
    """A delivery of `step` to `learner`, already sent (enrolling the learner when needed)."""
    enrollment = db.session.query(Enrollment).filter_by(session_id=ts.id, learner_id=learner.id).first()
    if enrollment is None:
        enrollment = enrol(ts, learner)[0]
    sent_at = sent_at or utcnow() - timedelta(minutes=5)
    delivery = Delivery(
        enrollment_id=enrollment.id,
        step_id=step.id,
        session_id=ts.id,
        learner_id=learner.id,
        channel=step.channel,
        due_at=sent_at,
        status="sent",
        sent_at=sent_at,
        provider_message_id=provider_message_id or f"SM{secrets.token_hex(16)}",
    )
    db.session.add(delivery)
    db.session.commit()
    return delivery


def sms_form(body: str, sender: str = "+14155550101", sid: str | None = None) -> dict[str, str]:
    """What Twilio POSTs for one inbound SMS."""
    return {
        "MessageSid": sid or f"SM{secrets.token_hex(16)}",
        "SmsSid": sid or "",
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }


def twilio_signature(app, form: dict, path: str = SMS_PATH) -> str:
    """The X-Twilio-Signature Twilio would send for this form."""
    token = sms_webhook_token(app.config)
    return RequestValidator(token).compute_signature(app.config["PUBLIC_BASE_URL"] + path, form)


def post_sms(client, app, body: str, sender: str = "+14155550101", sid: str | None = None, *, apply: bool = True):
    """POST a correctly signed inbound SMS through the test client; then, unless told not to, route it as a worker would."""
    form = sms_form(body, sender, sid)
    response = client.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": twilio_signature(app, form)})
    if apply:
        drain()
    return response


GMAIL_REPLY = """Tried the SBI model with my team lead today. Went much better than last time.

On Tue, 3 Mar 2026 at 09:00, Tess Trainer <trainer@example.com> wrote:
> Practice: give one piece of feedback using Situation-Behaviour-Impact
> and reply with how it went.
>
> Tess
"""


def inbound_parse_form(
    *,
    text: str = GMAIL_REPLY,
    sender: str = "Ada Lovelace <ada@example.com>",
    to: str = "reply@inbound.example.com",
    message_id: str | None = None,
    in_reply_to: str = "",
    subject: str = "Re: Practice",
) -> dict[str, str]:
    """What SendGrid Inbound Parse posts for one email (parsed mode)."""
    message_id = message_id or f"<{secrets.token_hex(8)}@mail.gmail.com>"
    headers = [
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        f"Message-ID: {message_id}",
        "Date: Tue, 3 Mar 2026 10:12:00 +0000",
        "MIME-Version: 1.0",
    ]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    return {
        "headers": "\n".join(headers) + "\n",
        "from": sender,
        "to": to,
        "subject": subject,
        "text": text,
        "envelope": '{"to":["%s"],"from":"ada@example.com"}' % to.split("<")[-1].strip(">"),
        "charsets": '{"to":"UTF-8","text":"UTF-8","subject":"UTF-8","from":"UTF-8"}',
        "SPF": "pass",
        "sender_ip": "209.85.220.41",
        "attachments": "0",
    }


def session_with_steps(
    trainer, steps: list[Step], *, starts_at: datetime, hours: float = 1, title: str = "Live one"
) -> TrainingSession:
    """A session whose one sequence holds `steps` (in that order), so its pages and polls see them."""
    sequence = Sequence(trainer_id=trainer.id, name=f"{title} steps")
    for position, step in enumerate(steps):
        step.position = position
        sequence.steps.append(step)
    ts = TrainingSession(
        trainer_id=trainer.id,
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        timezone="UTC",
        sequences=[sequence],
    )
    db.session.add_all([sequence, ts])
    db.session.commit()
    return ts


def sms_step(kind: str, offset: str, body: str = "Step body", *, anchor: str = "start", choices=None) -> Step:
    """An SMS step, not yet in a sequence (session_with_steps puts it in one)."""
    return Step(kind=kind, channel="sms", anchor=anchor, offset=offset, body=body, choices=choices)
