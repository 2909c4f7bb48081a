"""Enrolment: due times stored per learner zone, late joiners, idempotence, and bulk speed."""

from __future__ import annotations

import time
from datetime import datetime, time as clock, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from drip.domain.schedule import DEFAULT_WINDOW, StepTiming, due_at
from drip.extensions import db
from drip.models import Delivery, Enrollment
from drip.services.programs.enrolment import LATE_ON_ENROL, enrol
from drip.services.programs.sessions import cancel_session
from tests.support.engine_factory import deliveries, make_learners, make_sequence, make_session

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
NY, LONDON = ZoneInfo("America/New_York"), ZoneInfo("Europe/London")


def test_due_times_follow_each_learners_zone_and_fall_back_to_the_sessions(app, trainer):
    sequence = make_sequence(trainer, [("-P1D", "09:00"), "-PT15M", ("P1D", "09:00")], window=(clock(8), clock(21)))
    start = datetime(2026, 3, 10, 14, 0, tzinfo=timezone.utc)  # spans the US DST change (8 March)
    ts = make_session(trainer, [sequence], start, tz="America/New_York")
    london, unset, bogus = make_learners(trainer, 3, timezones=("Europe/London", None, "Not/AZone"))

    result = enrol(ts, [london, unset, bogus], now=NOW)

    assert (result.created, result.already, result.deliveries) == (3, 0, 9)
    by_learner = {}
    for d in deliveries(ts.id):
        by_learner.setdefault(d.learner_id, []).append(d)
    for learner, tz in ((london, LONDON), (unset, NY), (bogus, NY)):
        rows = sorted(by_learner[learner.id], key=lambda d: d.step_id)
        for row, step in zip(rows, sequence.steps):
            timing = StepTiming(step.anchor, step.offset, step.local_time)
            expected = due_at(timing, starts_at=ts.starts_at, ends_at=ts.ends_at, tz=tz, window=DEFAULT_WINDOW)
            assert row.due_at == expected and row.status == "scheduled" and row.channel == "sms"
    assert by_learner[london.id][0].due_at.astimezone(LONDON).hour == 9
    assert by_learner[unset.id][0].due_at.astimezone(NY).hour == 9


def test_no_window_when_the_sequence_has_none(app, trainer):
    sequence = make_sequence(trainer, ["-PT2H"])  # 03:00 local: outside the default window
    ts = make_session(trainer, [sequence], datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc), tz="America/New_York")
    enrol(ts, make_learners(trainer, 1), now=NOW)
    assert deliveries(ts.id)[0].due_at == datetime(2026, 3, 10, 8, 0, tzinfo=timezone.utc)


def test_a_late_joiner_skips_past_steps_and_gets_only_the_most_recent_sendable_one(app, trainer):
    sequence = make_sequence(trainer, ["-P2D", "-P1D", "-PT30M", "PT0S"], if_late="send")
    ts = make_session(trainer, [sequence], NOW + timedelta(hours=1))
    enrol(ts, make_learners(trainer, 1), now=NOW)

    rows = sorted(deliveries(ts.id), key=lambda d: d.step_id)
    assert [d.status for d in rows] == ["skipped", "scheduled", "scheduled", "scheduled"]
    assert rows[0].error_message == LATE_ON_ENROL and rows[0].error_code == "late"
    assert rows[1].due_at == NOW  # the one late step that goes out, now
    assert rows[2].due_at == NOW + timedelta(minutes=30)


def test_late_steps_are_skipped_by_default(app, trainer):
    sequence = make_sequence(trainer, ["-P1D", "-PT30M", "PT0S"])
    ts = make_session(trainer, [sequence], NOW + timedelta(minutes=10))
    enrol(ts, make_learners(trainer, 2), now=NOW)
    assert [d.status for d in deliveries(ts.id)] == ["skipped", "skipped", "scheduled"] * 2


def test_enrolling_again_changes_nothing(app, trainer):
    sequence = make_sequence(trainer, ["-P1D", "PT0S"])
    ts = make_session(trainer, [sequence], NOW + timedelta(days=3))
    first = make_learners(trainer, 3)
    assert enrol(ts, first, now=NOW).created == 3
    before = [(d.id, d.due_at, d.reply_token) for d in deliveries(ts.id)]

    again = enrol(ts, first + make_learners(trainer, 1, start=3), now=NOW + timedelta(hours=1))

    assert (again.created, again.already) == (1, 3)
    after = deliveries(ts.id)
    assert [(d.id, d.due_at, d.reply_token) for d in after[:6]] == before
    assert len(after) == 8 and db.session.query(Enrollment).count() == 4
    assert len({d.reply_token for d in after}) == 8


def test_learners_of_another_trainer_are_refused(app, trainer):
    from drip.services import accounts

    other = accounts.create_trainer("other@example.com", "correct horse battery")
    ts = make_session(trainer, [make_sequence(trainer, ["PT0S"])], NOW + timedelta(days=1))
    with pytest.raises(ValueError, match="another trainer"):
        enrol(ts, make_learners(other, 1), now=NOW)


