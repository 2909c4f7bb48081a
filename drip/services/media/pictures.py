"""Learners' pictures: noted when their text is routed, fetched and kept by a worker, shown with the reply.

The webhook stores an MMS as it stores any text (its MediaUrl fields ride in the raw form); routing
notes one `pending` media row per picture, never fetching in a request. A worker's media lane then
claims due rows (a lease, so any number of workers share them), fetches each with the Twilio
credentials, checks it as an upload is checked, and keeps it at its own /m/<token>. A failed fetch
is tried again with backoff and finally kept as a link with the reason; the text is never touched.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from drip.domain import numbers
from drip.channels.twilio_media import MediaFetchFailed, fetch_media
from drip.database import database_clock, is_sqlite
from drip.domain.media import IMAGE_LIMIT, PICTURES_PER_MESSAGE, MediaRefused, check_file
from drip.extensions import db
from drip.models import InboundMessage, LiveQuestion, MediaItem, utcnow
from drip.services.board import board
from drip.services.media.library import fill, new_token

_logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 6  # 5 s, 15 s, 45 s, ~2 min, ~7 min apart: about 10 minutes of Twilio being away
FIRST_RETRY_SECONDS = 5.0
LEASE = timedelta(seconds=90)  # longer than a fetch's timeouts: a killed worker's row is taken again after it
BATCH = 5
TOO_MANY = f"more than {PICTURES_PER_MESSAGE} pictures in one message"


def _count(raw: Mapping, field: str) -> int:
    return min(numbers.parse_int(raw.get(field) or "0", high=10**6) or 0, 50)


def note_sms_pictures(message: InboundMessage, now: datetime | None = None) -> int:
    """Add a pending row per MediaUrlN of a routed MMS (the 11th on kept as a link); flushes, never fetches."""
    raw = message.raw or {}
    noted = 0
    for position in range(_count(raw, "NumMedia")):
        url = str(raw.get(f"MediaUrl{position}") or "").strip()
        if not url:
            continue
        over = noted >= PICTURES_PER_MESSAGE
        db.session.add(
            MediaItem(
                trainer_id=message.trainer_id,
                token=new_token(),
                source="mms",
                status="refused" if over else "pending",
                reason=TOO_MANY if over else None,
                kind="image",
                content_type=str(raw.get(f"MediaContentType{position}") or "")[:100],
                filename=f"picture-{position + 1}",
                alt_text="A picture sent by the learner",
                learner_id=message.learner_id,
                inbound_message_id=message.id,
                position=position,
                source_url=url[:2000],
                retry_at=None if over else (now or utcnow()),
            )
        )
        noted += 1
    if noted:
        db.session.flush()
    return noted


def keep_simulated(trainer_id: int, data: bytes, filename: str = "") -> MediaItem:
    """A picture the phone simulator sends (MediaRefused when it is not one), kept where its MMS URL points; commits."""
    checked = check_file(data, images_only=True)
    item = MediaItem(trainer_id=trainer_id, token=new_token(), source="simulator", filename=filename[:200])
    db.session.add(fill(item, checked))
    db.session.commit()
    return item


def _simulated(url: str, config) -> bytes | None:
    """The bytes behind one of our own /m/ URLs, when the phone simulator sent it (outbox mode only)."""
    prefix = f"{str(config.get('PUBLIC_BASE_URL', '')).rstrip('/')}/m/"
    if config.get("SMS_PROVIDER") != "outbox" or not url.startswith(prefix):
        return None
    token = url.removeprefix(prefix)
    kept = db.session.scalar(select(MediaItem).where(MediaItem.token == token, MediaItem.source == "simulator"))
    return kept.data if kept is not None else None


def note_email_pictures(message: InboundMessage, emailed, now: datetime | None = None) -> int:
    """Add a pending row per picture an email carried (bytes as received, checked by the media lane); flushes."""
    for position, picture in enumerate(list(emailed)[:PICTURES_PER_MESSAGE]):
        db.session.add(
            MediaItem(
                trainer_id=message.trainer_id,
                token=new_token(),
                source="email",
                status="pending",
                kind="image",
                content_type=picture.content_type[:100],
                filename=(picture.filename or f"picture-{position + 1}")[:200],
                alt_text="A picture sent by the learner",
                learner_id=message.learner_id,
                inbound_message_id=message.id,
                position=position,
                data=picture.data,
                size=len(picture.data),
                retry_at=now or utcnow(),
            )
        )
    if emailed:
        db.session.flush()
    return min(len(list(emailed)), PICTURES_PER_MESSAGE)


def claim_due(limit: int = BATCH, now: datetime | None = None) -> list[int]:
    """Lease up to `limit` pending pictures whose time has come, for this worker to fetch."""
    now = database_clock() if now is None else now
    due = (
        select(MediaItem.id)
        .where(MediaItem.status == "pending", MediaItem.retry_at <= now)
        .order_by(MediaItem.retry_at)
        .limit(limit)
    )
    values = {"retry_at": now + LEASE, "attempts": MediaItem.attempts + 1}
    with db.engine.connect() as connection:
        if is_sqlite():
            if connection.execute(due).first() is None:
                connection.rollback()
                return []  # the usual idle poll: no write lock taken
            connection.rollback()
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            statement = update(MediaItem).where(MediaItem.id.in_(due.scalar_subquery()))
        else:
            statement = update(MediaItem).where(
                MediaItem.id.in_(due.with_for_update(skip_locked=True).scalar_subquery())
            )
        ids = list(connection.execute(statement.values(**values).returning(MediaItem.id)).scalars())
        connection.commit()
    return sorted(ids)


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next try after `attempts` failed ones (5 s, tripling)."""
    return timedelta(seconds=FIRST_RETRY_SECONDS * 3 ** max(attempts - 1, 0))


