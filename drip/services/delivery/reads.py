"""Who read what: tracked links in outgoing messages, their clicks, and SendGrid opens and clicks."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from drip.domain import links
from drip.extensions import db
from drip.models import Delivery, DeliveryRead, TrackedLink, utcnow

MAX_FLAGGED = 20  # flagged clicks kept per delivery: enough to see a scanner, not a table an attacker can fill
_cache_lock = threading.Lock()


def link_id(url: str) -> int:
    """The id of a URL's tracked link, created on first use (committed at once: a send thread calls this)."""
    digest = hashlib.sha256(url.encode()).hexdigest()
    # Per app, not per process: the same link repeats in every message of a step.
    cache = current_app.extensions.setdefault("drip_tracked_links", {})
    with _cache_lock:
        if digest in cache:
            return cache[digest]
    query = select(TrackedLink.id).where(TrackedLink.url_hash == digest)
    found = db.session.scalar(query)
    if found is None:
        db.session.add(TrackedLink(url_hash=digest, url=url))
        try:
            db.session.commit()
        except IntegrityError:  # another thread or worker created it a moment ago
            db.session.rollback()
        found = db.session.scalar(query)
        db.session.rollback()
    with _cache_lock:
        cache[digest] = found
    return found


def tracker(config: Mapping[str, Any], delivery_id: int | None):
    """A function turning a URL into this delivery's tracked link; None when tracking is off."""
    if delivery_id is None or not config.get("TRACK_LINKS", True):
        return None
    base, secret = config["PUBLIC_BASE_URL"].rstrip("/"), str(config["SECRET_KEY"])
    return lambda url: f"{base}/l/{links.token(secret, delivery_id, link_id(url))}"


def _record(
    delivery: Delivery,
    kind: str,
    via: str,
    flag: str | None,
    *,
    link: int | None = None,
    user_agent: str = "",
    now: datetime,
) -> bool:
    """Add a read unless the same counted read of this delivery exists; True when one was added."""
    earlier = select(DeliveryRead.id).where(DeliveryRead.delivery_id == delivery.id, DeliveryRead.kind == kind)
    earlier = (
        earlier.where(DeliveryRead.flag.is_(None)) if flag is None else earlier.where(DeliveryRead.flag.is_not(None))
    )
    found = db.session.scalars(earlier.limit(MAX_FLAGGED)).all()
    # One counted click per delivery; flagged ones are kept (up to a bound) so the trainer can see scanners.
    if (flag is None and found) or len(found) >= MAX_FLAGGED:
        return False
    db.session.add(
        DeliveryRead(
            delivery_id=delivery.id,
            session_id=delivery.session_id,
            learner_id=delivery.learner_id,
            step_id=delivery.step_id,
            kind=kind,
            via=via,
            flag=flag,
            link_id=link,
            user_agent=(user_agent or "")[:300],
            created_at=now,
        )
    )
    return True


def follow(
    value: str, *, secret: str, method: str, user_agent: str, has_cookie: bool, now: datetime | None = None
) -> str | None:
    """Record a click on a tracked link and return where it goes; None for a token that names nothing."""
    parsed = links.parse_token(secret, value)
    if parsed is None:
        return None
    link = db.session.get(TrackedLink, parsed[1])
    delivery = db.session.get(Delivery, parsed[0])
    if link is None:
        return None
    if delivery is not None:
        now = now or utcnow()
        flag = links.scanner_flag(
            method=method, user_agent=user_agent, has_cookie=has_cookie, sent_at=delivery.sent_at, now=now
        )
        _record(delivery, "click", "tracked_link", flag, link=link.id, user_agent=user_agent, now=now)
    url = link.url
    db.session.commit()
    return url


def record_sendgrid(delivery: Delivery, event: Mapping[str, Any], now: datetime) -> None:
    """Count a SendGrid open or click as a read (flush only: the event's transaction commits)."""
    name = event.get("event")
    agent = str(event.get("useragent") or "")
    flag = None
    if name == "open" and event.get("sg_machine_open"):
        flag = "machine_open"  # Apple Mail Privacy Protection and proxies fetch every image
    elif (
        name == "click"
        and agent
        and links.scanner_flag(method="GET", user_agent=agent, has_cookie=True, sent_at=None, now=now)
    ):
        flag = "scanner_agent"
    _record(delivery, name, "sendgrid", flag, user_agent=agent, now=now)
    db.session.flush()
