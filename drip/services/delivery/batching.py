"""A send job's batch in the database: its deliveries loaded in one query, each claimed again right
before its send (queued → sending), its outcomes written together; and the message of each.

Many threads send at once; each would otherwise pay a pool checkout, a ping and a round trip per
claim and per outcome. Here one thread claims for all of them, taking every request waiting at
that moment in one UPDATE, and outcomes are written together every few hundred milliseconds.
Each delivery still leaves `queued` through its own conditional row update, right before its send
(claiming.py).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, any_, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine

from drip.domain import delivery_message
from drip.domain.outgoing import BatchFacts, DeliveryToSend, OutgoingMessage
from drip.extensions import db
from drip.models import Delivery, Enrollment, Learner, Sequence, Step, TestimonialShown, Trainer, TrainingSession
from drip.services.delivery.batch_facts import link_ids
from drip.services.delivery.transitions import finish_sending

log = logging.getLogger(__name__)
_t = Delivery.__table__

# The columns of DeliveryToSend, in its order: a new field is one more column here.
_COLUMNS = (
    Delivery.id,
    Delivery.job_id,
    Delivery.channel,
    Delivery.reply_token,
    Learner.id,
    Learner.name,
    Learner.timezone,
    Learner.unsubscribe_token,
    Trainer.id,
    Trainer.name,
    Step.kind,
    Step.body,
    Step.subject,
    Step.choices,
    TrainingSession.title,
    TrainingSession.starts_at,
    TrainingSession.timezone,
    TrainingSession.join_url,
    Step.id,
    Delivery.session_id,
    Step.digest_source,
    Step.source_step_id,
    Sequence.digest_by,
    Delivery.due_at,
    Delivery.purpose,
    Step.follow_up,
    TrainingSession.ends_at,
    Delivery.enrollment_id,
    Step.deleted_at,
    Enrollment.unenrolled_at,
    Step.retry_after,
    Step.answer,
    Enrollment.cohort_token,
    Step.image_id,
    Learner.language,
    Sequence.language,
    Step.translations,
)


def load_batch(delivery_ids: list[int], claim: str, offset: timedelta | None = None) -> list[DeliveryToSend]:
    """The deliveries of a batch this job still owns, with their learner, step, session and trainer;
    due `offset` earlier (the database's clock ahead of this machine's by `offset`)."""
    query = (
        select(*_COLUMNS)
        .join(Learner, Learner.id == Delivery.learner_id)
        .join(Step, Step.id == Delivery.step_id)
        .join(Sequence, Sequence.id == Step.sequence_id)
        .join(TrainingSession, TrainingSession.id == Delivery.session_id)
        .join(Trainer, Trainer.id == TrainingSession.trainer_id)
        .outerjoin(Enrollment, Enrollment.id == Delivery.enrollment_id)
        # Only what this job still owns: a reschedule, a cancel or a STOP may have taken some back.
        .where(_among(delivery_ids), Delivery.status == "queued", Delivery.job_id == claim)
    )
    # On the connection: plain rows, without the ORM's result machinery (9 % of a sending worker's CPU).
    batch = [DeliveryToSend.of_row(row, offset) for row in db.session.connection().execute(query)]
    db.session.rollback()  # hand the connection back before the slow part
    return batch


def _among(delivery_ids: list[int]):
    """`id IN (...)`; on PostgreSQL `id = ANY(array)`: one parameter, not one per id to bind and render."""
    if db.engine.dialect.name == "postgresql":
        return Delivery.id == any_(bindparam("batch_ids", delivery_ids, type_=ARRAY(Integer)))
    return Delivery.id.in_(delivery_ids)


def message_for(item: DeliveryToSend, address: str, facts: BatchFacts, now: datetime) -> OutgoingMessage:
    """The rendered message of one delivery of a batch; a link its batch did not foresee is looked up here."""
    config = current_app.config
    try:
        return delivery_message.render(item, address, facts, config, now)
    except delivery_message.UnknownLinks as unknown:
        facts.link_ids.update(link_ids(unknown.urls))
        return delivery_message.render(item, address, facts, config, now)


RECORD = finish_sending()


def record(engine: Engine, outcomes: list[dict], shown: list[dict] | None = None) -> None:
    """Write outcomes, and the testimonials they showed, in one executemany transaction."""
    if outcomes or shown:
        with engine.begin() as connection:
            if outcomes:
                connection.execute(RECORD, outcomes)
            if shown:  # a quote shown twice at once (two workers) is one row
                dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
                connection.execute(dialect.insert(TestimonialShown).on_conflict_do_nothing(), shown)


class OutcomeWriter:
    """Collects outcomes from the sending threads; the job's own thread writes them every FLUSH_SECONDS.

    A worker dying between a send and the next flush leaves those deliveries `sending`, which
    recovery turns into `unknown`: exactly as if it had died during the send.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.counts: Counter[str] = Counter()
        self._pending: list[dict] = []
        self._shown: list[dict] = []
        self._lock = threading.Lock()

    def add(self, row: dict, *, shown: dict | None = None) -> str:
        """Queue one outcome (and the testimonial its message showed); returns its status."""
        with self._lock:
            self._pending.append(row)
            if shown is not None:
                self._shown.append(shown)
            self.counts[row["o_status"]] += 1
        return row["o_status"]

    def count(self, status: str) -> None:
        """Count an outcome that needs no write (e.g. a delivery another job had)."""
        with self._lock:
            self.counts[status] += 1

    def flush(self) -> None:
        """Write what has been collected so far; on a database error keep it for the next flush."""
        with self._lock:
            rows, self._pending, shown, self._shown = self._pending, [], self._shown, []
        try:
            record(self.engine, rows, shown)
        except Exception:
            with self._lock:
                self._pending[:0], self._shown[:0] = rows, shown
            raise
