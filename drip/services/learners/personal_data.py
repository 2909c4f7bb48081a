"""The one list of every table and column that can hold a learner's personal data.

Export reads every row it names; erasure sets every column it names. A test fails when a new text,
JSON or binary column is in neither HOLDINGS nor NOT_PERSONAL, so nothing new escapes either.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, inspect, or_, select, update

from drip.extensions import db
from drip.models import (
    AuditEvent,
    Delivery,
    DeliveryRead,
    Enrollment,
    InboundMessage,
    InboundReceipt,
    Learner,
    LiveQuestion,
    MediaItem,
    OpenPollWord,
    OptOutEvent,
    OutboxMessage,
    ProviderEvent,
    QuestionVote,
    Reply,
    Testimonial,
    TestimonialShown,
)
from drip.models.learners import new_unsubscribe_token
from drip.domain import scrubbing

ERASED_NAME = "Erased learner"
SCRUB = object()  # a JSON column: personal keys dropped, strings mentioning the learner emptied


@dataclass(frozen=True)
class Subject:
    """The learner as they were before erasure: what finds their rows in tables without a learner_id."""

    id: int
    trainer_id: int
    phone: str | None
    email: str | None

    @classmethod
    def of(cls, learner: Learner) -> Subject:
        """A snapshot of the learner's keys."""
        return cls(learner.id, learner.trainer_id, learner.phone, learner.email)


@dataclass(frozen=True)
class Holding:
    """A table holding learners' data: which rows are one learner's, and what erasure sets each column to.

    `erase` maps a column to its erased value (a callable is called once per erasure, SCRUB for JSON);
    `delete` erases the rows themselves (then `erase` lists the personal columns they held).
    Columns listed nowhere in `erase` are still exported: the export is every column of every row.
    """

    model: type
    rows: Callable[[Subject], ColumnElement[bool]]
    erase: Mapping[str, Any] = field(default_factory=dict)
    delete: bool = False


def _deliveries(s: Subject):
    return select(Delivery.id).where(Delivery.learner_id == s.id).scalar_subquery()


def _inbound_ids(s: Subject):
    return select(InboundMessage.provider_message_id).where(InboundMessage.learner_id == s.id).scalar_subquery()


def _one_offs(s: Subject) -> ColumnElement[bool]:
    """Messages sent to the learner outside any step: consent questions, HELP and TwiML answers, test sends."""
    addresses = [a for a in (s.phone, s.email) if a]
    mine = OutboxMessage.delivery_id.in_(_deliveries(s))
    if not addresses:
        return mine
    return or_(
        mine,
        and_(
            OutboxMessage.delivery_id.is_(None),
            OutboxMessage.to_address.in_(addresses),
            or_(OutboxMessage.trainer_id == s.trainer_id, OutboxMessage.trainer_id.is_(None)),
        ),
    )


HOLDINGS: tuple[Holding, ...] = (
    Holding(
        Learner,
        lambda s: Learner.id == s.id,
        {
            "name": ERASED_NAME,
            "phone": None,
            "email": None,
            "external_id": None,
            "timezone": None,
            "language": None,
            "unsubscribe_token": new_unsubscribe_token,  # links in old emails lead nowhere
        },
    ),
    # The cohort page link dies with the learner.
    Holding(Enrollment, lambda s: Enrollment.learner_id == s.id, {"cohort_token": None}),
    # A provider's error can quote the number ("+1415… is not a valid phone number").
    Holding(Delivery, lambda s: Delivery.learner_id == s.id, {"error_message": None}),
    Holding(
        OutboxMessage,
        _one_offs,
        {"to_address": "", "subject": None, "body": "", "html": None, "headers": None},
    ),
    Holding(ProviderEvent, lambda s: ProviderEvent.delivery_id.in_(_deliveries(s)), {"payload": SCRUB}),
    Holding(
        InboundMessage,
        lambda s: InboundMessage.learner_id == s.id,
        {"body": "", "from_address": "", "raw": {}},
    ),
    Holding(InboundReceipt, lambda s: InboundReceipt.provider_message_id.in_(_inbound_ids(s)), {"payload": SCRUB}),
    Holding(Reply, lambda s: Reply.learner_id == s.id, {"body": ""}),
    Holding(LiveQuestion, lambda s: LiveQuestion.learner_id == s.id, {"body": "", "answer": None}),
    # Erasure also withdraws them (testimonials.withdraw_by): never quoted again.
    Holding(Testimonial, lambda s: Testimonial.learner_id == s.id, {"quote": "", "by": ""}),
    Holding(TestimonialShown, lambda s: TestimonialShown.learner_id == s.id),
    Holding(QuestionVote, lambda s: QuestionVote.learner_id == s.id),  # counts stay
    # The words of their open-poll answers: gone from the word cloud with the answers' text.
    Holding(OpenPollWord, lambda s: OpenPollWord.learner_id == s.id, {"word": ""}, delete=True),
    Holding(OptOutEvent, lambda s: OptOutEvent.learner_id == s.id, {"address": "", "detail": ""}),
    Holding(DeliveryRead, lambda s: DeliveryRead.learner_id == s.id, {"user_agent": ""}),
    Holding(AuditEvent, lambda s: AuditEvent.learner_id == s.id),
    # The learner's pictures (MMS, attachments): the rows go, bytes and all.
    Holding(
        MediaItem,
        lambda s: MediaItem.learner_id == s.id,
        {"data": None, "thumbnail": None, "filename": "", "alt_text": "", "source_url": None, "reason": None},
        delete=True,
    ),
)

