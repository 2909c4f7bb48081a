"""The demo seed: idempotent, valid learners, and every kind of step due within ten minutes."""

from __future__ import annotations

from datetime import timedelta

import phonenumbers

from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Sequence, Step, TrainingSession, utcnow
from drip.services.programs.demo import (
    DEMO_SEQUENCE,
    DEMO_SESSION,
    LIVE_POLL,
    OPEN_POLL,
    PAST_SEQUENCE,
    PAST_SESSION,
    compress,
    demo_steps,
)
from drip.services.programs.starter import starter_steps


def test_compress_turns_days_into_minutes():
    assert compress("-P7D", 1) == "-PT7M"
    assert compress("PT0S", 1) == "PT0S"
    assert compress("P30D", 1) == "PT30M"
    assert compress("-PT12H", 1) == "-PT30S"
    assert compress("P1D", 0.5) == "PT30S"


def test_demo_steps_mirror_the_starter_with_a_live_poll():
    demo, starter = demo_steps(1), starter_steps()
    assert LIVE_POLL in demo  # asked a minute into the session, for the projector's chart
    assert OPEN_POLL in demo and not OPEN_POLL.choices  # the word cloud
    rest = [step for step in demo if step is not LIVE_POLL and step is not OPEN_POLL]
    assert [(d.kind, d.channel, d.anchor) for d in rest] == [(s.kind, s.channel, s.anchor) for s in starter]
    assert all(d.local_time is None for d in demo)


def test_seed_is_idempotent_and_everything_arrives_within_ten_minutes(runner):
    first = runner.invoke(args=["drip", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Sign in at http://127.0.0.1:5000 as demo@drip.local" in first.output
    assert "Created the demo session" in first.output
    counts = {
        model: db.session.query(model).count()
        for model in (Sequence, Step, TrainingSession, Learner, Enrollment, Delivery)
    }
    second = runner.invoke(args=["drip", "seed-demo"])
    assert second.exit_code == 0 and second.output.strip().splitlines() == [first.output.strip().splitlines()[-1]]
    assert counts == {model: db.session.query(model).count() for model in counts}

    names = {s.name for s in db.session.query(Sequence)}
    assert names == {"Make training stick", DEMO_SEQUENCE, PAST_SEQUENCE}
    demo = db.session.query(Sequence).filter_by(name=DEMO_SEQUENCE).one()
    assert demo.send_window_start is None
    ts = db.session.query(TrainingSession).filter_by(title=DEMO_SESSION).one()
    assert timedelta(minutes=3) < ts.starts_at - utcnow() < timedelta(minutes=6)
    past = db.session.query(TrainingSession).filter_by(title=PAST_SESSION).one()
    assert past.ends_at < utcnow() - timedelta(minutes=15)  # its answers are not live questions

    learners = db.session.query(Learner).all()
    assert 4 <= len(learners) <= 5
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(l.phone)) for l in learners)
    assert all(l.email.endswith("@example.com") for l in learners)

    soon = utcnow() + timedelta(minutes=10)
    due = (
        db.session.query(Delivery, Step)
        .join(Step, Step.id == Delivery.step_id)
        .filter(Delivery.status == "scheduled", Delivery.due_at <= soon)
        .all()
    )
    kinds = {step.kind for _, step in due}
    assert kinds == {"poll", "quiz", "testimonial", "discussion", "digest", "live_prompt", "practice", "reminder"}
    assert {step.channel for _, step in due} == {"sms", "email"}
    # The digest before the session has approved answers to share, so the demo shows one arriving.
    from drip.services.replies.digests import answers

    digest = next(step for _, step in due if step.kind == "digest" and step.digest_source == "step")
    assert len(answers(ts.id, digest.digest_source, digest.source_step_id, demo.digest_by)) == 2


def test_reset_demo_brings_the_demo_back_and_leaves_other_trainers_alone(runner, trainer):
    from drip.services.programs.sequences import create_sequence

    create_sequence(trainer, name="Mine", send_window=None, steps=[])
    runner.invoke(args=["drip", "seed-demo"])
    seeded = sorted(t.title for t in db.session.query(TrainingSession))
    names, learners = {s.name for s in db.session.query(Sequence)}, db.session.query(Learner).count()
    ts = db.session.query(TrainingSession).filter_by(title="Giving feedback that lands (demo)").one()
    ts.title = "Renamed by a curious user"
    db.session.commit()
    reset = runner.invoke(args=["drip", "reset-demo"])
    assert reset.exit_code == 0, reset.output
    assert "Removed the demo trainer" in reset.output and "Created the demo session" in reset.output
    db.session.expire_all()
    assert sorted(t.title for t in db.session.query(TrainingSession)) == seeded
    assert {s.name for s in db.session.query(Sequence)} == names and "Mine" in names
    assert db.session.query(Learner).count() == learners


def test_a_weak_demo_password_is_refused_in_a_sentence_and_nothing_is_seeded(runner, monkeypatch):
    monkeypatch.setenv("DRIP_DEMO_PASSWORD", "abcabcabcabc")
    refused = runner.invoke(args=["drip", "seed-demo"])
    assert refused.exit_code == 1 and refused.exception is not None and isinstance(refused.exception, SystemExit)
    assert "The demo password (DRIP_DEMO_PASSWORD) is refused: This password is too easy to guess" in refused.output
    assert "Traceback" not in refused.output
    assert db.session.query(Sequence).count() == 0 and db.session.query(TrainingSession).count() == 0
