"""Which kind an inbound SMS or email reply is, given what the learner was sent (DESIGN.md, "Reply routing").

Pure: the caller loads the learner's sessions and recent steps, strips quoted history from emails
(reply_text.visible_reply) and passes aware datetimes; route() only decides, in DESIGN.md's order:
keywords, an answer to the poll or quiz it fits, the live board, the latest step awaiting answers,
unclassified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from drip.domain import catalog
from drip.domain.choices import parse_choice
from drip.domain.keywords import classify_keyword, normalize_keyword

RouteKind = Literal[
    "opt_out",
    "opt_in",
    "help",
    "live_question",
    "join",
    "poll_vote",
    "quiz_answer",
    "practice_report",
    "discussion_reply",
    "unclassified",
]

LIVE_MARGIN = timedelta(minutes=15)
ANSWER_WINDOW = timedelta(days=14)
# A poll or quiz catches a matching text for this long after it was sent, even on the live board.
CHOICE_WINDOW = timedelta(hours=1)
# Step kinds that await answers, and what an answer to each becomes (poll → poll_vote, ...).
ANSWER_KINDS: dict[str, str] = catalog.answer_kinds()
CHOICE_KINDS = catalog.choice_step_kinds()


@dataclass(frozen=True)
class SessionWindow:
    """A training session's times, and the keyword strangers can text to join it."""

    session_id: int
    starts_at: datetime
    ends_at: datetime
    join_keyword: str | None = None
    # The open poll (a poll without choices) the session's projector shows now, if any: texts answer it.
    open_poll_step_id: int | None = None

    def is_live(self, now: datetime) -> bool:
        """Whether texts now belong on the live board: 15 minutes either side, edges included."""
        return self.starts_at - LIVE_MARGIN <= now <= self.ends_at + LIVE_MARGIN

    def overlaps(self, starts_at: datetime, ends_at: datetime) -> bool:
        """Whether this session's live time (with its margins) meets that of a session from starts_at to ends_at."""
        return (
            self.starts_at - LIVE_MARGIN <= ends_at + LIVE_MARGIN
            and self.ends_at + LIVE_MARGIN >= starts_at - LIVE_MARGIN
        )


@dataclass(frozen=True)
class SentStep:
    """One step already sent to the learner (one delivery); `answered`: they already picked a choice."""

    delivery_id: int
    step_id: int
    session_id: int
    kind: str
    channel: str
    sent_at: datetime
    choices: tuple[str, ...] = ()
    answered: bool = False
    # The choices as this learner read them, when the step was translated into their language.
    read_as: tuple[str, ...] = ()

    def awaits_answers(self, now: datetime) -> bool:
        """Whether a reply now can still answer this step."""
        return self.kind in ANSWER_KINDS and now - self.sent_at <= ANSWER_WINDOW


@dataclass(frozen=True)
class LearnerContext:
    """What routing needs to know about a known sender."""

    learner_id: int
    sessions: Sequence[SessionWindow] = ()
    recent_steps: Sequence[SentStep] = ()
    # None when unknown: then opt-in keywords always opt in. False lets a "YES" from someone who
    # never opted out reach the poll it probably answers.
    sms_opted_out: bool | None = None

    def live_session(self, now: datetime) -> SessionWindow | None:
        """The session whose board texts go to now: the most recently started live one."""
        live = [window for window in self.sessions if window.is_live(now)]
        return max(live, key=lambda window: (window.starts_at, window.session_id), default=None)


@dataclass(frozen=True)
class Route:
    """Where an inbound message goes; ids point at the session, delivery and step it belongs to."""

    kind: RouteKind
    session_id: int | None = None
    delivery_id: int | None = None
    step_id: int | None = None
    choice_index: int | None = None


