"""The cohort page's prompts: the discussion and practice steps sent so far, with peers' answers and the learner's own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from drip.domain import cohort, messages
from drip.domain.templates import TemplateProblem, render
from drip.domain.translations import StepText, pick
from drip.extensions import db
from drip.models import Delivery, Learner, Reply, Step, TrainingSession
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
    author: int | None = None  # the learner who wrote it: their own answers are not listed among their peers'


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


def prompt_text(step, ctx: Mapping[str, Any], language: str = "en") -> str:
    """The text of a step (a Step or a shared.PromptStep) as this learner received it (its translation into
    their language, rendered for them); its plain body if it cannot render."""
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


def own_answers(ts: TrainingSession, learner: Learner, step_ids: list[int]) -> dict[int, list[Answer]]:
    """The learner's own answers to these prompts (approved or not), each marked when it awaits the trainer."""
    mine: dict[int, list[Answer]] = {step_id: [] for step_id in step_ids}
    if not step_ids:
        return mine
    rows = db.session.execute(
        select(Reply.id, Reply.step_id, Reply.body, Reply.shared, Reply.inbound_message_id)
        .where(
            Reply.learner_id == learner.id,
            Reply.session_id == ts.id,
            Reply.step_id.in_(step_ids),
            Reply.kind.in_(cohort.PEER_KINDS),
        )
        .order_by(Reply.created_at, Reply.id)
    ).all()
    kept = shown.pictures_for([row.inbound_message_id for row in rows])
    for reply_id, step_id, body, shared, message_id in rows:
        text = (body or "").strip()
        urls = tuple(picture.url for picture in kept.get(message_id, []) if picture.url)
        if text or urls:
            waiting = not shared and ts.cohort_publish != "all"
            mine[step_id].append(Answer(reply_id, text, "you", waiting=waiting, pictures=urls, author=learner.id))
    return mine


def learner_delivery_id(enrollment_id: int, step_id: int) -> int | None:
    """The learner's own delivery of a step (the one a texted answer would reply to), if any."""
    return db.session.scalar(
        select(Delivery.id)
        .where(Delivery.enrollment_id == enrollment_id, Delivery.step_id == step_id, Delivery.purpose == "step")
        .order_by(Delivery.attempt)
        .limit(1)
    )
