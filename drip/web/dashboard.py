"""The trainer's landing page."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from drip.extensions import db
from drip.models import Learner, Sequence, TrainingSession, utcnow
from drip.services.pages import engagement
from drip.services.replies import testimonials

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    """Upcoming sessions and the size of the trainer's world."""
    now = utcnow()
    mine = TrainingSession.trainer_id == current_user.id
    upcoming = db.session.scalars(
        select(TrainingSession).where(mine, TrainingSession.ends_at >= now, TrainingSession.status != "cancelled")
        .order_by(TrainingSession.starts_at).limit(10)
    ).all()
    counts = {
        "sequences": db.session.scalar(select(func.count()).select_from(Sequence).where(Sequence.trainer_id == current_user.id)),
        "sessions": db.session.scalar(select(func.count()).select_from(TrainingSession).where(mine)),
        "learners": db.session.scalar(select(func.count()).select_from(Learner).where(Learner.trainer_id == current_user.id)),
    }
    return render_template("dashboard.html", upcoming=upcoming, counts=counts, now=now,
                           falling=engagement.falling_sessions(current_user.id),
                           testimonials=testimonials.pool(current_user))
