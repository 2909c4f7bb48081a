"""Who read what: tracked links in outgoing messages, their clicks, and SendGrid opens and clicks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from drip.domain import links
from drip.extensions import db
from drip.models import Delivery, DeliveryRead, TrackedLink, utcnow

MAX_FLAGGED = 20  # flagged clicks kept per delivery: enough to see a scanner, not a table an attacker can fill


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