def route(
    body: str,
    *,
    channel: Literal["sms", "email"],
    context: LearnerContext | None,
    now: datetime,
    replied_delivery_id: int | None = None,
    joinable_sessions: Sequence[SessionWindow] = (),
) -> Route:
    """Classify one inbound message; unknown senders and empty bodies are unclassified, never dropped."""
    if not body.strip():
        return Route("unclassified")
    keyword = classify_keyword(body) if channel == "sms" else None
    if keyword and not (keyword == "opt_in" and context is not None and context.sms_opted_out is False):
        return Route(keyword)
    # Before live questions: a join code texted by someone already enrolled is not a question either.
    joined = _joined_session(body, joinable_sessions, now)
    if joined is not None:
        return Route("join", session_id=joined.session_id)
    if context is None:
        return Route("unclassified")
    named = _named_step(context, replied_delivery_id)
    if named is not None:
        return _answer_named(body, named, context, now)
    fitting = _fitting_choice(body, context, now)
    if fitting is not None:
        return fitting
    live = context.live_session(now)
    if live is not None and live.open_poll_step_id is not None:
        return _open_poll_answer(live, context)
    if live is not None:
        return Route("live_question", session_id=live.session_id)
    waiting = [step for step in context.recent_steps if step.awaits_answers(now)]
    latest = max(waiting, key=_recency, default=None)
    return _answer(body, latest) if latest is not None else Route("unclassified")


def _open_poll_answer(live: SessionWindow, context: LearnerContext) -> Route:
    """Rule 3: while the projector shows an open poll, a text answers it (tied to the learner's delivery of it, if any)."""
    sent = [s for s in context.recent_steps if s.step_id == live.open_poll_step_id and s.session_id == live.session_id]
    delivery = max(sent, key=_recency).delivery_id if sent else None
    return Route("poll_vote", session_id=live.session_id, delivery_id=delivery, step_id=live.open_poll_step_id)


def _recency(step: SentStep) -> tuple[datetime, int]:
    return step.sent_at, step.delivery_id


def _refs(step: SentStep) -> dict:
    return {"session_id": step.session_id, "delivery_id": step.delivery_id, "step_id": step.step_id}


def _answer(body: str, step: SentStep) -> Route:
    """What a reply to this step becomes; a poll or quiz reply that picks no choice is kept beside it."""
    kind = ANSWER_KINDS.get(step.kind)
    if kind is None:
        return Route("unclassified", **_refs(step))
    if step.kind == "poll" and not step.choices:
        return Route(kind, **_refs(step))  # an open poll: any text is an answer
    if step.kind in CHOICE_KINDS:
        choice = parse_choice(body, step.choices, step.read_as)
        if choice is None:
            return Route("unclassified", **_refs(step))
        return Route(kind, choice_index=choice, **_refs(step))
    return Route(kind, **_refs(step))


def _named_step(context: LearnerContext, delivery_id: int | None) -> SentStep | None:
    if delivery_id is None:
        return None
    return next((step for step in context.recent_steps if step.delivery_id == delivery_id), None)


def _answer_named(body: str, step: SentStep, context: LearnerContext, now: datetime) -> Route:
    """An email's reply address names its step: the reply answers it, however old it is."""
    if step.kind in ANSWER_KINDS:
        return _answer(body, step)
    live = context.live_session(now)
    # A reply to the "text your questions" email, or to any other step, while its session is live.
    if live is not None and live.session_id == step.session_id:
        return Route("live_question", session_id=live.session_id)
    return Route("unclassified", **_refs(step))


def _fitting_choice(body: str, context: LearnerContext, now: datetime) -> Route | None:
    """A vote or quiz answer to the most recent unanswered poll or quiz, sent lately, whose choice the text is."""
    live = context.live_session(now)

    def recent(step: SentStep) -> bool:
        if now - step.sent_at <= CHOICE_WINDOW:
            return True
        # Asked during the live session: the whole session long, votes still count.
        return live is not None and step.session_id == live.session_id and step.sent_at >= live.starts_at - LIVE_MARGIN

    candidates = [
        step
        for step in context.recent_steps
        if step.kind in CHOICE_KINDS and not step.answered and step.sent_at <= now and recent(step)
    ]
    for step in sorted(candidates, key=_recency, reverse=True):
        choice = parse_choice(body, step.choices, step.read_as)
        if choice is not None:
            return Route(ANSWER_KINDS[step.kind], choice_index=choice, **_refs(step))
    return None


def _joined_session(body: str, sessions: Sequence[SessionWindow], now: datetime) -> SessionWindow | None:
    """The live session whose join keyword is the whole message, if any."""
    text = normalize_keyword(body)
    matches = [
        window
        for window in sessions
        if window.join_keyword and normalize_keyword(window.join_keyword) == text and window.is_live(now)
    ]
    return max(matches, key=lambda window: (window.starts_at, window.session_id), default=None)
