"""Follow-ups for silence: only to learners who have not answered by `after`; none to the opted out or the quiet."""

from __future__ import annotations

from datetime import timedelta

from drip.services.programs.enrolment import enrol
from drip.services.learning.unanswered import quiet_since_in
from drip.services.programs.sequences import StepInput
from tests.support.engine_factory import make_learners
from tests.support.inbound_factory import post_sms
from tests.support.quiz_support import rows, send_due, session_with, texts_to

FOLLOW_UP = {"after": "P2D", "body": "{{ first_name }}, how did the practice go? One line is plenty."}


def steps():
    """A poll and a discussion before the session, a practice assignment after it with a follow-up."""
    return [
        StepInput("poll", "sms", "start", "-P3D", "Which? {{ reply_hint }}", choices=["Tea", "Coffee"]),
        StepInput("discussion", "sms", "start", "-P2D", "What went well last time?"),
        StepInput("practice", "sms", "end", "P1D", "Try it and reply with how it went.", follow_up=dict(FOLLOW_UP)),
    ]


def test_follow_up_goes_only_to_those_who_have_not_answered(app, client, trainer):
    ts = session_with(trainer, steps())
    answered_poll, answered_practice, opted_out, silent = make_learners(trainer, 4)
    enrol(ts, [answered_poll, answered_practice, opted_out, silent])
    poll, discussion, practice = rows(silent, "step")
    (follow_up,) = rows(silent, "follow_up")
    assert follow_up.due_at - practice.due_at == timedelta(days=2) and follow_up.channel == "sms"

    send_due(poll.due_at)
    post_sms(client, app, "1", sender=answered_poll.phone)
    send_due(discussion.due_at)
    send_due(practice.due_at)
    post_sms(client, app, "Tried it in my one-to-one, went well", sender=answered_practice.phone)
    post_sms(client, app, "STOP", sender=opted_out.phone)
    assert [d.status for d in rows(answered_practice, "follow_up")] == ["skipped"]  # at once, by the answer

    assert send_due(follow_up.due_at) == {"not_ours": 0, "delivered": 1, "skipped": 2}
    assert texts_to(answered_poll.phone)[-1] == "Learner, how did the practice go? One line is plenty."
    outcomes = {who.id: rows(who, "follow_up")[0] for who in (answered_practice, opted_out, silent)}
    assert outcomes[answered_practice.id].error_code == "answered"
    assert outcomes[opted_out.id].error_code == "opted_out"
    assert outcomes[silent.id].error_code == "quiet"
    assert len(texts_to(silent.phone)) == 3  # the main steps went on
    assert quiet_since_in(ts.id, silent.id) == rows(silent, "step")[0].sent_at
    assert quiet_since_in(ts.id, answered_poll.id) is None


def test_a_reply_brings_a_quiet_learner_back(app, client, trainer):
    ts = session_with(trainer, steps())
    (silent,) = make_learners(trainer, 1)
    enrol(ts, [silent])
    poll, discussion, practice = rows(silent, "step")
    for step in (poll, discussion, practice):
        send_due(step.due_at)
    since = quiet_since_in(ts.id, silent.id)
    assert since is not None and since == rows(silent, "step")[0].sent_at
    post_sms(client, app, "Sorry, busy week! Tried it today.", sender=silent.phone)
    assert quiet_since_in(ts.id, silent.id) is None
