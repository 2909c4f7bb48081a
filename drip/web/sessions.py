"""Training sessions: upcoming, live and past; create, reschedule, cancel; the session page."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from drip.domain import numbers
from drip.domain.durations import describe_timing
from drip.extensions import db
from drip.models import Learner, TrainingSession, utcnow
from drip.services.pages.languages import session_languages
from drip.services.pages import session_report as report
from drip.services.board.board import update_settings
from drip.services.programs.enrolment import enrol
from drip.services.learners.upsert import LearnerInvalid, upsert_learners, validate_learner
from drip.services.programs.sessions import (
    SessionInvalid,
    cancel_session,
    create_session,
    session_phase,
    update_session,
)
from drip.services.learners import edits as learner_edits
from drip.services.learners import search as learner_search
from drip.services.programs.archive import archived_count
from drip.web.ownership import own_session
from drip.services.pages import engagement
from drip.services.media import library
from drip.web.session_form import COMMON_ZONES, SessionForm
from drip.web.timeline import legend, markers
from drip.services.pages import admin as pages

bp = Blueprint("sessions", __name__, url_prefix="/sessions")


def _form_page(form: SessionForm, errors: dict, ts: TrainingSession | None = None, status: int = 200):
    return render_template(
        "sessions/form.html",
        form=form,
        errors=errors,
        ts=ts,
        sequences=pages.trainer_sequences(current_user, ts),
        zones=COMMON_ZONES,
        library=library.items(current_user.id),
    ), status


@bp.get("")
def index():
    """Sessions live now, coming up, past and cancelled; archived ones are on the archive page."""
    now = utcnow()
    mine, counts = pages.sessions_and_enrolled(current_user)
    groups: dict[str, list] = {"live": [], "upcoming": [], "past": [], "cancelled": []}
    for ts in mine:
        phase = session_phase(ts, now)
        groups[phase].append((ts, phase))
    groups["past"].reverse()
    return render_template(
        "sessions/index.html", groups=groups, counts=counts, archived=archived_count(current_user.id)
    )


@bp.route("/new", methods=["GET", "POST"])
def create():
    """Create a session with its sequences; times are typed in the session's own zone."""
    if request.method == "GET":
        # Times are typed in the session's zone; most sessions are where the trainer is.
        return _form_page(
            SessionForm(
                sequence_ids=[s.id for s in pages.trainer_sequences(current_user)][:1],
                timezone=current_user.timezone or "UTC",
            ),
            {},
        )
    form = SessionForm.from_request(request.form)
    values, errors = form.parse()
    if not errors:
        try:
            ts = create_session(current_user, **values)
        except SessionInvalid as invalid:
            db.session.rollback()
            errors = invalid.errors
        else:
            if form.acknowledgement and form.acknowledgement != ts.acknowledgement:
                update_settings(ts, acknowledgement=form.acknowledgement)
            flash(f"Created “{ts.title}”. Now add its learners.", "success")
            return redirect(url_for("sessions.show", session_id=ts.id))
    return _form_page(form, errors, status=422)


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
def edit(session_id: int):
    """Change or reschedule a session: every message not yet sent moves with it."""
    ts = own_session(session_id)
    if request.method == "GET":
        return _form_page(SessionForm.from_session(ts), {}, ts)
    form = SessionForm.from_request(request.form)
    values, errors = form.parse(session_id=ts.id)
    if errors:
        return _form_page(form, errors, ts, 422)
    before = pages.pending_due(ts)
    keyword = values.pop("join_keyword")
    try:
        update_session(ts, **values)
    except SessionInvalid as invalid:
        db.session.rollback()
        return _form_page(form, invalid.errors, ts, 422)
    ts.join_keyword = keyword
    update_settings(ts, acknowledgement=form.acknowledgement)  # commits the keyword too
    after = pages.pending_due(ts)
    moved = sum(1 for key, value in before.items() if key in after and after[key] != value)
    flash(f"Saved. {moved} pending message{'' if moved == 1 else 's'} moved.", "success")
    return redirect(url_for("sessions.show", session_id=ts.id))


@bp.post("/<int:session_id>/cancel")
def cancel(session_id: int):
    """Cancel a session after the trainer confirmed: every pending message is skipped."""
    ts = own_session(session_id)
    if request.form.get("confirm") != "yes":
        flash("Tick the box to confirm the cancellation.", "warning")
    elif ts.status == "cancelled":
        flash("This session was already cancelled.", "info")
    else:
        skipped = cancel_session(ts)
        flash(f"Cancelled. {skipped} pending message{'' if skipped == 1 else 's'} will not be sent.", "success")
    return redirect(url_for("sessions.show", session_id=ts.id))


