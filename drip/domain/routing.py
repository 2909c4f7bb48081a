"""Which kind an inbound SMS or email reply is, given what the learner was sent (DESIGN.md, "Reply routing").

Pure: the caller loads the learner's sessions and recent steps, strips quoted history from emails
(reply_text.visible_reply) and passes aware datetimes; route() only decides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from drip.domain import catalog
from drip.domain.keywords import classify_keyword, normalize_keyword

RouteKind = Literal[
    "opt_out", "opt_in", "help", "live_question", "join",
    "poll_vote", "practice_report", "discussion_reply", "unclassified",
]

LIVE_MARGIN = timedelta(minutes=15)
ANSWER_WINDOW = timedelta(days=14)
# Step kinds that await answers, and what an answer to each becomes.
ANSWER_KINDS: dict[str, RouteKind] = catalog.answer_kinds()  # type: ignore[assignment]


@dataclass(frozen=True)
class SessionWindow:
    """A training session's times, and the keyword strangers can text to join it."""

    session_id: int
    starts_at: datetime
    ends_at: datetime
    join_keyword: str | None = None

    def is_live(self, now: datetime) -> bool:
        """Whether texts now belong on the live board: 15 minutes either side, edges included."""
        return self.starts_at - LIVE_MARGIN <= now <= self.ends_at + LIVE_MARGIN

    def overlaps(self, starts_at: datetime, ends_at: datetime) -> bool:
        """Whether this session's live time (with its margins) meets that of a session from starts_at to ends_at."""
        return (self.starts_at - LIVE_MARGIN <= ends_at + LIVE_MARGIN
                and self.ends_at + LIVE_MARGIN >= starts_at - LIVE_MARGIN)


@dataclass(frozen=True)
class SentStep:
    """One step already sent to the learner (one delivery)."""

    delivery_id: int
    step_id: int
    session_id: int
    kind: str
    channel: str
    sent_at: datetime
    choices: tuple[str, ...] = ()

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
    live = [window for window in context.sessions if window.is_live(now)]
    if live:
        current = max(live, key=lambda window: (window.starts_at, window.session_id))
        return Route("live_question", session_id=current.session_id)
    step = _answered_step(context.recent_steps, now, replied_delivery_id)
    if step is None:
        return Route("unclassified")
    refs = {"session_id": step.session_id, "delivery_id": step.delivery_id, "step_id": step.step_id}
    if not step.awaits_answers(now):
        return Route("unclassified", **refs)
    if step.kind == "poll":
        choice = parse_poll_answer(body, step.choices)
        # Not a recognisable vote: kept as a reply attached to the poll, so the trainer still sees it.
        if choice is None:
            return Route("unclassified", **refs)
        return Route("poll_vote", choice_index=choice, **refs)
    return Route(ANSWER_KINDS[step.kind], **refs)


def _joined_session(
    body: str, sessions: Sequence[SessionWindow], now: datetime
) -> SessionWindow | None:
    """The live session whose join keyword is the whole message, if any."""
    text = normalize_keyword(body)
    matches = [
        window for window in sessions
        if window.join_keyword and normalize_keyword(window.join_keyword) == text and window.is_live(now)
    ]
    return max(matches, key=lambda window: (window.starts_at, window.session_id), default=None)


def _answered_step(
    steps: Sequence[SentStep], now: datetime, replied_delivery_id: int | None
) -> SentStep | None:
    """The step a reply answers: the one its reply address names, else the latest awaiting answers."""
    if replied_delivery_id is not None:
        named = next((step for step in steps if step.delivery_id == replied_delivery_id), None)
        if named is not None:
            return named
    waiting = [step for step in steps if step.awaits_answers(now)]
    return max(waiting, key=lambda step: (step.sent_at, step.delivery_id), default=None)


_NUMBER_WORDS = {
    word: value
    for value, word in enumerate("one two three four five six seven eight nine ten".split(), start=1)
}
_NUMBER = re.compile(r"(?:(?:option|choice|number)\s*)?(\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")")
_NUMBER_AND_TEXT = re.compile(r"(\d{1,3})\s*[.):-]?\s+(.+)")
_EDGE_NOISE = re.compile(r"^[\W_]+|[\W_]+$")


def _plain(text: str) -> str:
    """Text as compared with choices: folded case, single spaces, no punctuation around it."""
    text = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return _EDGE_NOISE.sub("", text)


def _as_number(text: str) -> int | None:
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    token = match.group(1)
    return int(token) if token.isdigit() else _NUMBER_WORDS[token]


def parse_poll_answer(body: str, choices: Sequence[str]) -> int | None:
    """The 0-based choice a poll reply picks (number, number word, choice text or prefix), else None."""
    answer = _plain(body)
    if not answer or not choices:
        return None
    options = [_plain(choice) for choice in choices]
    number = _as_number(answer)
    # Numbers are positions, as the reply hint tells learners ("reply 1, 2 or 3").
    if number is not None and 1 <= number <= len(choices):
        return number - 1
    if answer in options:
        return options.index(answer)
    # A copied option line ("2. Delegation") counts only when its number and text agree.
    pair = _NUMBER_AND_TEXT.fullmatch(answer)
    if pair and 1 <= (position := int(pair.group(1))) <= len(choices):
        if _plain(pair.group(2)) == options[position - 1]:
            return position - 1
    if number is None and sum(ch.isalpha() for ch in answer) >= 3:
        starting = [index for index, option in enumerate(options) if option.startswith(answer)]
        if len(starting) == 1:
            return starting[0]
    return None
