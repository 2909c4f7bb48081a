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
    short_label: str
    colour: str
    reply_kind: str | None = None  # the reply an answer to this step is filed as; None: not awaited
    has_choices: bool = False
    authorable: bool = True  # a trainer can write it in a sequence (False: routed, not yet written)
    until_end: bool = False  # worthless once the session is over: skipped ("session over"), never sent late


@dataclass(frozen=True)
class ReplyKind:
    """A kind of reply a learner's inbound message can be filed as."""

    name: str
    label: str
    short_label: str
    learner_answer: bool = True  # listed among a session's replies (a live question is on the board)


@dataclass(frozen=True)
class Channel:
    """A way a step reaches a learner: the address it needs, the opt-out that stops it, its message shape."""

    name: str
    label: str
    address_field: str  # the Learner attribute the channel sends to ("phone" or "email")
    opted_out_field: str  # the Learner attribute set when they opted out of it
    missing_address: str  # why a delivery is skipped when the learner has no such address
    shape: str = "text"  # "text" (a body, counted in SMS segments) or "email" (subject, HTML, headers)
    rate_limited: bool = False  # sends share DRIP_SMS_RATE per sending number


@dataclass(frozen=True)
class Status:
    """A delivery status; a delivery only moves to a status of a higher rank (callbacks)."""

    name: str
    rank: int
    pending: bool = False  # not yet handed to a provider: moves with the session
    final: bool = False  # Drip never sends it again (a provider callback may still move it up)
    problem: bool = False  # shown to the trainer as something to look at


STEP_KINDS: tuple[StepKind, ...] = (
    StepKind("poll", "Poll", "Poll", "#6f42c1", reply_kind="poll_vote", has_choices=True),
    StepKind("quiz", "Quiz", "Quiz", "#6610f2", reply_kind="quiz_answer", has_choices=True),
    StepKind("testimonial", "Testimonial", "Testimonial", "#fd7e14"),
    StepKind("discussion", "Discussion questions", "Discussion", "#0aa2c0", reply_kind="discussion_reply"),
    StepKind("live_prompt", "Live prompt (text your questions)", "Live prompt", "#dc3545", until_end=True),
    StepKind("practice", "Practice assignment", "Practice", "#198754", reply_kind="practice_report"),
    StepKind("reminder", "Reminder", "Reminder", "#d63384"),
    # Shares approved answers of a discussion or practice step (or questions answered afterwards).
    StepKind("digest", "Digest (approved answers to the group)", "Digest", "#20c997"),
    StepKind("info", "Information", "Info", "#0d6efd"),
)

# A Reply row the trainer wrote (their answer in a learner's thread): stored beside the learners' replies,
# never one of their kinds (not re-filed, shared, tallied or counted as an answer).
TRAINER_REPLY = "trainer_reply"
REPLY_KINDS: tuple[ReplyKind, ...] = (
    ReplyKind("live_question", "Live question", "Live question", learner_answer=False),
    ReplyKind("practice_report", "Practice report", "Practice report"),
    ReplyKind("discussion_reply", "Discussion reply", "Discussion reply"),
    ReplyKind("poll_vote", "Poll vote", "Vote"),
    ReplyKind("quiz_answer", "Quiz answer", "Quiz answer"),
    ReplyKind("unclassified", "Message", "Unclassified"),
)

CHANNELS: tuple[Channel, ...] = (
    Channel("sms", "SMS", "phone", "sms_opted_out_at", "no phone number", rate_limited=True),
    Channel("email", "Email", "email", "email_opted_out_at", "no email address", shape="email"),
)

# scheduled → queued → sending → sent → delivered; or failed, undelivered, skipped, unknown.
STATUSES: tuple[Status, ...] = (
    Status("scheduled", 0, pending=True),
    Status("queued", 1, pending=True),
    Status("sending", 2),
    Status("sent", 3),
    Status("delivered", 4, final=True),
    Status("failed", 4, final=True, problem=True),
    Status("undelivered", 4, final=True, problem=True),
    Status("skipped", 4, final=True),
    Status("unknown", 2, final=True, problem=True),
)


@dataclass(frozen=True)
class Reason:
    """Why a delivery was skipped or is unknown: its error_code, and the words the trainer reads."""

    code: str
    text: str


