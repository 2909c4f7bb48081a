"""The starter sequence "Make training stick": a ready-made campaign a trainer can adopt and edit."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

from sqlalchemy import select

from drip.extensions import db
from drip.models import Sequence, Trainer
from drip.services.programs import starter_es as es
from drip.services.programs import starter_fr as fr
from drip.services.programs.sequences import StepInput, create_sequence

STARTER_NAME = "Make training stick"
_JOIN = "{% if session.join_url %}\nJoin here: {{ session.join_url }}{% endif %}"

POLL_CHOICES = [
    "Techniques I can use the next day",
    "Handling the tricky situations",
    "The thinking behind it",
    "Plenty of time to practise",
]

_POLL = """Hi {{ first_name }}, {{ trainer.name }} here. {{ session.title }} starts {{ session.starts_in }}, and I'd like to shape it around you. What do you most want from it? Reply with a number:
{{ choices }}"""

_TESTIMONIAL = """{{ first_name }}, something a participant told me after {{ session.title }} last time: {% if testimonial %}{{ testimonial }}{% else %}"I tried one idea in a meeting the very next morning, and the whole conversation went differently."{% endif %} Bring one real situation you're facing; we'll work on it together. See you {{ session.starts_at }}."""

_DISCUSSION = """Hi {{ first_name }},

{{ session.title }} starts {{ session.starts_in }} ({{ session.starts_at }}). Before we meet, take five minutes with these questions. There are no wrong answers, and your replies help me spend our time on what matters to you:

1. Think of a recent moment at work where this topic mattered. What happened, and what do you wish you had done differently?
2. What is one thing you already do well here that others could learn from?
3. If you could leave the session able to do one new thing, what would it be?

Just reply to this email. A sentence or two per question is plenty, and I read every answer.
{%- if cohort_url %} You can also answer on the group's page, and read what the others said: {{ cohort_url }}{% endif %}
{%- if session.join_url %}

Here is the link to join: {{ session.join_url }}
{%- endif %}

See you there,
{{ trainer.name }}"""

_DISCUSSION_DIGEST = """Hi {{ first_name }},

Before we meet, here is what some of you said about the questions I sent yesterday:
{% for answer in answers %}
- "{{ answer.text }}" ({{ answer.by }})
{%- endfor %}

Reading each other's answers is half the value.
{%- if cohort_url %} Read them all on the group's page: {{ cohort_url }}{% endif %}
See you {{ session.starts_at }}.
{{ trainer.name }}"""

_PRACTICE_DIGEST = """{{ first_name }}, {{ answers | length }} of you tried it this week:{% for answer in answers %}
- "{{ answer.text }}" ({{ answer.by }}){% endfor %}
Your turn next?{% if cohort_url %} Read the others: {{ cohort_url }}{% endif %}"""

_LIVE = (
    """Hi {{ first_name }}! {{ session.title }} is starting. If a question comes up, text it to {{ sms_number or "this number" }}. It lands on my screen and I'll pick it up, no question too small."""
    + _JOIN
)

_PRACTICE = """Hi {{ first_name }},

Thank you for taking part in {{ session.title }}. Ideas stick when you use them within a few days, so here is one small assignment for this week:

Pick one real conversation in the next five days where you can try a technique from the session. Before it, decide what you will do differently. Afterwards, note what happened.

Then reply to this email with three lines:
- What I tried:
- How it went:
- What I would change next time:

I read every reply and will answer the questions that come up.
{%- if cohort_url %} Read what the others tried, and post yours, on the group's page: {{ cohort_url }}{% endif %}

Over the next few weeks you'll get a few short nudges from me; they take a minute, and they are the part that makes the learning stick.

{{ trainer.name }}"""

_NUDGE = """Quick nudge, {{ first_name }}: have you found your moment to try something from {{ session.title }} yet? A small attempt counts. Reply and tell me how it went."""

_CHECK_IN = """Hi {{ first_name }}, it's been a week since {{ session.title }}. How did your practice go? Reply with one thing you tried and what happened. {{ trainer.name }}"""

_SECOND_NUDGE = """{{ first_name }}, ten days on from {{ session.title }}: try one idea a second time this week, a little better than the first. Which one will it be?"""

_REFLECTION = """Hi {{ first_name }},

It has been a month since {{ session.title }}. This is a good moment to look back, because what you still use after a month is what you will keep.

Three short questions:

1. What from the session do you now do without thinking about it?
2. What did you try that didn't work, and what did you learn from it?
3. What would help you go further: a follow-up session, a resource, a conversation with your manager?

Reply with whatever comes to mind. Thank you for putting the work in.

{{ trainer.name }}"""


