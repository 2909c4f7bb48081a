"""What the demo says and sends: its names, learners, the compressed starter, the poll and the answers."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from drip.domain.durations import Offset, parse_offset
from drip.services.programs.sequences import StepInput
from drip.services.programs.starter import STARTER_NAME, starter_steps

DEMO_EMAIL = "demo@drip.local"
DEMO_SEQUENCE = f"{STARTER_NAME} (demo: days are minutes)"
DEMO_SESSION = "Giving feedback that lands (demo)"
STARTS_IN = timedelta(minutes=4)
LASTS = timedelta(minutes=2)
LIVE_POLL_CHOICES = ["Ask before telling", "Describe the impact", "Agree a next step"]
_LIVE_POLL = """Quick poll, {{ first_name }}: which will you try first this week? Reply 1, 2 or 3:
{{ choices }}"""
# Not compressed: a minute after the start, inside the (two-minute) session.
LIVE_POLL = StepInput(
    "poll", "sms", "start", "PT1M", _LIVE_POLL, local_time=None, choices=LIVE_POLL_CHOICES, label="Live poll"
)
# An open poll (no choices): the board's "Show on the projector" turns the room's texts into a word cloud.
OPEN_POLL = StepInput(
    "poll",
    "sms",
    "start",
    "PT1M30S",
    "In a word or three, {{ first_name }}: what will you practise first?",
    local_time=None,
    label="Word cloud",
)
OPEN_POLL_ANSWERS = [(0, "Asking first"), (1, "Asking questions first"), (3, "Describing the impact")]
ROOM_QUESTION = "How do I give feedback to my own manager?"
PAST_SESSION = "Giving feedback that lands (demo: last week's group)"
PAST_SEQUENCE = "Demo: practice check-in after the session"
PAST_ENDED = timedelta(days=7)  # last week's group, really a week ago: answers are not live questions
_CHECK_IN = """Hi {{ first_name }}, {{ trainer.name }} here. It's been a week since {{ session.title }}: what did you try, and how did it go? Just reply to this text."""
PAST_LEARNERS = [
    {"name": "Jo Park", "phone": "+1 202 555 0178", "email": "jo@example.com", "timezone": "America/New_York"},
]
# 555-01xx numbers are reserved for fiction in North America; 0491 570 xxx in Australia.
DEMO_LEARNERS = [
    {"name": "Maya Okafor", "phone": "+1 202 555 0143", "email": "maya@example.com", "timezone": "America/New_York"},
    {"name": "Leo Martin", "phone": "+1 212 555 0199", "email": "leo@example.com", "timezone": "America/New_York"},
    {"name": "Priya Raman", "phone": "+1 312 555 0142", "email": "priya@example.com", "timezone": "America/Chicago"},
    {"name": "Sam Taylor", "phone": "+61 491 570 156", "email": "sam@example.com", "timezone": "Australia/Sydney"},
]


def compress(offset: str, minutes_per_day: float) -> str:
    """An offset with each day turned into `minutes_per_day` minutes (hours and minutes shrink alike)."""
    parsed = parse_offset(offset)
    seconds = round((parsed.days * 86400 + parsed.seconds) * minutes_per_day * 60 / 86400)
    return str(Offset(parsed.negative, 0, seconds))


def demo_steps(minutes_per_day: float, image_id: int | None = None) -> list[StepInput]:
    """The starter steps on a minutes scale (no fixed time of day, since a day lasts minutes), and the live poll;
    with `image_id`, the first discussion email and the first reminder text carry that picture."""
    steps = [
        replace(
            step,
            offset=compress(step.offset, minutes_per_day),
            local_time=None,
            retry_after=compress(step.retry_after, minutes_per_day) if step.retry_after else None,
            follow_up={**step.follow_up, "after": compress(step.follow_up["after"], minutes_per_day)}
            if step.follow_up
            else None,
        )
        for step in starter_steps()
    ]
    if image_id is not None:
        for kind in ("discussion", "reminder"):
            index = next(i for i, step in enumerate(steps) if step.kind == kind)
            steps[index] = replace(steps[index], image_id=image_id)
    after_prompt = next(index for index, step in enumerate(steps) if step.kind == "live_prompt") + 1
    # A digest's source is an index into the list: those after the inserted polls move by two.
    steps = [
        replace(step, source=step.source + 2) if isinstance(step.source, int) and step.source >= after_prompt else step
        for step in steps
    ]
    return [*steps[:after_prompt], LIVE_POLL, OPEN_POLL, *steps[after_prompt:]]


def past_steps() -> list[StepInput]:
    """Last week's group gets one practice check-in, a week and a minute after their session ended (a minute after launch)."""
    offset = str(Offset(False, PAST_ENDED.days, 60))
    return [StepInput("practice", "sms", "end", offset, _CHECK_IN, local_time=None, label="Practice check-in")]


# Two learners' answers to the discussion questions, already approved, so the digest before the
# session has something to share and the demo shows one arriving.
DEMO_ANSWERS = [
    (1, "I gave feedback a week late and it landed as an ambush. Next time: the same day, in private."),
    (2, "I ask people what they noticed before I say what I noticed. It turns it into a conversation."),
]
