"""Starter wording and steps during the session: starts_in as of sending, the number to text, no send-window hold."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from drip.extensions import db
from drip.models import Delivery, Step
from drip.services.programs.enrolment import enrol
from drip.services.learners.upsert import LearnerInput, upsert_learners
from drip.domain.outgoing import DeliveryToSend
from tests.support.messages import build_message
from drip.services.programs.sequences import StepInput, create_sequence
from drip.services.programs.sessions import create_session
from drip.services.programs.starter import add_starter

UTC = timezone.utc


def _parcel(step: Step, starts_at: datetime, name: str = "Maya Okafor") -> DeliveryToSend:
    return DeliveryToSend(
        1,
        "claim",
        step.channel,
        "tok",
        1,
        name,
        "America/New_York",
        "unsub",
        1,
        "Tess",
        step.kind,
        step.body,
        step.subject,
        step.choices,
        "Feedback that lands",
        starts_at,
        "America/New_York",
        "",
        step.id,
        1,
        None,
        None,
        "colleague",
    )


def test_starter_poll_says_when_the_session_starts_as_of_sending(app, trainer):
    starter, _ = add_starter(trainer)
    db.session.commit()
    poll = next(step for step in starter.steps if step.kind == "poll")
    now = datetime(2031, 5, 10, 14, 0, tzinfo=UTC)  # 10:00 in New York, two days before a 09:00 start
    text = build_message(_parcel(poll, now + timedelta(days=1, hours=23)), "+12015550100", now).body
    assert "starts in 2 days" in text and "a week away" not in text


def test_starter_live_prompt_names_the_number_and_greets_a_walk_in(app, trainer):
    starter, _ = add_starter(trainer)
    db.session.commit()
    live = next(step for step in starter.steps if step.kind == "live_prompt")
    text = build_message(_parcel(live, datetime.now(UTC), name="Walk-in ···0123"), "+12015550100").body
    assert "+15005550006" in text  # the simulator's number in outbox mode
    assert text.startswith("Hi there!") and "Walk-in" not in text


def test_live_prompt_is_not_held_by_the_window_and_skips_when_it_would_arrive_after(app, trainer):
    sequence = create_sequence(
        trainer,
        name="Live",
        send_window={"start": "08:00", "end": "21:00"},
        steps=[
            StepInput("live_prompt", "sms", "start", "PT0S", "Text us now"),
            StepInput("live_prompt", "sms", "start", "-PT15M", "Starting soon, text us"),
        ],
    )
    # 09:00-12:00 New York is 23:00-02:00 in Sydney: the start itself is inside the session, 22:45 is not.
    start = datetime(2031, 5, 12, 13, 0, tzinfo=UTC)
    ts = create_session(
        trainer,
        title="NY",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        timezone="America/New_York",
        sequence_ids=[sequence.id],
    )
    [(sydney, _)] = upsert_learners(trainer, [LearnerInput("Syd", "+61255550100", timezone="Australia/Sydney")])
    enrol(ts, [sydney])
    by_body = {d.step.body: d for d in db.session.query(Delivery).filter_by(session_id=ts.id)}
    assert (by_body["Text us now"].status, by_body["Text us now"].due_at) == ("scheduled", start)
    held = by_body["Starting soon, text us"]
    assert (held.status, held.error_message) == ("skipped", "session over")
