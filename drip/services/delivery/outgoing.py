"""What a sending thread needs about each delivery of a batch, loaded in one query, and its message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from drip.channels.base import OutgoingMessage
from drip.domain import catalog
from drip.services.simulator import sms_number
from drip.extensions import db
from drip.domain import links
from drip.domain import messages as compose
from drip.domain import quiz
from drip.domain.digests import SOURCE_KINDS, fit_sms
from drip.models import Delivery, Learner, Sequence, Step, Trainer, TrainingSession, utcnow
from drip.services.delivery import reads
from drip.services.programs.enrolment import learner_zone
from drip.services.replies import digests, privacy, testimonials


@dataclass(frozen=True)
class DeliveryToSend:
    """Everything a sending thread needs about one delivery, loaded with the batch."""

    delivery_id: int
    claim: str
    channel: str
    reply_token: str
    learner_id: int
    learner_name: str
    learner_timezone: str | None
    unsubscribe_token: str
    trainer_id: int
    trainer_name: str
    kind: str
    body: str
    subject: str | None
    choices: list | None
    session_title: str
    starts_at: datetime
    session_timezone: str
    join_url: str
    step_id: int
    session_id: int
    digest_source: str | None
    source_step_id: int | None
    digest_by: str
    due_at: datetime | None = None
    purpose: str = "step"
    follow_up: dict | None = None
    ends_at: datetime | None = None


def load_batch(delivery_ids: list[int], claim: str) -> list[DeliveryToSend]:
    """The deliveries of a batch this job still owns, with their learner, step, session and trainer."""
    query = (
        select(
            Delivery.id,
            Delivery.job_id,
            Delivery.channel,
            Delivery.reply_token,
            Learner.id,
            Learner.name,
            Learner.timezone,
            Learner.unsubscribe_token,
            Trainer.id,
            Trainer.name,
            Step.kind,
            Step.body,
            Step.subject,
            Step.choices,
            TrainingSession.title,
            TrainingSession.starts_at,
            TrainingSession.timezone,
            TrainingSession.join_url,
            Step.id,
            Delivery.session_id,
            Step.digest_source,
            Step.source_step_id,
            Sequence.digest_by,
            Delivery.due_at,
            Delivery.purpose,
            Step.follow_up,
            TrainingSession.ends_at,
        )
        .join(Learner, Learner.id == Delivery.learner_id)
        .join(Step, Step.id == Delivery.step_id)
        .join(Sequence, Sequence.id == Step.sequence_id)
        .join(TrainingSession, TrainingSession.id == Delivery.session_id)
        .join(Trainer, Trainer.id == TrainingSession.trainer_id)
        # Only what this job still owns: a reschedule, a cancel or a STOP may have taken some back.
        .where(Delivery.id.in_(delivery_ids), Delivery.status == "queued", Delivery.job_id == claim)
    )
    batch = [DeliveryToSend(*row) for row in db.session.execute(query)]
    db.session.rollback()  # hand the connection back before the slow part
    return batch


def build_message(item: DeliveryToSend, address: str, now: datetime | None = None) -> OutgoingMessage:
    """The rendered SMS or email for one delivery, as of now (TemplateProblem, or NothingToShare for an
    empty digest)."""
    tz = learner_zone(item.learner_timezone, item.session_timezone)
    answers = []
    if item.kind == "digest":
        answers = digests.answers(item.session_id, item.digest_source, item.source_step_id, item.digest_by)
    quote = testimonials.quote_for(item) if item.kind == "testimonial" else ""
    at, number = now or utcnow(), sms_number(current_app.config)

    def ctx(shown: list) -> dict:
        return compose.context(
            learner_name=item.learner_name,
            session_title=item.session_title,
            starts_at=item.starts_at,
            join_url=item.join_url,
            trainer_name=item.trainer_name,
            tz=tz,
            hint=compose.reply_hint(item.kind, item.channel, item.choices),
            now=at,
            number=number,
            answers=shown,
            testimonial=quote,
        )

    body, step_subject = item.body, item.subject
    if item.purpose == "follow_up" and item.follow_up:
        body, step_subject = item.follow_up["body"], item.follow_up.get("subject")
    config = current_app.config
    track = reads.tracker(config, item.delivery_id)
    sms = catalog.channel(item.channel).shape == "text"

    def text_of(shown: list) -> tuple[str, str]:
        rendered, title = compose.render_step(body, step_subject, ctx(shown), sms=sms)
        return (links.rewrite(rendered, track) if track else rendered), title

    if item.kind == "digest" and sms:
        # An SMS digest keeps to a set number of segments: as many answers as fit, tracked links included.
        text, _ = fit_sms(answers, lambda shown: text_of(shown)[0])
        subject = item.session_title
    else:
        text, subject = text_of(answers)
    if sms:
        return compose.sms_message(
            delivery_id=item.delivery_id, to=address, text=text, config=config, channel=item.channel
        )
    domain = config.get("INBOUND_EMAIL_DOMAIN")
    answer_links = ""
    if item.kind == "quiz" and item.purpose != "follow_up" and item.choices and domain:
        answer_links = quiz.answer_links_html(item.choices, f"reply+{item.reply_token}@{domain}", subject)
    if item.kind in SOURCE_KINDS:
        text += "\n\n" + privacy.email_line(config, item.delivery_id)
    return compose.email_message(
        delivery_id=item.delivery_id,
        to=address,
        subject=subject,
        text=text,
        unsubscribe_token=item.unsubscribe_token,
        reply_token=item.reply_token,
        config=config,
        extra_html=answer_links,
    )
