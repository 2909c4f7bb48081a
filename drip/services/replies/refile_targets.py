"""Where a re-filed text goes: the kind, step and choice a move names, checked against the session."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from drip.domain import catalog
from drip.domain.choices import parse_choice
from drip.extensions import db
from drip.models import Delivery, InboundMessage, TrainingSession
from drip.services.replies.answers import session_steps

KINDS = catalog.names(catalog.REPLY_KINDS)
# Which step kind a reply of each kind answers (poll_vote → poll, ...).
STEP_OF_KIND = {reply: step for step, reply in catalog.answer_kinds().items()}
# Reply kinds that name a choice of their step (a vote, a quiz answer).
CHOICE_KINDS = tuple(catalog.answer_kinds()[step] for step in catalog.choice_step_kinds())


class RefileInvalid(ValueError):
    """The move cannot be made as asked; `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Target:
    """Where a text goes: its kind, and the step and choice it answers."""

    kind: str
    step_id: int | None = None
    choice_index: int | None = None


def _default_step(training_session: TrainingSession, candidates: list[int], learner_id: int | None) -> int | None:
    """The step a move most likely means: the latest of these sent to the learner, else the only one."""
    if learner_id is not None and candidates:
        sent = db.session.scalar(
            select(Delivery.step_id)
            .where(
                Delivery.session_id == training_session.id,
                Delivery.learner_id == learner_id,
                Delivery.step_id.in_(candidates),
                Delivery.sent_at.is_not(None),
            )
            .order_by(Delivery.sent_at.desc())
            .limit(1)
        )
        if sent is not None:
            return sent
    return candidates[0] if len(candidates) == 1 else None


def resolve(
    training_session: TrainingSession | None,
    kind: str,
    body: str,
    current_step_id: int | None,
    step_id: int | None,
    choice_index: int | None,
    learner_id: int | None = None,
) -> Target:
    """Check the asked kind, step and choice against the session; fill in what can be inferred."""
    if kind not in KINDS:
        raise RefileInvalid("kind", f"must be one of {', '.join(KINDS)}")
    if training_session is None:
        raise RefileInvalid("session_id", "this text belongs to no session yet: say which session it goes to")
    if kind == "live_question":
        return Target(kind)
    wanted = STEP_OF_KIND.get(kind)
    steps = {step.id: step for step in session_steps(training_session)}
    if step_id is not None and (step_id not in steps or (wanted and steps[step_id].kind != wanted)):
        raise RefileInvalid(
            "step_id", f"is not a {wanted} step of this session" if wanted else "is not a step of this session"
        )
    if step_id is None and current_step_id in steps and (wanted is None or steps[current_step_id].kind == wanted):
        step_id = current_step_id
    if step_id is None and wanted is not None:
        step_id = _default_step(training_session, [i for i, step in steps.items() if step.kind == wanted], learner_id)
    if kind not in CHOICE_KINDS:
        return Target(kind, step_id)
    if step_id is None:
        raise RefileInvalid("step_id", f"say which {wanted} of this session this answers")
    choices = list(steps[step_id].choices or ())
    if choice_index is None:
        choice_index = parse_choice(body, choices)
    if choice_index is None or not 0 <= choice_index < len(choices):
        raise RefileInvalid("choice_index", f"pick one of the {len(choices)} choices (0-based)")
    return Target(kind, step_id, choice_index)


def delivery_for(training_session: TrainingSession, learner_id: int | None, step_id: int | None) -> int | None:
    """The latest delivery of this step to the learner in the session, if any."""
    if learner_id is None or step_id is None:
        return None
    return db.session.scalar(
        select(Delivery.id)
        .where(
            Delivery.session_id == training_session.id,
            Delivery.learner_id == learner_id,
            Delivery.step_id == step_id,
        )
        .order_by(Delivery.sent_at.desc())
        .limit(1)
    )


def channel_of(inbound_message_id: int | None) -> str:
    """The channel an inbound message came by (SMS when unknown)."""
    channel = (
        db.session.scalar(select(InboundMessage.channel).where(InboundMessage.id == inbound_message_id))
        if inbound_message_id
        else None
    )
    return channel or "sms"
