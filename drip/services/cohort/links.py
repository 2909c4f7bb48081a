"""Personal cohort page links: finding the enrolment of a token, reissuing it, counting views."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from drip.domain import cohort
from drip.extensions import db
from drip.models import Enrollment, Learner, TrainingSession, utcnow
from drip.models.programs import new_cohort_token

PATH = "/c/"


@dataclass(frozen=True)
class Visitor:
    """Who opened a cohort link: their enrolment, the learner and the session, all loaded once."""

    enrollment: Enrollment
    learner: Learner
    training_session: TrainingSession


def url(config: Mapping, token: str | None) -> str:
    """The public address of a cohort page link ("" while the enrolment has none)."""
    return f"{str(config['PUBLIC_BASE_URL']).rstrip('/')}{PATH}{token}" if token else ""


def visitor(token: str, now: datetime | None = None) -> Visitor | None:
    """The enrolment a link belongs to, or None when it is unknown, unenrolled, erased or expired."""
    if not cohort.looks_like_token(token):
        return None
    row = db.session.execute(
        select(Enrollment, Learner, TrainingSession)
        .join(Learner, Learner.id == Enrollment.learner_id)
        .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
        .where(Enrollment.cohort_token == token)
    ).first()
    if row is None:
        return None
    enrollment, learner, training_session = row
    if enrollment.unenrolled_at is not None or learner.erased_at is not None:
        return None
    if not cohort.link_alive(training_session.ends_at, training_session.cohort_days_after, now or utcnow()):
        return None
    return Visitor(enrollment, learner, training_session)


def enrolled_visitor(session_id: int, learner_id: int) -> Visitor | None:
    """The enrolment of a learner in a session as its page shows it (for the trainer's preview), or None."""
    row = db.session.execute(
        select(Enrollment, Learner, TrainingSession)
        .join(Learner, Learner.id == Enrollment.learner_id)
        .join(TrainingSession, TrainingSession.id == Enrollment.session_id)
        .where(Enrollment.session_id == session_id, Enrollment.learner_id == learner_id)
    ).first()
    if row is None or row[0].unenrolled_at is not None or row[1].erased_at is not None:
        return None
    return Visitor(*row)


def reissue(enrollment: Enrollment) -> str:
    """Give the enrolment a new link (the old one stops working at once); commits and returns the token."""
    enrollment.cohort_token = new_cohort_token()
    db.session.commit()
    return enrollment.cohort_token


def ensure_token(enrollment: Enrollment) -> str:
    """The enrolment's link token, issuing one if it has none (flushes, the caller commits)."""
    if not enrollment.cohort_token:
        enrollment.cohort_token = new_cohort_token()
        db.session.flush()
    return enrollment.cohort_token


def of_learner(learner_id: int) -> list[tuple[TrainingSession, Enrollment]]:
    """The learner's current enrolments with their sessions, latest session first (their cohort links)."""
    return [
        (ts, enrollment)
        for ts, enrollment in db.session.execute(
            select(TrainingSession, Enrollment)
            .join(Enrollment, Enrollment.session_id == TrainingSession.id)
            .where(Enrollment.learner_id == learner_id, Enrollment.unenrolled_at.is_(None))
            .order_by(TrainingSession.starts_at.desc())
            .limit(20)
        ).all()
    ]


def record_view(enrollment_id: int, now: datetime | None = None) -> None:
    """Count one opening of the page (a read); one UPDATE, so concurrent views all count; commits."""
    db.session.execute(
        update(Enrollment)
        .where(Enrollment.id == enrollment_id)
        .values(cohort_views=Enrollment.cohort_views + 1, cohort_viewed_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def views_by_learner(session_id: int) -> dict[int, int]:
    """learner id → how many times they opened their cohort page, for one session."""
    return dict(
        db.session.execute(
            select(Enrollment.learner_id, Enrollment.cohort_views).where(
                Enrollment.session_id == session_id, Enrollment.cohort_views > 0
            )
        ).all()
    )
