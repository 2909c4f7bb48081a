"""The trainer's side of the cohort page: a learner's page as they see it, and reissuing their link."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from drip.web.learner_language import speak
from drip.models import Learner, TrainingSession, utcnow
from drip.services.cohort import links, page
from drip.web.ownership import own_or_404

bp = Blueprint("cohort_admin", __name__)


def _visitor(session_id: int, learner_id: int) -> links.Visitor:
    own_or_404(TrainingSession, session_id)
    own_or_404(Learner, learner_id)
    visitor = links.enrolled_visitor(session_id, learner_id)
    if visitor is None:
        abort(404)
    return visitor


@bp.get("/sessions/<int:session_id>/cohort/<int:learner_id>")
def preview(session_id: int, learner_id: int):
    """The learner's cohort page as they see it, without posting or counting a view."""
    visitor = _visitor(session_id, learner_id)
    shown = page.build(visitor, current_app.config, utcnow())
    speak(shown.language)  # the trainer sees the page in the learner's language, as they do
    html = render_template("cohort/page.html", page=shown, token="", form_token="", preview=True, error="")
    return html, 200, {"X-Robots-Tag": "noindex, nofollow", "Cache-Control": "private, no-store"}


@bp.post("/sessions/<int:session_id>/cohort/<int:learner_id>/reissue")
def reissue(session_id: int, learner_id: int):
    """Give the learner a new cohort page link; the old one stops working at once."""
    visitor = _visitor(session_id, learner_id)
    links.reissue(visitor.enrollment)
    flash("A new cohort page link is ready; the old one no longer works.", "success")
    return redirect(url_for("learners.show", learner_id=learner_id, _anchor="cohort-links"))