# Text, JSON and binary columns that never hold a learner's personal data, and why.
NOT_PERSONAL: dict[str, str] = {
    "trainers": "email name password_hash contact_line timezone phone",  # the trainer's own account
    "api_tokens": "name token_hash prefix",
    "sequences": "name digest_by language",  # the trainer's writing
    "steps": "label kind channel anchor offset subject body choices if_late explain retry_after follow_up digest_source translations",
    "training_sessions": "title timezone join_url status join_keyword acknowledgement moderation cohort_publish question_order",
    "enrollments": "source",
    "deliveries": "channel purpose status job_id provider_message_id error_code reply_token",
    "delivery_reads": "kind via flag",
    "tracked_links": "url_hash url",  # only the trainer's links are tracked
    "outbox_messages": "channel provider_message_id",
    "provider_events": "provider event_id event error",
    "inbound_messages": "channel provider_message_id to_address routed_as",  # to: Drip's own number
    "inbound_receipts": "channel provider_message_id error",
    "replies": "kind channel",
    "refilings": "from_item to_item from_kind to_kind",
    "testimonials": "channel status",
    "opt_out_events": "channel action source",
    "suppressed_addresses": "channel address_hash",  # a keyed hash, kept on purpose: the opt-out outlives erasure
    "audit_events": "action via detail",
    "media_items": "token source status kind content_type",  # a learner's own pictures are deleted
}


def listed() -> dict[str, set[str]]:
    """table → every column either HOLDINGS or NOT_PERSONAL names."""
    tables: dict[str, set[str]] = {table: set(columns.split()) for table, columns in NOT_PERSONAL.items()}
    for holding in HOLDINGS:
        tables.setdefault(holding.model.__tablename__, set()).update(holding.erase)
    return tables


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _row(row: Any) -> dict[str, Any]:
    mapper = inspect(type(row))
    return {
        column.name: _jsonable(getattr(row, mapper.get_property_by_column(column).key)) for column in mapper.columns
    }


def records(learner: Learner) -> dict[str, list[dict[str, Any]]]:
    """Every row of every holding that is the learner's, every column, as JSON-ready data."""
    subject = Subject.of(learner)
    out: dict[str, list[dict[str, Any]]] = {}
    for holding in HOLDINGS:
        model = holding.model
        rows = db.session.scalars(select(model).where(holding.rows(subject)).order_by(model.id))
        out[model.__tablename__] = [_row(row) for row in rows]
    return out


def erase(subject: Subject, wanted: list[str]) -> None:
    """Set every listed column of the learner's rows to its erased value; flushes with the caller's transaction.

    `wanted` (scrubbing.needles) is what JSON scrubbing hunts for in payloads.
    """
    # Rows are found before any is changed: a selector may read what another holding erases.
    found = {h.model: list(db.session.scalars(select(h.model.id).where(h.rows(subject)))) for h in HOLDINGS}
    for holding in HOLDINGS:
        ids = found[holding.model]
        if not ids:
            continue
        plain = {c: (v() if callable(v) else v) for c, v in holding.erase.items() if v is not SCRUB}
        scrubbed = [c for c, v in holding.erase.items() if v is SCRUB]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            if holding.delete:
                statement = delete(holding.model).where(holding.model.id.in_(chunk))
                db.session.execute(statement.execution_options(synchronize_session=False))
                continue
            if plain:
                statement = update(holding.model).where(holding.model.id.in_(chunk)).values(**plain)
                db.session.execute(statement.execution_options(synchronize_session=False))
            for row in db.session.scalars(select(holding.model).where(holding.model.id.in_(chunk))) if scrubbed else ():
                for column in scrubbed:
                    setattr(row, column, scrubbing.scrub(getattr(row, column), wanted))
    db.session.flush()