_QUIZ_ONE = """Quick check from {{ session.title }}, {{ first_name }}: what makes a new skill stick best?
{{ reply_hint }}"""
QUIZ_ONE_CHOICES = [
    "Re-reading your notes",
    "Trying it in a real situation within days",
    "Waiting until you feel ready",
]
_QUIZ_ONE_EXPLAIN = "Using an idea soon, for real, is what makes it stay. Re-reading feels useful but fades fast."

_QUIZ_TWO = """{{ first_name }}, one more from {{ session.title }}: you tried something new and it went badly. What now?
{{ reply_hint }}"""
QUIZ_TWO_CHOICES = ["Go back to the old way", "Change one thing and try again", "Wait for the next training"]
_QUIZ_TWO_EXPLAIN = "A first try rarely lands. Adjust one thing and go again: that is how the skill forms."

_PRACTICE_FOLLOW_UP = {
    "after": "P3D",
    "channel": "sms",
    "body": "Hi {{ first_name }}, how did your practice from {{ session.title }} go? Even a one-line reply helps: what did you try?",
}


def starter_steps() -> list[StepInput]:
    """The steps of "Make training stick", in the order they go out, each with its Spanish and French text."""
    return [replace(step, translations={"es": es.STEPS[step.label], "fr": fr.STEPS[step.label]}) for step in _steps()]


def _steps() -> list[StepInput]:
    nine, noon, five_pm = time(9), time(12), time(17)
    return [
        # A learner who enrols late still gets the poll: their answer still shapes the session.
        StepInput(
            "poll",
            "sms",
            "start",
            "-P7D",
            _POLL,
            local_time=time(10),
            choices=list(POLL_CHOICES),
            if_late="send",
            label="Interest poll",
        ),
        StepInput(
            "testimonial", "sms", "start", "-P3D", _TESTIMONIAL, local_time=noon, label="A past participant's words"
        ),
        StepInput(
            "discussion",
            "email",
            "start",
            "-P1D",
            _DISCUSSION,
            local_time=nine,
            label="Three questions before",
            subject="Three questions before {{ session.title }}",
        ),
        # Digests quote only answers the trainer approved; with none approved they are skipped.
        StepInput(
            "digest",
            "email",
            "start",
            "-PT2H",
            _DISCUSSION_DIGEST,
            source=2,
            label="What others said before",
            subject="What others said before {{ session.title }}",
        ),
        StepInput("live_prompt", "sms", "start", "PT0S", _LIVE, if_late="send", label="Text your questions"),
        StepInput(
            "practice",
            "email",
            "end",
            "P1D",
            _PRACTICE,
            local_time=nine,
            label="Practice assignment",
            subject="Your practice assignment from {{ session.title }}",
            follow_up=dict(_PRACTICE_FOLLOW_UP),
        ),
        StepInput(
            "quiz",
            "sms",
            "end",
            "P2D",
            _QUIZ_ONE,
            label="Quiz: what makes a skill stick",
            local_time=noon,
            choices=list(QUIZ_ONE_CHOICES),
            answer=1,
            explain=_QUIZ_ONE_EXPLAIN,
            retry_after="P2D",
        ),
        StepInput("reminder", "sms", "end", "P3D", _NUDGE, local_time=noon, label="Nudge to practise"),
        StepInput(
            "digest", "sms", "end", "P5D", _PRACTICE_DIGEST, local_time=noon, source=5, label="Who tried it this week"
        ),
        StepInput("practice", "sms", "end", "P7D", _CHECK_IN, local_time=five_pm, label="One-week check-in"),
        StepInput(
            "quiz",
            "sms",
            "end",
            "P9D",
            _QUIZ_TWO,
            label="Quiz: when it went badly",
            local_time=noon,
            choices=list(QUIZ_TWO_CHOICES),
            answer=1,
            explain=_QUIZ_TWO_EXPLAIN,
            retry_after="P2D",
        ),
        StepInput("reminder", "sms", "end", "P10D", _SECOND_NUDGE, local_time=nine, label="Second nudge"),
        StepInput(
            "discussion",
            "email",
            "end",
            "P30D",
            _REFLECTION,
            local_time=nine,
            label="A month on",
            subject="A month on: what has stuck from {{ session.title }}?",
        ),
    ]


def find_starter(trainer: Trainer) -> Sequence | None:
    """The trainer's copy of the starter sequence, if they added it."""
    query = (
        select(Sequence).where(Sequence.trainer_id == trainer.id, Sequence.name == STARTER_NAME).order_by(Sequence.id)
    )
    return db.session.scalars(query).first()


def add_starter(trainer: Trainer) -> tuple[Sequence, bool]:
    """Give the trainer the starter sequence once; returns it and whether it was just created."""
    existing = find_starter(trainer)
    if existing is not None:
        return existing, False
    return create_sequence(trainer, name=STARTER_NAME, steps=starter_steps()), True