def _received(item: MediaItem, config) -> bytes:
    """The picture's bytes: come with its email, sent by the phone simulator, or fetched from Twilio."""
    if item.source == "email":
        return item.data or b""
    if (simulated := _simulated(item.source_url or "", config)) is not None:
        return simulated
    return fetch_media(
        item.source_url or "",
        account_sid=config.get("TWILIO_ACCOUNT_SID", ""),
        auth_token=config.get("TWILIO_AUTH_TOKEN", ""),
        api_base=config.get("TWILIO_API_BASE", ""),
        limit=IMAGE_LIMIT,
    ).data


def fetch_one(item_id: int, now: datetime | None = None) -> str:
    """Fetch (or take), check and keep one claimed picture; returns its new status. Commits."""
    # The claim wrote through its own connection: read the row afresh, not as this session last saw it.
    item = db.session.get(MediaItem, item_id, populate_existing=True)
    if item is None or item.status != "pending":
        return "gone"
    try:
        fill(item, check_file(_received(item, current_app.config), images_only=True))
        if item.source == "mms":
            item.filename = f"picture-{item.position + 1}.{item.content_type.split('/')[-1].replace('jpeg', 'jpg')}"
        item.retry_at, item.reason = None, None
    except MediaRefused as refused:
        item.status, item.reason, item.retry_at = "refused", str(refused)[:300], None
        item.data = None  # what is not a picture is not kept
    except MediaFetchFailed as failed:
        if not failed.retry or item.attempts >= MAX_ATTEMPTS:
            item.status, item.retry_at = ("failed" if failed.retry else "refused"), None
        else:
            item.retry_at = (now or utcnow()) + backoff(item.attempts)
        item.reason = str(failed)[:300]
        _logger.warning("picture %s not fetched (attempt %s): %s", item.id, item.attempts, failed)
    db.session.commit()
    if item.status == "stored":
        _show_on_board(item.inbound_message_id)
    return item.status


def _show_on_board(message_id: int | None) -> None:
    """A live question's picture arrived: its open boards redraw the question with it."""
    question = db.session.scalar(select(LiveQuestion).where(LiveQuestion.inbound_message_id == message_id))
    if question is not None:
        board.publish_question(question)


def fetch_due(limit: int = BATCH, now: datetime | None = None) -> int:
    """Claim and fetch the pictures due now (the worker's media lane); returns how many were claimed."""
    ids = claim_due(limit, now)
    for item_id in ids:
        fetch_one(item_id, now)
    return len(ids)
