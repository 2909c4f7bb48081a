"""An outbox send is delivered at once: the outbox stands in for the provider and the phone (issue 22)."""

from __future__ import annotations

from sqlalchemy import event

from drip.extensions import db
from drip.services.delivery.send import send_claimed
from drip.services.pages import engagement
from tests.integration.test_engine_sending import claimed
from tests.support.engine_factory import deliveries


def _delivery_writes(job_run):
    """The UPDATEs of deliveries a call runs, with the rows each carried."""
    writes = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE DELIVERIES"):
            writes.append((statement, len(parameters) if executemany else 1))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        result = job_run()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    return result, writes


def test_an_outbox_send_ends_delivered_and_the_funnel_counts_it(app, trainer):
    for channel in ("sms", "email"):
        ts, learners, ids, job = claimed(trainer, 3, channel=channel)
        counts, writes = _delivery_writes(lambda: send_claimed(ids, job))
        assert counts == {"not_ours": 0, "delivered": 3}
        rows = deliveries(ts.id)
        assert {d.status for d in rows} == {"delivered"}
        assert all(d.sent_at is not None and d.delivered_at == d.sent_at for d in rows)
        # Each delivery is claimed and then recorded, in the batched writes only: no status write of its own.
        claims = [rows for statement, rows in writes if "sending_at" in statement]
        outcomes = [rows for statement, rows in writes if "delivered_at" in statement]
        assert len(claims) + len(outcomes) == len(writes) and sum(outcomes) == 3
        (funnel,) = engagement.of_session(ts).steps
        assert (funnel.sent, funnel.delivered) == (3, 3)
