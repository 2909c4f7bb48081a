"""Filing a routed inbound message: the live question, reply, vote or keyword answer it becomes, one commit.

receive.py turns a webhook's text or email into routes (domain/routing); this applies them, commits
once, then tells the boards. A cohort page post is filed here too, exactly as a texted reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from drip.domain import catalog
from drip.domain.keywords import keyword_language
from drip.domain.routing import Route
from drip.domain.simulated import simulated_for
from drip.domain.words import acknowledgement, say
from drip.extensions import db
from drip.models import InboundMessage, Learner, LiveQuestion, Reply, TrainingSession
from drip.services.inbound import lookup
from drip.services.learners.language import language_for
from drip.services.media import pictures

REPLY_KINDS = catalog.learner_reply_kinds()  # what routing may file a learner's answer as


@dataclass(frozen=True)
class InboundOutcome:
    """What became of one inbound message; `answer` is the SMS to send back, if any."""

    kind: str
    duplicate: bool = False
    answer: str | None = None
    inbound_id: int | None = None
    question_id: int | None = None
    reply_id: int | None = None
    pictures: int = 0  # pictures noted for the media lane to fetch or check


def already_stored(channel: str, provider_id: str) -> InboundMessage | None:
    """The inbound message this provider id was stored as, if it was."""
    return db.session.scalar(
        select(InboundMessage).where(
            InboundMessage.channel == channel, InboundMessage.provider_message_id == provider_id
        )
    )


def store_routed(message: InboundMessage, decided: Route, learner: Learner, now: datetime) -> InboundOutcome:
    """Store one message whose step is already known (a post from the cohort page) exactly as a routed reply; commits."""
    return file_messages([(message, decided, learner)], now)


def file_messages(
    entries: list[tuple[InboundMessage, Route, Learner | None]], now: datetime, emailed=()
) -> InboundOutcome:
    """Apply each route (the first is the primary), commit once, then tell the boards; a concurrent repeat is a duplicate."""
    from drip.services.board import board, polls

    events, votes, outcome = [], [], None
    try:
        for message, decided, learner in entries:
            message.routed_as = decided.kind
            message.learner_id = learner.id if learner else None
            # A stranger's text keeps the trainer it was simulated for, if any.
            message.trainer_id = learner.trainer_id if learner else message.trainer_id
            message.session_id, message.delivery_id = decided.session_id, decided.delivery_id
            db.session.add(message)
            db.session.flush()
            answer, question, reply = _apply(message, decided, learner, now)
            db.session.flush()
            # Noted for a worker's media lane, which fetches (MMS) or checks (email) and keeps them.
            if message.channel == "sms":
                noted = pictures.note_sms_pictures(message, now)
            else:
                noted = pictures.note_email_pictures(message, emailed, now)
            # Everything the answer and the board need is read now: after the commit each of these
            # attributes would cost a SELECT (expire on commit), on the webhook's hot path.
            if question is not None:
                # No picture is kept yet: the media lane fetches them, then publishes the question again.
                events.append((question.session_id, board.question_event(question, pictures=[])))
            if reply is not None and reply.kind == "poll_vote" and reply.session_id and reply.step_id:
                votes.append((reply.session_id, reply.step_id))
            outcome = outcome or InboundOutcome(
                message.routed_as,
                answer=answer,
                inbound_id=message.id,
                question_id=question.id if question else None,
                reply_id=reply.id if reply else None,
                pictures=noted,
            )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        first = entries[0][0]
        seen = already_stored(first.channel, first.provider_message_id)
        if seen is None:
            raise
        return InboundOutcome(seen.routed_as, duplicate=True, inbound_id=seen.id)
    for event in events:
        board.publish_event(*event)
    for vote in votes:
        # Counted after the commit (at most every 250 ms a poll), so the chart includes every vote so far.
        polls.vote_counted(*vote)
    return outcome


def _consent_or_privacy(message: InboundMessage, learner: Learner, now: datetime) -> str | None:
    """A whole-message yes or no to a pending testimonial question, or PRIVATE: applied, and the text to answer; else None."""
    from drip.domain import consent
    from drip.services.replies import privacy, testimonials

    said = consent.answer(message.body, learner.language)
    if said and (pending := testimonials.pending_for(learner.id, now)):
        testimonials.answer(pending, said, now)
        message.routed_as = "testimonial_consent" if said == "yes" else "testimonial_declined"
        return consent.thanks(learner.language) if said == "yes" else consent.declined(learner.language)
    if privacy.is_keyword(message.body):
        session_id = privacy.latest_answer_session(learner.id, now) or message.session_id
        if session_id and privacy.keep_private(session_id, learner.id):
            message.routed_as, message.session_id = "keep_private", session_id
            return say(language_for(learner), privacy.CONFIRMED)
    return None


def _apply(message: InboundMessage, decided: Route, learner: Learner | None, now: datetime):
    """The route's effect: opt-out, help, walk-in, live question or reply. Returns (answer, question, reply)."""
    from drip.services.inbound import answer_hooks, optout, walk_ins

    phone = message.from_address
    # A simulated text acts only on the simulating trainer's learners (STOP and START are otherwise global).
    scope = simulated_for(message.raw or {}, current_app.config)
    # A choice of a poll or quiz ("Yes" among its choices) is a vote, never a consent.
    voted = decided.kind in ("poll_vote", "quiz_answer") and decided.choice_index is not None
    if (
        learner is not None
        and decided.kind != "opt_out"
        and not voted
        and (answered := _consent_or_privacy(message, learner, now))
    ):
        if decided.kind == "opt_in":  # YES is also the SMS opt-in keyword: still honoured, harmless when opted in
            optout.opt_in_sms(phone, source="sms_keyword", detail=message.body[:200], now=now, trainer_id=scope)
        return answered, None, None
    if decided.kind == "opt_out":
        optout.opt_out_sms(phone, source="sms_keyword", detail=message.body[:200], now=now, trainer_id=scope)
        said_in = keyword_language(message.body)  # Twilio answers the English words itself
        confirm = say(language_for(learner, hint=said_in), optout.OPTED_OUT_CONFIRMATION) if said_in != "en" else None
        return confirm, None, None
    if decided.kind == "opt_in":
        optout.opt_in_sms(phone, source="sms_keyword", detail=message.body[:200], now=now, trainer_id=scope)
        return None, None, None
    if decided.kind == "help":
        return optout.help_text(learner, language_for(learner, hint=keyword_language(message.body))), None, None
    training_session = db.session.get(TrainingSession, decided.session_id) if decided.session_id else None
    if decided.kind == "join" and training_session is not None:
        joined = walk_ins.join(training_session, phone, now=now)
        message.learner_id, message.trainer_id = joined.id, joined.trainer_id
        # A walk-in has no language yet: the session's sequence's.
        language = language_for(joined, training_session=training_session)
        welcome = say(
            language,
            "You're in for %(title)s. Text your questions to this number and they go straight to the board.",
            title=training_session.title,
        )
        return welcome, None, None
    if decided.kind == "live_question" and training_session is not None:
        question = LiveQuestion(
            session_id=training_session.id,
            learner_id=message.learner_id,
            body=message.body,
            inbound_message_id=message.id,
            created_at=now,
        )
        db.session.add(question)
        db.session.flush()
        said = catalog.acknowledgement(training_session.moderation, training_session.acknowledgement)
        return acknowledgement(said, language_for(learner, training_session=training_session)), question, None
    if training_session is None and decided.kind == "unclassified" and message.sender_verified:
        # Kept and shown: on the sender's nearest session, or a stranger's on the session nearest in time.
        # (An unverified email is never placed by guess: it could land on anyone's session.)
        training_session = lookup.nearest_session(
            now, learner_id=learner.id if learner else None, trainer_id=None if learner else message.trainer_id
        )
        message.session_id = training_session.id if training_session else None
    trainer_id = (
        learner.trainer_id if learner else (training_session.trainer_id if training_session else message.trainer_id)
    )
    message.trainer_id = trainer_id
    kind = decided.kind if decided.kind in REPLY_KINDS else "unclassified"
    reply = Reply(
        trainer_id=trainer_id,
        session_id=training_session.id if training_session else None,
        learner_id=message.learner_id,
        step_id=decided.step_id,
        delivery_id=decided.delivery_id,
        kind=kind,
        channel=message.channel,
        body=message.body,
        choice_index=decided.choice_index,
        inbound_message_id=message.id,
        created_at=now,
    )
    db.session.add(reply)
    db.session.flush()
    return answer_hooks.run(reply, now), None, reply
