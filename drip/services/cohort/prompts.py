"""The cohort page's prompts: the discussion and practice steps sent so far, with peers' answers and the learner's own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from drip.domain import cohort, messages
from drip.domain.digests import ANONYMOUS
from drip.domain.templates import TemplateProblem, render
from drip.domain.translations import StepText, pick
from drip.domain.words import say
from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Reply, Step, TrainingSession
from drip.services.media import shown
from drip.services.replies.answers import session_steps

HANDED_OVER = ("sent", "delivered", "undelivered")  # the provider had it: the prompt went out


@dataclass(frozen=True)
class Answer:
    """One answer on the page: its text, who wrote it as peers see it, and whether it awaits the trainer."""

    id: int
    text: str
    by: str
    waiting: bool = False
    pictures: tuple[str, ...] = ()  # /m/ addresses of the pictures sent with it (shown as the text is)


@dataclass
class Prompt:
    """A discussion or practice step sent so far: its text, peers' shown answers and the learner's own."""

    step_id: int
    kind: str
    text: str
    peers: list[Answer] = field(default_factory=list)
    mine: list[Answer] = field(default_factory=list)


def sent_prompt_steps(training_session: TrainingSession) -> list[Step]:
    """The session's discussion and practice steps that went out to anyone, in sequence order."""
    steps = [s for s in session_steps(training_session) if s.kind in cohort.PROMPT_KINDS and s.deleted_at is None]
    if not steps:
        return []
    sent = set(
        db.session.scalars(
            select(Delivery.step_id)
            .where(
                Delivery.session_id == training_session.id,
                Delivery.step_id.in_([s.id for s in steps]),
                Delivery.status.in_(HANDED_OVER),
            )
            .distinct()
        )
    )
    return [s for s in steps if s.id in sent]


def prompt_text(step: Step, ctx: Mapping[str, Any], language: str = "en") -> str:
    """The step's text as this learner received it (its translation into their language, rendered for them);
    its plain body if it cannot render."""
    own = StepText(step.body, step.subject, step.choices, step.explain, step.follow_up)
    body = pick(language, own, step.translations).body
    try:
        return render(body, ctx).strip()
    except TemplateProblem:
        return body.strip()


def learner_context(
    learner: Learner, ts: TrainingSession, tz, trainer_name: str, page_url: str, now: datetime, language: str = "en"
) -> dict:
    """The names a prompt body uses, for this learner in their language, as of now."""
    ctx = messages.context(
        learner_name=learner.name,
        session_title=ts.title,
        starts_at=ts.starts_at,
        join_url=ts.join_url,
        trainer_name=trainer_name,
        tz=tz,
        hint="",
        now=now,
        cohort_url=page_url,
        language=language,
    )
    return ctx


def prompts(ts: TrainingSession, learner: Learner, ctx: Mapping[str, Any], language: str = "en") -> list[Prompt]:
    """The prompts sent so far (in the learner's language), each with the answers peers may read and their own."""
    steps = sent_prompt_steps(ts)
    if not steps:
        return []
    by_step = {s.id: Prompt(s.id, s.kind, prompt_text(s, ctx, language)) for s in steps}
    attribution = {s.id: s.sequence.digest_by for s in steps}
    # Only rows someone may see are loaded: the learner's own, and the approved ones (or all when published at once).
    visible = or_(Reply.learner_id == learner.id, Reply.shared.is_(True)) if ts.cohort_publish != "all" else True
    rows = db.session.execute(
        select(
            Reply.id,
            Reply.step_id,
            Reply.body,
            Reply.shared,
            Reply.learner_id,
            Learner.name,
            Learner.sms_opted_out_at,
            Learner.email_opted_out_at,
            Enrollment.answers_private,
            Reply.inbound_message_id,
        )
        .join(Learner, Learner.id == Reply.learner_id)
        .outerjoin(
            Enrollment, and_(Enrollment.session_id == Reply.session_id, Enrollment.learner_id == Reply.learner_id)
        )
        .where(
            Reply.session_id == ts.id,
            Reply.step_id.in_(list(by_step)),
            Reply.kind.in_(cohort.PEER_KINDS),
            Learner.erased_at.is_(None),
            visible,
        )
        .order_by(Reply.created_at, Reply.id)
    ).all()
    kept = shown.pictures_for([row.inbound_message_id for row in rows])
    for reply_id, step_id, body, shared, author, name, sms_out, email_out, private, message_id in rows:
        text = (body or "").strip()
        urls = tuple(picture.url for picture in kept.get(message_id, []) if picture.url)
        if not text and not urls:
            continue
        prompt = by_step[step_id]
        if author == learner.id:
            waiting = not shared and ts.cohort_publish != "all"
            prompt.mine.append(Answer(reply_id, text, "you", waiting=waiting, pictures=urls))
        elif cohort.peers_see(
            shared=shared,
            private=bool(private),
            opted_out=sms_out is not None or email_out is not None,
            publish=ts.cohort_publish,
        ):
            by = cohort.attributed((name or "").split(" ")[0], attribution[step_id])
            by = say(language, ANONYMOUS) if by == ANONYMOUS else by
            prompt.peers.append(Answer(reply_id, cohort.masked(text), by, pictures=urls))
    return list(by_step.values())


def learner_delivery_id(enrollment_id: int, step_id: int) -> int | None:
    """The learner's own delivery of a step (the one a texted answer would reply to), if any."""
    return db.session.scalar(
        select(Delivery.id)
        .where(Delivery.enrollment_id == enrollment_id, Delivery.step_id == step_id, Delivery.purpose == "step")
        .order_by(Delivery.attempt)
        .limit(1)
    )
