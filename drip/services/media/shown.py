"""Learners' pictures as the admin shows them with their reply or question: read in one query per page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from drip.extensions import db
from drip.models import MediaItem


@dataclass(frozen=True)
class Picture:
    """A learner's picture as the admin shows it: our URL once kept, else the provider's link and why not."""

    id: int
    status: str  # stored | pending | refused | failed
    url: str | None  # /m/<token> when stored
    thumbnail_url: str | None
    source_url: str | None
    reason: str | None
    alt: str


def _picture(row: MediaItem) -> Picture:
    stored = row.status == "stored"
    return Picture(
        id=row.id,
        status=row.status,
        url=f"/m/{row.token}" if stored else None,
        thumbnail_url=f"/m/{row.token}/thumbnail" if stored and row.kind == "image" else None,
        source_url=row.source_url,
        reason=row.reason,
        alt=row.alt_text,
    )


def pictures_for(message_ids: list[int | None]) -> dict[int, list[Picture]]:
    """Each inbound message's pictures in the order sent; one query for any number of messages."""
    wanted = sorted({message_id for message_id in message_ids if message_id})
    found: dict[int, list[Picture]] = {}
    if not wanted:
        return found
    rows = db.session.scalars(
        select(MediaItem)
        .where(MediaItem.inbound_message_id.in_(wanted))
        .order_by(MediaItem.inbound_message_id, MediaItem.position)
    )
    for row in rows:
        found.setdefault(row.inbound_message_id, []).append(_picture(row))
    return found


def board_pictures(pictures: list[Picture] | None) -> list[dict]:
    """The kept pictures of a question as its board event carries them."""
    return [
        {"url": p.url, "thumbnail_url": p.thumbnail_url, "alt": p.alt} for p in pictures or [] if p.status == "stored"
    ]
