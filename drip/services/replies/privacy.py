"""A learner keeping their answers out of the digests: the PRIVATE reply and the link in emails."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from drip.domain.words import mark
from drip.domain import links
from drip.domain.digests import QUOTABLE
from drip.extensions import db
from drip.models import Delivery, Enrollment, Reply

PURPOSE = links.PRIVATE
CONFIRMED = mark("Done: your answers will not be shared with the group. Your trainer still reads them.")
KEYWORDS = ("PRIVATE", "KEEP PRIVATE", "DONT SHARE", "DON'T SHARE")


def email_line(config: Mapping[str, Any], delivery_id: int) -> str:
    """The line of a discussion or practice email that lets the learner keep their answer private."""
    return links.privacy_line(config["PUBLIC_BASE_URL"], str(config["SECRET_KEY"]), delivery_id)


def delivery_for(config: Mapping[str, Any], value: str) -> Delivery | None:
    """The delivery a privacy link names, or None."""
    parsed = links.parse_token(str(config["SECRET_KEY"]), value, PURPOSE)
    return db.session.get(Delivery, parsed[0]) if parsed else None


def keep_private(session_id: int, learner_id: int) -> bool:
    """Never quote this learner in this session's digests (flush only); False when not enrolled."""
    enrollment = db.session.scalar(
        select(Enrollment).where(Enrollment.session_id == session_id, Enrollment.learner_id == learner_id)
    )
    if enrollment is None:
        return False
    enrollment.answers_private = True
    db.session.flush()
    return True


def private_learners(session_id: int) -> set[int]:
    """The learners of a session who asked that their answers never be quoted."""
    return set(
        db.session.scalars(
            select(Enrollment.learner_id).where(
                Enrollment.session_id == session_id, Enrollment.answers_private.is_(True)
            )
        )
    )


def confirm_link(delivery: Delivery) -> None:
    """The learner confirmed on the privacy page: their answers in that session stay private; commits."""
    keep_private(delivery.session_id, delivery.learner_id)
    db.session.commit()


def is_keyword(body: str) -> bool:
    """Whether an inbound text asks to keep the learner's answers private."""
    return " ".join(body.upper().replace("’", "'").split()).strip(".! ") in KEYWORDS


def latest_answer_session(learner_id: int, now: datetime) -> int | None:
    """The session of the learner's most recent discussion reply or practice report, if any."""
    return db.session.scalar(
        select(Reply.session_id)
        .where(Reply.learner_id == learner_id, Reply.kind.in_(QUOTABLE), Reply.created_at <= now)
        .order_by(Reply.created_at.desc(), Reply.id.desc())
        .limit(1)
    )