@bp.get("/<int:session_id>")
def show(session_id: int):
    """The session page: learners, the timeline of deliveries per step, and what went wrong."""
    ts = own_session(session_id)
    steps = [step for sequence in ts.sequences for step in sequence.steps]
    lines = report.step_lines(ts, steps)
    placed = markers(steps)
    lq, eq = learner_search.clean_query(request.args.get("lq")), learner_search.clean_query(request.args.get("eq"))
    learners = learner_search.enrolled(
        ts.id, lq, learner_search.clean_page(request.args.get("lpage", type=numbers.id_param))
    )
    candidates = learner_search.candidates(
        current_user.id, ts.id, eq, learner_search.clean_page(request.args.get("epage", type=numbers.id_param))
    )
    endpoints = current_app.view_functions.keys()
    return render_template(
        "sessions/show.html",
        ts=ts,
        phase=session_phase(ts, utcnow()),
        lines=lines,
        markers=placed,
        legend=legend(placed),
        counts={line.step.id: line.summary() for line in lines},
        columns=list(report.COLUMNS),
        problems=report.problems(ts),
        skipped=report.skipped_reasons(ts),
        learners=learners,
        lq=lq,
        eq=eq,
        total_learners=report.enrolled_count(ts),
        candidates=candidates,
        has_board="board.show" in endpoints,
        has_replies="replies.index" in endpoints,
        describe=lambda step: describe_timing(step.anchor, step.offset, step.local_time),
        engagement=engagement.of_session(ts),
        languages=session_languages(ts),
    )


@bp.post("/<int:session_id>/enrol")
def enrol_existing(session_id: int):
    """Enrol learners the trainer already has: the ticked ones, or every one matching the picker's search."""
    ts = own_session(session_id)
    if request.form.get("all_matching"):
        chosen = learner_search.all_candidates(
            current_user.id, ts.id, learner_search.clean_query(request.form.get("q"))
        )
        return _enrolled(ts, chosen)
    ids = numbers.parse_ids(request.form.getlist("learner_ids"))
    chosen = pages.learners_among(current_user, ids)
    if len(chosen) != len(set(ids)):
        abort(404)
    return _enrolled(ts, chosen)


def _enrolled(ts: TrainingSession, chosen: list[Learner]):
    if not chosen:
        flash("Choose at least one learner to enrol.", "warning")
    else:
        result = enrol(ts, chosen, source="admin")
        flash(f"Enrolled {result.created} learner{'' if result.created == 1 else 's'}.", "success")
    return redirect(url_for("sessions.show", session_id=ts.id, _anchor="learners"))


@bp.post("/<int:session_id>/learners")
def add_learner(session_id: int):
    """Add one learner (or find them by phone/email) and enrol them."""
    ts = own_session(session_id)
    try:
        item = validate_learner(request.form, default_region=current_app.config["DEFAULT_REGION"])
    except LearnerInvalid as invalid:
        flash(
            "The learner was not added: " + "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in invalid.errors.items()),
            "danger",
        )
        return redirect(url_for("sessions.show", session_id=ts.id, _anchor="learners"))
    [(learner, created)] = upsert_learners(current_user, [item])
    result = enrol(ts, [learner], source="admin")
    flash(
        f"{'Added' if created else 'Found'} {learner.name}"
        + (" and enrolled them." if result.created else ", already enrolled."),
        "success",
    )
    return redirect(url_for("sessions.show", session_id=ts.id, _anchor="learners"))


@bp.post("/<int:session_id>/learners/<int:learner_id>/unenrol")
def unenrol(session_id: int, learner_id: int):
    """Take a learner out of the session: messages not yet sent are skipped, what was sent stays."""
    from drip.web.learners import own_learner

    ts, learner = own_session(session_id), own_learner(learner_id)
    skipped = learner_edits.unenrol(ts, learner)
    if skipped is None:
        flash(f"{learner.name} is not enrolled in this session.", "info")
    else:
        flash(
            f"Unenrolled {learner.name}. {skipped} pending message{'' if skipped == 1 else 's'} will not be sent.",
            "success",
        )
    return redirect(url_for("sessions.show", session_id=ts.id, _anchor="learners"))
