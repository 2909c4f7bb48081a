"""The sending threads' database work, batched: claims (queued → sending) and outcomes.

Many threads send at once; each would otherwise pay a pool checkout, a ping and a round trip per
claim and per outcome. Here one thread claims for all of them, taking every request waiting at
that moment in one UPDATE, and outcomes are written together every few hundred milliseconds.
Each delivery still leaves `queued` through its own conditional row update, right before its send.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from concurrent.futures import Future

from sqlalchemy import func, select
from sqlalchemy.engine import Engine, Row

from drip.models import Delivery, Learner, TrainingSession, utcnow
from drip.services.delivery.transitions import finish_sending, start_sending

log = logging.getLogger(__name__)
_t = Delivery.__table__


def _about(column, key, foreign):
    return select(column).where(key == foreign).correlate(_t).scalar_subquery().label(column.key)


# queued → sending for this job only; reads back what may have changed since the batch was
# loaded: the session's state, the learner's address and opt-outs.
_FRESH = (
    _about(TrainingSession.status, TrainingSession.id, _t.c.session_id),
    *[
        _about(column, Learner.id, _t.c.learner_id)
        for column in (Learner.phone, Learner.email, Learner.sms_opted_out_at, Learner.email_opted_out_at)
    ],
)
CLAIM = start_sending(*_FRESH)
CLAIM_ON_DATABASE_CLOCK = start_sending(*_FRESH, clock=func.now())  # PostgreSQL: sending_at by its clock
RECORD = finish_sending()


class Claimer:
    """Claims deliveries for the sending threads of one job, as many per round trip as are waiting."""

    def __init__(self, engine: Engine, job: str):
        self.engine, self.job = engine, job
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="drip-claimer", daemon=True)
        self._thread.start()

    def claim(self, delivery_id: int) -> Row | None:
        """Move one delivery to `sending`; its fresh state, or None if it is no longer this job's."""
        future: Future = Future()
        with self._lock:  # every request is queued before the stop marker, so each gets an answer
            if self._closed:
                return None  # the job is over (stopped early): leave the rest `queued` for recovery
            self._requests.put((delivery_id, future))
        return future.result()

    def close(self) -> None:
        """Stop the claiming thread once the requests already made are answered."""
        with self._lock:
            self._closed = True
            self._requests.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        # Autocommit: each claim is a single statement, one round trip, visible at once.
        engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        claim = CLAIM if engine.dialect.name == "sqlite" else CLAIM_ON_DATABASE_CLOCK
        connection = None
        while True:
            first = self._requests.get()
            batch, stopping = ([first] if first else []), first is None
            while not stopping:
                try:
                    item = self._requests.get_nowait()
                except queue.Empty:
                    break
                stopping = item is None
                if item:
                    batch.append(item)
            if batch:
                try:
                    connection = connection or engine.connect()
                    rows = connection.execute(claim, {"ids": [i for i, _ in batch], "job": self.job, "now": utcnow()})
                    found = {row.id: row for row in rows}
                    for delivery_id, future in batch:
                        future.set_result(found.get(delivery_id))
                except Exception as error:  # the database went away: fail these claims, reconnect for the next
                    log.warning("claiming %d deliveries failed: %s", len(batch), error)
                    for _, future in batch:
                        future.set_exception(error)
                    if connection is not None:
                        connection.invalidate()
                        connection.close()
                    connection = None
            if stopping:
                if connection is not None:
                    connection.close()
                return


def record(engine: Engine, outcomes: list[dict]) -> None:
    """Write outcomes in one executemany transaction."""
    if outcomes:
        with engine.begin() as connection:
            connection.execute(RECORD, outcomes)


class OutcomeWriter:
    """Collects outcomes from the sending threads; the job's own thread writes them every FLUSH_SECONDS.

    A worker dying between a send and the next flush leaves those deliveries `sending`, which
    recovery turns into `unknown`: exactly as if it had died during the send.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.counts: Counter[str] = Counter()
        self._pending: list[dict] = []
        self._lock = threading.Lock()

    def add(self, row: dict) -> str:
        """Queue one outcome; returns its status."""
        with self._lock:
            self._pending.append(row)
            self.counts[row["o_status"]] += 1
        return row["o_status"]

    def count(self, status: str) -> None:
        """Count an outcome that needs no write (e.g. a delivery another job had)."""
        with self._lock:
            self.counts[status] += 1

    def flush(self) -> None:
        """Write what has been collected so far; on a database error keep it for the next flush."""
        with self._lock:
            rows, self._pending = self._pending, []
        try:
            record(self.engine, rows)
        except Exception:
            with self._lock:
                self._pending[:0] = rows
            raise