def test_enrolling_in_a_cancelled_session_creates_only_skipped_deliveries(app, trainer):
    ts = make_session(trainer, [make_sequence(trainer, ["PT0S"])], NOW + timedelta(days=1))
    cancel_session(ts, now=NOW)
    enrol(ts, make_learners(trainer, 1), now=NOW)
    assert [(d.status, d.error_message) for d in deliveries(ts.id)] == [("skipped", "session cancelled")]


def test_ten_thousand_learners_by_ten_steps_in_seconds(app, trainer):
    offsets = ["-P7D", "-P3D", ("-P1D", "09:00"), "PT0S", ("P1D", "09:00"), "P3D", "P7D", "P10D", "P14D", "P30D"]
    sequence = make_sequence(trainer, offsets, window=(clock(8), clock(21)))
    ts = make_session(trainer, [sequence], NOW + timedelta(days=10), tz="Europe/Paris")
    zones = (None, "America/New_York", "Europe/London", "Asia/Tokyo", "Australia/Lord_Howe")
    learners = make_learners(trainer, 10_000, timezones=zones)

    started, cpu = time.perf_counter(), time.process_time()
    result = enrol(ts, learners, now=NOW)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu

    print(f"\nenrolment of 10,000 learners x 10 steps: {elapsed:.2f} s ({cpu:.2f} s CPU) on {db.engine.dialect.name}")
    assert result.deliveries == 100_000
    assert db.session.query(Delivery).filter_by(session_id=ts.id).count() == 100_000
    tokens = db.session.query(Delivery.reply_token).filter_by(session_id=ts.id).distinct().all()
    assert len(tokens) == 100_000 and all(len(t) == 16 and int(t, 16) >= 0 for (t,) in tokens)
    # This process's CPU (SQLite's work included) does not grow with the machine's load; the wall
    # time does (CI runs two suites side by side), so it only guards against a collapse.
    assert cpu < 15 and elapsed < 90


def test_values_shared_by_many_deliveries_are_stored_as_given_whatever_their_characters(app, trainer):
    from drip.database import insert_shared

    ts = make_session(trainer, [make_sequence(trainer, ["PT0S", "PT1H"])], NOW + timedelta(days=1))
    enrol(ts, make_learners(trainer, 2), now=NOW)
    rows = [(d.enrollment_id, d.learner_id, d.step_id) for d in deliveries(ts.id)]
    db.session.query(Delivery).delete()
    odd = "tab\there, new\nline, \\N and a backslash \\, ‘quoted’ é 😀"
    shared = [
        {"step_id": step_id, "session_id": ts.id, "channel": "email", "due_at": NOW, "status": "skipped"}
        | {"error_code": None, "error_message": odd if i % 2 else None, "updated_at": NOW}
        for i, (_, _, step_id) in enumerate(rows)
    ]
    stored = insert_shared(Delivery, ("enrollment_id", "learner_id"), [(row[:2], s) for row, s in zip(rows, shared)])
    db.session.commit()

    again = deliveries(ts.id)
    assert stored == len(again) == 4
    assert [(d.enrollment_id, d.learner_id, d.step_id, d.error_message, d.error_code) for d in again] == [
        (*row, odd if i % 2 else None, None) for i, row in enumerate(rows)
    ]
    assert {d.due_at for d in again} == {NOW} and {d.channel for d in again} == {"email"}
    assert len({d.reply_token for d in again}) == 4 and {d.attempts for d in again} == {0}


def test_a_delivery_belongs_to_its_enrolments_session_and_learner_and_goes_with_them(app, trainer):
    from sqlalchemy.exc import IntegrityError

    from drip.models import Learner

    ts = make_session(trainer, [make_sequence(trainer, ["PT0S"])], NOW + timedelta(days=1))
    other = make_session(trainer, [make_sequence(trainer, ["PT0S"])], NOW + timedelta(days=1), title="Other")
    ada, bo = make_learners(trainer, 2)
    enrol(ts, [ada, bo], now=NOW)
    mine = deliveries(ts.id)[0]
    for session_id, learner_id in (
        (other.id, mine.learner_id),
        (ts.id, bo.id if mine.learner_id == ada.id else ada.id),
    ):
        db.session.add(
            Delivery(
                enrollment_id=mine.enrollment_id,
                step_id=mine.step_id,
                session_id=session_id,
                learner_id=learner_id,
                channel="sms",
                due_at=NOW,
                attempt=5,
            )
        )
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()

    db.session.delete(db.session.get(Learner, ada.id))
    db.session.commit()
    assert [d.learner_id for d in deliveries(ts.id)] == [bo.id]


def test_a_row_stored_twice_by_a_bulk_insert_is_the_same_integrity_error_on_every_database(app, trainer):
    # enrol_inputs retries when a concurrent call stored the same learners first: it catches SQLAlchemy's
    # IntegrityError, which PostgreSQL's COPY path must raise as an INSERT does.
    from sqlalchemy.exc import IntegrityError

    from drip.database import insert_rows

    session = make_session(trainer, [make_sequence(trainer, ["P1D"])], NOW + timedelta(days=2))
    learner = make_learners(trainer, 1)[0]
    enrol(session, [learner])
    before = db.session.query(Enrollment).count()
    row = {"session_id": session.id, "learner_id": learner.id, "source": "api"}
    with pytest.raises(IntegrityError):
        insert_rows(Enrollment, [row])
    db.session.rollback()
    assert db.session.query(Enrollment).count() == before
