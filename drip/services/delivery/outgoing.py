"""What a sending thread needs about each delivery of a batch, loaded in one query, and its message."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from drip.channels.base import OutgoingMessage
from drip.extensions import db
from drip.domain import links
from drip.domain import messages as compose
from drip.domain import quiz
from drip.domain.digests import SOURCE_KINDS, fit_sms
from drip.models import Delivery, Learner, Sequence, Step, Trainer, TrainingSession
from drip.services.delivery import reads
from drip.services.programs.enrolment import learner_zone
from drip.services.replies import digests, privacy, testimonials


@dataclass(frozen=True)
class Parcel:
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


def load_parcels(delivery_ids: list[int], claim: str) -> list[Parcel]:
    """The deliveries of a batch this job still owns, with their learner, step, session and trainer."""
    query = (
        select(Delivery.id, Delivery.job_id, Delivery.channel, Delivery.reply_token, Learner.id, Learner.name,
               Learner.timezone, Learner.unsubscribe_token, Trainer.id, Trainer.name, Step.kind, Step.body,
               Step.subject, Step.choices, TrainingSession.title, TrainingSession.starts_at,
               TrainingSession.timezone, TrainingSession.join_url, Step.id, Delivery.session_id, Step.digest_source,
               Step.source_step_id, Sequence.digest_by, Delivery.due_at, Delivery.purpose, Step.follow_up)
        .join(Learner, Learner.id == Delivery.learner_id).join(Step, Step.id == Delivery.step_id)
        .join(Sequence, Sequence.id == Step.sequence_id)
        .join(TrainingSession, TrainingSession.id == Delivery.session_id)
        .join(Trainer, Trainer.id == TrainingSession.trainer_id)
        # Only what this job still owns: a reschedule, a cancel or a STOP may have taken some back.
        .where(Delivery.id.in_(delivery_ids), Delivery.status == "queued", Delivery.job_id == claim)
    )
    parcels = [Parcel(*row) for row in db.session.execute(query)]
    db.session.rollback()  # hand the connection back before the slow part
    return parcels


def build_message(parcel: Parcel, address: str) -> OutgoingMessage:
    """The rendered SMS or email for one delivery (TemplateProblem, or NothingToShare for an empty digest)."""
    tz = learner_zone(parcel.learner_timezone, parcel.session_timezone)
    answers = []
    if parcel.kind == "digest":
        answers = digests.answers(parcel.session_id, parcel.digest_source, parcel.source_step_id, parcel.digest_by)
    quote = testimonials.quote_for(parcel) if parcel.kind == "testimonial" else ""

    def ctx(shown: list) -> dict:
        return compose.context(
            learner_name=parcel.learner_name, session_title=parcel.session_title, starts_at=parcel.starts_at,
            join_url=parcel.join_url, trainer_name=parcel.trainer_name, tz=tz,
            hint=compose.reply_hint(parcel.kind, parcel.channel, parcel.choices), answers=shown, testimonial=quote)

    body, step_subject = parcel.body, parcel.subject
    if parcel.purpose == "follow_up" and parcel.follow_up:
        body, step_subject = parcel.follow_up["body"], parcel.follow_up.get("subject")
    config = current_app.config
    track = reads.tracker(config, parcel.delivery_id)

    def text_of(shown: list) -> tuple[str, str]:
        rendered, title = compose.render_step(body, step_subject, ctx(shown))
        return (links.rewrite(rendered, track) if track else rendered), title

    if parcel.kind == "digest" and parcel.channel == "sms":
        # An SMS digest keeps to a set number of segments: as many answers as fit, tracked links included.
        text, _ = fit_sms(answers, lambda shown: text_of(shown)[0])
        subject = parcel.session_title
    else:
        text, subject = text_of(answers)
    if parcel.channel == "sms":
        return compose.sms_message(delivery_id=parcel.delivery_id, to=address, text=text, config=config)
    domain = config.get("INBOUND_EMAIL_DOMAIN")
    answer_links = ""
    if parcel.kind == "quiz" and parcel.purpose != "follow_up" and parcel.choices and domain:
        answer_links = quiz.answer_links_html(parcel.choices, f"reply+{parcel.reply_token}@{domain}", subject)
    if parcel.kind in SOURCE_KINDS:
        text += "\n\n" + privacy.email_line(config, parcel.delivery_id)
    return compose.email_message(delivery_id=parcel.delivery_id, to=address, subject=subject, text=text,
                                 unsubscribe_token=parcel.unsubscribe_token, reply_token=parcel.reply_token,
                                 config=config, extra_html=answer_links)
