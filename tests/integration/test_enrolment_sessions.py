"""Sessions: moving reschedules what is not yet sent, cancelling skips it, step edits follow."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from drip.extensions import db
from drip.models import Step
from drip.services.programs.enrolment import enrol
from drip.services.programs.sessions import (
    SessionInvalid,
    cancel_session,
    create_session,
    session_phase,
    sync_step,
    update_session,
)
from tests.support.engine_factory import deliveries, make_learners, make_sequence, make_session

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def _enrolled(trainer, offsets=("-PT30M", "PT0S", "PT20M"), learners=2, **kw):
    sequence = make_sequence(trainer, list(offsets), **kw)
    ts = make_session(trainer, [sequence], NOW + timedelta(hours=1))
    enrol(ts, make_learners(trainer, learners), now=NOW)
    return ts, sequence


def test_create_session_refuses_bad_fields_all_at_once(app, trainer):
    with pytest.raises(SessionInvalid) as caught:
        create_session(
            trainer,
            title=" ",
            starts_at=NOW,
            ends_at=NOW - timedelta(hours=1),
            timezone="Mars/Base",
            sequence_ids=[999],
        )
    assert set(caught.value.errors) == {"title", "ends_at", "timezone", "sequence_ids"}
    with pytest.raises(SessionInvalid) as caught:
        create_session(trainer, title="x", starts_at=datetime(2026, 1, 1), ends_at=NOW, timezone="UTC")
    assert set(caught.value.errors) == {"starts_at"}


def test_moving_a_session_moves_every_delivery_not_yet_sent(app, trainer):
    ts, _ = _enrolled(trainer)
    rows = deliveries(ts.id)
    rows[0].status, rows[0].sent_at = "sent", NOW  # already out: stays where it was
    rows[1].status, rows[1].job_id, rows[1].queued_at = "queued", "drip-send-x", NOW  # handed to a job not yet running
    rows[2].status = "sending"  # in a worker's hands right now: left alone
    db.session.commit()
    before = {d.id: d.due_at for d in rows}

    update_session(
        ts, starts_at=ts.starts_at + timedelta(minutes=1), ends_at=ts.ends_at + timedelta(minutes=1), now=NOW
    )

    after = {d.id: d for d in deliveries(ts.id)}
    assert after[rows[0].id].due_at == before[rows[0].id] and after[rows[0].id].status == "sent"
    assert after[rows[2].id].due_at == before[rows[2].id] and after[rows[2].id].status == "sending"
    moved = after[rows[1].id]
    assert (moved.status, moved.job_id, moved.due_at) == ("scheduled", None, before[rows[1].id] + timedelta(minutes=1))
    for d in list(after.values())[3:]:
        assert d.status == "scheduled" and d.due_at == before[d.id] + timedelta(minutes=1)


def test_a_new_start_alone_moves_the_whole_session(app, trainer):
    ts, _ = _enrolled(trainer, learners=1)
    length = ts.ends_at - ts.starts_at
    update_session(ts, starts_at=ts.starts_at + timedelta(days=1), now=NOW)
    assert ts.ends_at - ts.starts_at == length
    assert deliveries(ts.id)[0].due_at == NOW + timedelta(days=1, minutes=30)


def test_moving_a_session_earlier_skips_steps_now_past_and_moving_it_back_revives_them(app, trainer):
    ts, _ = _enrolled(trainer, learners=1)
    update_session(ts, starts_at=NOW + timedelta(minutes=10), ends_at=NOW + timedelta(hours=1), now=NOW)
    assert [(d.status, d.error_code) for d in deliveries(ts.id)] == [
        ("skipped", "late"),
        ("scheduled", None),
        ("scheduled", None),
    ]
    update_session(ts, starts_at=NOW + timedelta(hours=2), ends_at=NOW + timedelta(hours=3), now=NOW)
    assert [d.status for d in deliveries(ts.id)] == ["scheduled"] * 3
    assert deliveries(ts.id)[0].due_at == NOW + timedelta(hours=1, minutes=30)


def test_cancel_skips_pending_deliveries_only(app, trainer):
    ts, _ = _enrolled(trainer)
    first = deliveries(ts.id)[0]
    first.status = "sent"
    db.session.commit()
    assert cancel_session(ts, now=NOW) == 5
    rows = deliveries(ts.id)
    assert rows[0].status == "sent"
    assert {(d.status, d.error_message) for d in rows[1:]} == {("skipped", "session cancelled")}
    assert session_phase(ts, NOW) == "cancelled"


def test_a_new_step_gets_deliveries_and_an_edited_one_moves(app, trainer):
    ts, sequence = _enrolled(trainer)
    step = Step(
        sequence=sequence,
        position=3,
        kind="info",
        channel="email",
        anchor="end",
        offset="P1D",
        subject="After",
        body="Thanks {{ first_name }}",
    )
    db.session.add(step)
    db.session.commit()
    assert sync_step(step, now=NOW) == 2
    new = [d for d in deliveries(ts.id) if d.step_id == step.id]
    assert {(d.channel, d.due_at, d.status) for d in new} == {("email", ts.ends_at + timedelta(days=1), "scheduled")}

    step.offset, step.channel = "P2D", "sms"
    db.session.commit()
    sync_step(step, now=NOW)
    moved = [d for d in deliveries(ts.id) if d.step_id == step.id]
    assert {(d.channel, d.due_at) for d in moved} == {("sms", ts.ends_at + timedelta(days=2))}
    assert len(deliveries(ts.id)) == 8


def test_adding_a_sequence_creates_deliveries_and_removing_one_skips_its_pending_ones(app, trainer):
    ts, first = _enrolled(trainer)
    second = make_sequence(trainer, ["P1D"], channel="email")
    update_session(ts, sequence_ids=[first.id, second.id], now=NOW)
    assert len(deliveries(ts.id)) == 8
    update_session(ts, sequence_ids=[second.id], now=NOW)
    removed = [d for d in deliveries(ts.id) if d.step_id != second.steps[0].id]
    assert {(d.status, d.error_code) for d in removed} == {("skipped", "removed")}


def test_session_phase(app, trainer):
    ts = make_session(trainer, [], NOW + timedelta(hours=1))
    assert session_phase(ts, NOW) == "upcoming"
    assert session_phase(ts, NOW + timedelta(minutes=46)) == "live"
    assert session_phase(ts, ts.ends_at + timedelta(minutes=15)) == "live"
    assert session_phase(ts, ts.ends_at + timedelta(minutes=16)) == "past"
