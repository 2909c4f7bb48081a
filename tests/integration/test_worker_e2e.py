"""End to end with real worker processes on real Redis: on time, exactly once, moved when the session moves."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from drip.extensions import db
from drip.models import Delivery, OutboxMessage, utcnow
from drip.services.programs.enrolment import enrol
from drip.services.programs.sessions import update_session
from tests.support.engine_factory import deliveries, make_learners, make_sequence, make_session
from tests.support.engine_workers import Workers, settled, twilio_settings, wait_for, worker_env
from fakes.provider import FakeProvider

pytestmark = pytest.mark.slow
LEAD = timedelta(seconds=31)  # the first step (-PT30S) falls due a second after the sessions are created


def _outbox_by_delivery() -> dict[int, list[OutboxMessage]]:
    found: dict[int, list[OutboxMessage]] = {}
    for message in db.session.scalars(select(OutboxMessage)):
        found.setdefault(message.delivery_id, []).append(message)
    return found


def test_each_step_leaves_within_two_seconds_of_its_due_time_exactly_once_and_moves_with_its_session(
    app, trainer, app_config, tmp_path
):
    with Workers(worker_env(app_config), tmp_path) as workers:
        workers.start(2)
        steps = ["-PT30S", "PT0S", "PT20S"]
        now = utcnow()
        on_time = make_session(trainer, [make_sequence(trainer, steps)], now + LEAD, title="On time")
        moving = make_session(trainer, [make_sequence(trainer, steps, channel="email")], now + LEAD, title="Moving")
        enrol(on_time, make_learners(trainer, 3), now=now)
        enrol(moving, make_learners(trainer, 3), now=now)
        first_moving = [d.id for d in deliveries(moving.id) if d.due_at == moving.starts_at - timedelta(seconds=30)]

        wait_for(
            lambda: all(d.status == "delivered" for d in deliveries() if d.id in first_moving),
            20,
            workers,
            "the moving session's first step sent",
        )
        before = {d.id: d.due_at for d in deliveries(moving.id)}
        update_session(
            moving, starts_at=moving.starts_at + timedelta(minutes=1), ends_at=moving.ends_at + timedelta(minutes=1)
        )

        wait_for(
            lambda: all(d.status == "delivered" for d in deliveries(on_time.id)), 60, workers, "all on-time steps sent"
        )
        outbox = _outbox_by_delivery()

    lateness = []
    for d in deliveries(on_time.id):
        assert len(outbox[d.id]) == 1, f"delivery {d.id} sent {len(outbox[d.id])} times"
        lateness.append((outbox[d.id][0].created_at - d.due_at).total_seconds())
    print(f"\nlateness of 9 on-time messages: min {min(lateness):.2f} s, max {max(lateness):.2f} s")
    assert min(lateness) >= 0, lateness  # never early
    # On time: all but one within two seconds; that one (CI's two suites share two cores) not held back long.
    assert sorted(lateness)[-2] <= 2 and max(lateness) <= 10, lateness
    for d in deliveries(moving.id):
        if d.id in first_moving:  # already sent: stays where it was
            assert (d.status, d.due_at, len(outbox[d.id])) == ("delivered", before[d.id], 1)
        else:  # pending: moved a minute, and nothing went out at the old time
            assert (d.status, d.due_at, d.id in outbox) == ("scheduled", before[d.id] + timedelta(minutes=1), False)


def _due_now(trainer, count: int) -> list[int]:
    """`count` SMS deliveries due now, created in bulk."""
    now = utcnow()
    ts = make_session(trainer, [make_sequence(trainer, ["PT0S"])], now + timedelta(hours=1))
    enrol(ts, make_learners(trainer, count), now=now)
    db.session.execute(Delivery.__table__.update().values(due_at=now - timedelta(seconds=1)))
    db.session.commit()
    return [d.id for d in deliveries(ts.id)]


@pytest.mark.parametrize("provider, worker_class", [("outbox", "simple"), ("twilio", "simple"), ("twilio", "fork")])
def test_a_thousand_due_at_once_with_two_workers_are_each_sent_exactly_once(
    app, trainer, app_config, tmp_path, provider, worker_class
):
    with FakeProvider() as fake:
        settings = twilio_settings(fake.url) if provider == "twilio" else {}
        settings["WORKER_CLASS"] = worker_class  # fork: RQ's work horse per batch job
        ids = _due_now(trainer, 1000)
        with Workers(worker_env(app_config, **settings), tmp_path) as workers:
            started = utcnow()
            workers.start(2)
            counts = wait_for(settled(1000), 90, workers, "1,000 deliveries settled")
            elapsed = (utcnow() - started).total_seconds()
        accepted = Counter(m["delivery_id"] for m in fake.accepted)
    sent_by = accepted if provider == "twilio" else Counter(db.session.scalars(select(OutboxMessage.delivery_id)))
    print(f"\n1,000 via {provider}, 2 {worker_class} workers: settled {elapsed:.1f} s after start (including start-up)")
    assert counts == {"delivered" if provider == "outbox" else "sent": 1000}  # the outbox is where it arrives
    assert sorted(sent_by) == sorted(ids) and set(sent_by.values()) == {1}
    by_id = {d.id: d.provider_message_id for d in deliveries()}
    if provider == "twilio":
        assert {m["sid"] for m in fake.accepted} == set(by_id.values())
