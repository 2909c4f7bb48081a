"""The vocabulary, spelled once: step kinds, reply kinds, channels, delivery statuses, skip reasons.

Every other module asks this table instead of writing the words itself, so a new step kind, reply
kind or channel is one row here (and, for a channel, one module behind the channel seam).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepKind:
    """A kind of step a sequence holds, and what a learner's answer to it becomes."""

    name: str
    label: str
    colour: str
    reply_kind: str | None = None  # the reply an answer to this step is filed as; None: not awaited
    has_choices: bool = False


@dataclass(frozen=True)
class ReplyKind:
    """A kind of reply a learner's inbound message can be filed as."""

    name: str
    label: str
    short_label: str
    learner_answer: bool = True  # listed among a session's replies (a live question is on the board)


@dataclass(frozen=True)
class Channel:
    """A way a step reaches a learner: the address it needs and how it is named."""

    name: str
    label: str
    address_field: str  # the Learner attribute the channel sends to


@dataclass(frozen=True)
class Status:
    """A delivery status; a delivery only moves to a status of a higher rank (callbacks)."""

    name: str
    rank: int
    pending: bool = False  # not yet handed to a provider: moves with the session
    final: bool = False  # Drip never sends it again (a provider callback may still move it up)


STEP_KINDS: tuple[StepKind, ...] = (
    StepKind("poll", "Poll", "#6f42c1", reply_kind="poll_vote", has_choices=True),
    StepKind("quiz", "Quiz", "#6610f2", reply_kind="quiz_answer", has_choices=True),
    StepKind("testimonial", "Testimonial", "#fd7e14"),
    StepKind("discussion", "Discussion questions", "#0aa2c0", reply_kind="discussion_reply"),
    StepKind("live_prompt", "Live prompt (text your questions)", "#dc3545"),
    StepKind("practice", "Practice assignment", "#198754", reply_kind="practice_report"),
    StepKind("reminder", "Reminder", "#d63384"),
    # Shares approved answers of a discussion or practice step (or questions answered afterwards).
    StepKind("digest", "Digest (approved answers to the group)", "#20c997"),
    StepKind("info", "Information", "#0d6efd"),
)

REPLY_KINDS: tuple[ReplyKind, ...] = (
    ReplyKind("live_question", "Live question", "Live question", learner_answer=False),
    ReplyKind("practice_report", "Practice report", "Practice report"),
    ReplyKind("discussion_reply", "Discussion reply", "Discussion reply"),
    ReplyKind("poll_vote", "Poll vote", "Vote"),
    ReplyKind("quiz_answer", "Quiz answer", "Quiz answer"),
    ReplyKind("unclassified", "Message", "Unclassified"),
)

CHANNELS: tuple[Channel, ...] = (
    Channel("sms", "SMS", "phone"),
    Channel("email", "Email", "email"),
)

# scheduled → queued → sending → sent → delivered; or failed, undelivered, skipped, unknown.
STATUSES: tuple[Status, ...] = (
    Status("scheduled", 0, pending=True),
    Status("queued", 1, pending=True),
    Status("sending", 2),
    Status("sent", 3),
    Status("delivered", 4, final=True),
    Status("failed", 4, final=True),
    Status("undelivered", 4, final=True),
    Status("skipped", 4, final=True),
    Status("unknown", 2, final=True),
)

# error_code of a skipped or unknown delivery -> why, in the trainer's words (the default text).
SKIP_REASONS: dict[str, str] = {
    "late": "late: enrolled after it was due",
    "cancelled": "session cancelled",
    "removed": "its sequence was removed from the session",
    "opted_out": "learner opted out",
    "lease": "worker stopped after handing it to the provider; not resent automatically",
    # Re-asks and follow-ups (issue 11).
    "answered": "the learner answered the step",
    "not_asked": "the step itself was not sent",
    "quiet": "3 asks unanswered: no more follow-ups",
    "nothing_approved": "nothing approved to share",
}

# What a delivery is to its step (Delivery.purpose): the step itself, a quiz's re-ask, or the
# follow-up for silence.
DELIVERY_PURPOSES: dict[str, str] = {"step": "Step", "reask": "Re-ask", "follow_up": "Follow-up"}

DEFAULT_COLOUR = "#0d6efd"


def step_kind(name: str) -> StepKind | None:
    """The step kind called `name`, or None."""
    return _STEP_KINDS.get(name)


def reply_kind(name: str) -> ReplyKind | None:
    """The reply kind called `name`, or None."""
    return _REPLY_KINDS.get(name)


def channel(name: str) -> Channel | None:
    """The channel called `name`, or None."""
    return _CHANNELS.get(name)


def status(name: str) -> Status:
    """The delivery status called `name` (KeyError for a word that is not one)."""
    return _STATUSES[name]


def names(rows) -> tuple[str, ...]:
    """The names of a table's rows, in order."""
    return tuple(row.name for row in rows)


def answer_kinds() -> dict[str, str]:
    """Step kinds that await an answer -> the reply kind an answer to each becomes."""
    return {k.name: k.reply_kind for k in STEP_KINDS if k.reply_kind}


def learner_reply_kinds() -> tuple[str, ...]:
    """Reply kinds a learner's message is stored as in replies (all but the live question)."""
    return tuple(k.name for k in REPLY_KINDS if k.learner_answer)


def choice_step_kinds() -> tuple[str, ...]:
    """Step kinds answered by picking one of their choices (poll, quiz)."""
    return tuple(k.name for k in STEP_KINDS if k.has_choices)


_STEP_KINDS = {k.name: k for k in STEP_KINDS}
_REPLY_KINDS = {k.name: k for k in REPLY_KINDS}
_CHANNELS = {c.name: c for c in CHANNELS}
_STATUSES = {s.name: s for s in STATUSES}
