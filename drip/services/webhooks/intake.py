"""Store and acknowledge: a verified webhook becomes one INSERT keyed by the provider's id, and a wake-up.

Applying status changes and routing replies is the workers' job (webhooks/apply_statuses,
inbound/apply): under a storm of status callbacks the web only pays for the insert, shared by the
requests it is answering at the same moment (group_commit), so it keeps answering in milliseconds. The row is the queue's truth: the Redis wake-up only saves the
workers a poll, so losing it (Redis flushed, a worker killed) delays a webhook, never loses it.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import redis
from flask import current_app

from drip.domain.in_request import routed_in_request
from drip.extensions import db, redis_store
from drip.models import InboundReceipt, ProviderEvent, utcnow
from drip.channels.sendgrid_inbound import Attachment, Intake
from drip.services.delivery import callbacks as status
from drip.services.inbound import lookup as inbound_lookup
from drip.services.inbound import receive as inbound
from drip.services.webhooks import group_commit

_logger = logging.getLogger(__name__)
WAKE_KEYS = {"inbound": "drip:wake:inbound", "callbacks": "drip:wake:callbacks", "media": "drip:wake:media"}
HINT_KEY = "drip_delivery_hint"  # the `d` query parameter of a status callback, kept beside Twilio's fields
_JOIN_CACHE_SECONDS = 2.0


@dataclass(frozen=True)
class Stored:
    """What a webhook stored: how many new rows, how many repeats, how many refused items."""

    stored: int = 0
    duplicates: int = 0
    errors: int = 0


@dataclass(frozen=True)
class SmsIntake:
    """An inbound SMS stored for a worker, or answered in the request (`answer` goes back in the TwiML)."""

    answer: str | None = None
    duplicate: bool = False


def wake(lane: str) -> None:
    """Tell the workers of a lane ("inbound", "callbacks") that rows wait; failing that, they poll."""
    try:
        with redis_store.connection.pipeline(transaction=False) as pipe:
            pipe.lpush(WAKE_KEYS[lane], 1)
            pipe.ltrim(WAKE_KEYS[lane], 0, 0)  # one pending wake-up is enough, however many rows
            pipe.execute()
    except redis.RedisError as error:
        _logger.warning("wake-up for the %s lane not sent (workers will poll): %s", lane, error)


def _store(model, rows: list[dict], lane: str) -> int:
    """Rows committed (with whatever else this process is storing now) and the lane woken; how many were new."""
    return group_commit.store(model, rows, lane, wake)


def store_twilio_status(
    params: Mapping[str, str], *, delivery_hint: str | None = None, now: datetime | None = None
) -> bool:
    """Store one Twilio status callback; False when it is a repeat. Raises status.MalformedCallback."""
    sid, reported = status.twilio_event_key(params)
    payload = dict(params)
    if delivery_hint:
        payload[HINT_KEY] = delivery_hint
    row = {
        "provider": "twilio",
        "event_id": f"{sid}:{reported}",
        "event": reported,
        "payload": payload,
        "created_at": now or utcnow(),
        "attempts": 0,
    }
    return bool(_store(ProviderEvent, [row], "callbacks"))


def store_sendgrid_events(events: list, *, now: datetime | None = None) -> Stored:
    """Store a SendGrid Event Webhook batch, one row per event; an event that is not one is counted and skipped."""
    now = now or utcnow()
    rows: dict[str, dict] = {}
    errors = 0
    for event in events:
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            _logger.warning("SendGrid event refused (not an object with an 'event' name): %r", event)
            errors += 1
            continue
        event = inbound.scrub(event)
        event_id = status.sendgrid_event_id(event)[:200]
        rows.setdefault(
            event_id,
            {
                "provider": "sendgrid",
                "event_id": event_id,
                "event": event["event"][:40],
                "payload": event,
                "created_at": now,
                "attempts": 0,
            },
        )
    stored = _store(ProviderEvent, list(rows.values()), "callbacks") if rows else 0
    return Stored(stored=stored, duplicates=len(events) - errors - stored, errors=errors)


def _join_keywords(now: datetime) -> list[str]:
    """Join keywords of the sessions a stranger may join now, cached a moment per process."""
    cache = current_app.extensions.setdefault("drip_join_keywords", {"at": -1e9, "keywords": []})
    if time.monotonic() - cache["at"] > _JOIN_CACHE_SECONDS:
        cache["at"] = time.monotonic()  # one request refreshes; those arriving meanwhile use the list as it is
        windows = inbound_lookup.joinable_sessions(now)
        cache["keywords"] = [window.join_keyword for window in windows if window.join_keyword]
        cache["at"] = time.monotonic()
    return cache["keywords"]


def warm_up(now: datetime | None = None) -> None:
    """Open what a storm's first webhook would: the join keywords loaded (a pooled connection, the ORM
    query compiled), a second pooled connection for the group commit, a Redis connection for the wake-up."""
    _join_keywords(now or utcnow())
    with db.engine.connect():  # while the session holds the first: that first request needs both
        pass
    redis_store.connection.ping()


def store_sms(form: Mapping[str, str], *, now: datetime | None = None) -> SmsIntake:
    """Route in the request what cannot wait (domain.in_request: HELP, STOP, a join keyword), answering in
    TwiML; store the rest (votes and quiz answers too) for a worker, which answers through the SMS API."""
    now = now or utcnow()
    form = inbound.scrub(dict(form))
    sid = inbound.sms_message_id(form)
    body = form.get("Body") or ""
    if routed_in_request(body, _join_keywords(now)):
        outcome = inbound.receive_sms(form, now=now)
        return SmsIntake(answer=None if outcome.duplicate else outcome.answer, duplicate=outcome.duplicate)
    row = {"channel": "sms", "provider_message_id": sid, "payload": form, "received_at": now, "attempts": 0}
    return SmsIntake(duplicate=not _store(InboundReceipt, [row], "inbound"))


def store_email(received: Intake, attachments=(), pictures=(), *, now: datetime | None = None) -> bool:
    """Store one Inbound Parse post, unparsed, for a worker to parse and route (with the pictures it
    carried, for the media lane to check and keep); False when it is a repeat."""
    noted: list[Attachment] = list(attachments)
    payload = inbound.scrub({"form": received.form, "attachments": [dataclasses.asdict(a) for a in noted]})
    if pictures:
        payload["pictures"] = [picture.stored() for picture in pictures]
    row = {
        "channel": "email",
        "provider_message_id": received.message_id,
        "payload": payload,
        "received_at": now or utcnow(),
        "attempts": 0,
    }
    return bool(_store(InboundReceipt, [row], "inbound"))
