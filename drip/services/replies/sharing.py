"""The trainer approving learners' answers for digests (one click, or many at once)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from drip.domain.digests import QUOTABLE
from drip.extensions import db
from drip.models import Reply
from drip.models.types import MAX_ID

SHAREABLE = QUOTABLE


class NotShareable(ValueError):
    """A reply a digest could never quote (a vote, an unclassified message, a trainer's own reply)."""


def set_shared(replies: Iterable[Reply], shared: bool) -> int:
    """Approve (or withdraw) replies for the digests and commit; NotShareable and nothing changed for a wrong kind."""
    chosen = list(replies)
    if shared and (wrong := [r for r in chosen if r.kind not in SHAREABLE]):
        raise NotShareable(
            f"only discussion replies and practice reports can be shared (reply {wrong[0].id} is a "
            f"{wrong[0].kind.replace('_', ' ')})"
        )
    for reply in chosen:
        reply.shared = shared
    db.session.commit()
    return len(chosen)


def session_replies(session_id: int, reply_ids: Iterable[int]) -> list[Reply]:
    """The learner replies of a session among these ids (others are ignored)."""
    ids = [i for i in reply_ids if 0 < i <= MAX_ID]
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Reply).where(Reply.session_id == session_id, Reply.id.in_(ids), Reply.kind.in_(SHAREABLE))
        )
    )
