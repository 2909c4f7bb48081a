"""Who is enrolled in a session with their cohort link and views (the enrollments API and the session page)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from drip.extensions import db
from drip.models import Enrollment, Learner, TrainingSession
from drip.services.cohort import links
from drip.services.pages import engagement


@dataclass(frozen=True)
class Enrolled:
    """One enrolled learner: their engagement state, their cohort page link and how often they opened it."""

    learner: Learner
    state: str
    cohort_url: str
    cohort_views: int


def enrolled(ts: TrainingSession, config: Mapping) -> list[Enrolled]:
    """Every learner enrolled in the session now (unenrolled ones left out), by name."""
    states = {row.learner.id: row.state for row in engagement.of_session(ts).learners}
    rows = db.session.execute(
        select(Learner, Enrollment.cohort_token, Enrollment.cohort_views)
        .join(Enrollment, Enrollment.learner_id == Learner.id)
        .where(Enrollment.session_id == ts.id, Enrollment.unenrolled_at.is_(None))
        .order_by(Learner.name, Learner.id)
    ).all()
    return [
        Enrolled(
            learner,
            states.get(learner.id, "silent"),
            "" if learner.erased_at else links.url(config, token),
            views,
        )
        for learner, token, views in rows
    ]
