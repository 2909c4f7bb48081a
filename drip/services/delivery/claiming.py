"""The claim right before each send: queued → sending, one delivery at a time as its thread comes to it,
with what may have changed since the batch was loaded read back (the session's state, the learner's
address and opt-outs). One thread claims for all the sending threads of a job, taking every request
waiting at that moment in one UPDATE: each would otherwise pay a pool checkout and a round trip.
"""

from __future__ import annotations

import logging
import queue
import threading
from functools import partial

from sqlalchemy import Integer, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine, Row

from drip.models import Delivery, Learner, TrainingSession, utcnow
from drip.services.delivery.transitions import start_sending

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
# PostgreSQL: sending_at by its clock; the ids as one array, so one statement text whatever their number
# (psycopg parses a new text in Python: an IN list per batch size was 4 % of a sending worker's CPU).
_IDS = _t.c.id == any_(bindparam("ids", type_=ARRAY(Integer)))
CLAIM_ON_DATABASE_CLOCK = start_sending(*_FRESH, clock=func.now(), ids=_IDS)


def _compiled_once(statement, engine: Engine):
    """`statement` as the driver's SQL, compiled here once: it never changes, and SQLAlchemy's cache
    lookup and parameter processing on every claim were 4 % of a sending worker's Python CPU."""
    compiled = statement.compile(engine)
    sql, fixed = str(compiled), compiled.params  # the values the statement carries (its statuses)

    def run(connection: Connection, parameters: dict):
        return connection.exec_driver_sql(sql, {**fixed, **parameters})

    return run


class _Claim:
    """One sending thread's claim, waiting for the claiming thread's answer (a lock, lighter than a Future)."""

    __slots__ = ("delivery_id", "row", "error", "_ready")

    def __init__(self, delivery_id: int):
        self.delivery_id, self.row, self.error = delivery_id, None, None
        self._ready = threading.Lock()
        self._ready.acquire()

    def answered(self, row: Row | None, error: Exception | None = None) -> None:
        self.row, self.error = row, error
        self._ready.release()

    def answer(self) -> Row | None:
        self._ready.acquire()
        if self.error is not None:
            raise self.error
        return self.row


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
        request = _Claim(delivery_id)
        with self._lock:  # every request is queued before the stop marker, so each gets an answer
            if self._closed:
                return None  # the job is over (stopped early): leave the rest `queued` for recovery
            self._requests.put(request)
        return request.answer()

    def close(self) -> None:
        """Stop the claiming thread once the requests already made are answered."""
        with self._lock:
            self._closed = True
            self._requests.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        # Autocommit: each claim is a single statement, one round trip, visible at once.
        engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        run = partial(Connection.execute, statement=CLAIM)
        if engine.dialect.name != "sqlite":
            run = _compiled_once(CLAIM_ON_DATABASE_CLOCK, engine)
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
                    ids = [request.delivery_id for request in batch]
                    rows = run(connection, parameters={"ids": ids, "job": self.job, "now": utcnow()})
                    found = {row.id: row for row in rows}
                    for request in batch:
                        request.answered(found.get(request.delivery_id))
                except Exception as error:  # the database went away: fail these claims, reconnect for the next
                    log.warning("claiming %d deliveries failed: %s", len(batch), error)
                    for request in batch:
                        request.answered(None, error)
                    if connection is not None:
                        connection.invalidate()
                        connection.close()
                    connection = None
            if stopping:
                if connection is not None:
                    connection.close()
                return
