"""The trainer's landing page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from drip.models import utcnow
from drip.services.pages import admin as pages
from drip.services.programs.sessions import session_phase
from drip.services.pages import dashboard as dashboard_reads
from drip.services.pages import engagement
from drip.services.programs.demo import DEMO_EMAIL, DEMO_SESSION, PAST_SESSION
from drip.services.replies import testimonials

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    """Upcoming sessions and the size of the trainer's world."""
    now = utcnow()
    upcoming, counts = pages.dashboard(current_user, now)
    demo = None
    if current_user.email == DEMO_EMAIL:
        demo = {ts.title: ts for ts in pages.sessions_and_enrolled(current_user)[0]}
    return render_template(
        "dashboard.html",
        upcoming=upcoming,
        counts=counts,
        board=dashboard_reads.dashboard(current_user, upcoming, now),
        demo=demo,
        demo_session=DEMO_SESSION,
        past_session=PAST_SESSION,
        now=now,
        phases={ts.id: session_phase(ts, now) for ts in upcoming},
        falling=engagement.falling_sessions(current_user.id),
        testimonials=testimonials.pool(current_user),
    )