LATE_ON_ENROL = Reason("late", "late: enrolled after it was due")
LATE_ON_MOVE = Reason("late", "late: the session moved and it was already due")
LATE_ON_ADD = Reason("late", "late: the step was added after it was due")
CANCELLED = Reason("cancelled", "session cancelled")
REMOVED = Reason("removed", "its sequence was removed from the session")
OPTED_OUT = Reason("opted_out", "learner opted out")
NO_ADDRESS = Reason("no_address", "no address")  # the text comes from the channel row (missing_address)
LEASE_EXPIRED = Reason("lease", "worker stopped after handing it to the provider; not resent automatically")
# Re-asks and follow-ups (issue 11).
ANSWERED = Reason("answered", "the learner answered the step")
ANSWERED_RIGHT = Reason("answered", "answered right")
PILED = Reason("piled", "too soon after the last ask (a backlog): asks never pile up")
NOT_ASKED = Reason("not_asked", "the step itself was not sent")
QUIET = Reason("quiet", "3 asks unanswered: no more follow-ups")
# Taking messages back (issue 13): a live_prompt that would arrive after the end, a learner
# unenrolled or erased, a step deleted.
SESSION_OVER = Reason("session_over", "session over")
UNENROLLED = Reason("unenrolled", "unenrolled")
STEP_DELETED = Reason("step_deleted", "step deleted")
ERASED = Reason("erased", "learner erased")
# Digests (issue 12).
NOTHING_APPROVED = Reason("nothing_approved", "nothing approved to share")
# Every reason above, in the order written: a new reason is its one line, with no second list to keep.
SKIP_REASONS: tuple[Reason, ...] = tuple(value for value in tuple(globals().values()) if isinstance(value, Reason))

# What a delivery is to its step (Delivery.purpose): the step itself, a quiz's re-ask, or the
# follow-up for silence.
DELIVERY_PURPOSES: dict[str, str] = {"step": "Step", "reask": "Re-ask", "follow_up": "Follow-up"}

DEFAULT_COLOUR = "#0d6efd"


@dataclass(frozen=True)
class Moderation:
    """How a session's live questions reach the projector, and what the learner is told."""

    name: str
    label: str
    acknowledgement: str  # the text sent back when the trainer set none of their own


MODERATIONS: tuple[Moderation, ...] = (
    Moderation("approve", "Once I approve them", "Thanks, the trainer has your question."),
    Moderation("open", "At once", "Thanks, your question is on the board."),
)
DEFAULT_MODERATION = "approve"

# How the board and the projector order live questions: newest first, or most voted first.
QUESTION_ORDERS: dict[str, str] = {"time": "Newest first", "votes": "Most votes first"}
DEFAULT_QUESTION_ORDER = "time"


def moderation(name: str | None) -> Moderation:
    """The moderation called `name`; an unknown or missing one is the default (approve)."""
    return next((row for row in MODERATIONS if row.name == name), MODERATIONS[0])


def acknowledgement(moderation_name: str | None, custom: str | None) -> str:
    """What a learner is told about their live question: the trainer's own text, else the moderation's."""
    return (custom or "").strip() or moderation(moderation_name).acknowledgement


def step_kind(name: str) -> StepKind | None:
    """The step kind called `name`, or None."""
    return _STEP_KINDS.get(name)


def reply_kind(name: str) -> ReplyKind | None:
    """The reply kind called `name`, or None."""
    return _REPLY_KINDS.get(name)


def channel(name: str) -> Channel | None:
    """The channel called `name`, or None."""
    return _CHANNELS.get(name)


def add_channel(row: Channel) -> None:
    """Add a channel row (with its module registered in drip.channels.registry, that is all a channel needs)."""
    global CHANNELS
    CHANNELS = tuple(c for c in CHANNELS if c.name != row.name) + (row,)
    _CHANNELS[row.name] = row


def remove_channel(name: str) -> None:
    """Take a channel row out again (tests that added one)."""
    global CHANNELS
    CHANNELS = tuple(c for c in CHANNELS if c.name != name)
    _CHANNELS.pop(name, None)


def status(name: str) -> Status:
    """The delivery status called `name` (KeyError for a word that is not one)."""
    return _STATUSES[name]


def names(rows) -> tuple[str, ...]:
    """The names of a table's rows, in order."""
    return tuple(row.name for row in rows)


def learner_reply_kinds() -> tuple[str, ...]:
    """The reply kinds listed among a session's replies (every kind but the board's live questions)."""
    return tuple(k.name for k in REPLY_KINDS if k.learner_answer)


def statuses_where(flag: str) -> tuple[str, ...]:
    """The delivery statuses with this flag set ("pending", "final" or "problem"), in life-cycle order."""
    return tuple(s.name for s in STATUSES if getattr(s, flag))


def authorable_step_kinds() -> tuple[str, ...]:
    """The step kinds a trainer can write in a sequence (the API, the step form, the checks)."""
    return tuple(k.name for k in STEP_KINDS if k.authorable)


def until_end(kind: str) -> bool:
    """Whether a step of this kind must reach learners before the session ends, or not at all."""
    row = _STEP_KINDS.get(kind)
    return bool(row and row.until_end)


def answer_kinds() -> dict[str, str]:
    """Step kinds that await an answer -> the reply kind an answer to each becomes."""
    return {k.name: k.reply_kind for k in STEP_KINDS if k.reply_kind}


def choice_step_kinds() -> tuple[str, ...]:
    """Step kinds answered by picking one of their choices (poll, quiz)."""
    return tuple(k.name for k in STEP_KINDS if k.has_choices)


_STEP_KINDS = {k.name: k for k in STEP_KINDS}
_REPLY_KINDS = {k.name: k for k in REPLY_KINDS}
_CHANNELS = {c.name: c for c in CHANNELS}
_STATUSES = {s.name: s for s in STATUSES}
