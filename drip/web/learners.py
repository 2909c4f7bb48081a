"""Learners: search, add one, import a CSV with a preview, and each learner's whole timeline."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from drip.domain import numbers
from drip.models import Learner, TrainingSession
from drip.services.learners import imports as learner_import
from drip.services.media import shown
from drip.services.learning.unanswered import quiet_sessions
from drip.services.learners.upsert import LearnerInvalid, add_learner, decode_upload, parse_csv, validate_learner
from drip.services.inbound.optout import SOURCE_LABELS
from drip.services.learners import search as learner_search
from drip.web.ownership import own_or_404
from drip.services.learners.timeline import timeline
from drip.services.pages import engagement
from drip.services.cohort import links as cohort_links

bp = Blueprint("learners", __name__, url_prefix="/learners")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
PREVIEW_ROWS = 100


def own_learner(learner_id: int) -> Learner:
    """The signed-in trainer's learner, or 404 (also for another trainer's)."""
    return own_or_404(Learner, learner_id)


def _own_session(session_id) -> TrainingSession | None:
    return None if session_id in (None, "") else own_or_404(TrainingSession, session_id)


@bp.get("")
def index():
    """Every learner of the trainer, searchable by name, phone, email or external id, a page at a time."""
    q = learner_search.clean_query(request.args.get("q"))
    found = learner_search.learners(
        current_user.id, q, learner_search.clean_page(request.args.get("page", type=numbers.id_param))
    )
    return render_template(
        "learners/index.html", learners=found.items, q=q, page=found.page, total=found.total, pages=found.pages
    )


@bp.post("")
def add():
    """Add one learner (an existing one with the same phone, email or external id is updated)."""
    try:
        item = validate_learner(request.form, default_region=current_app.config["DEFAULT_REGION"])
    except LearnerInvalid as invalid:
        flash(
            "The learner was not added: " + "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in invalid.errors.items()),
            "danger",
        )
        return redirect(url_for("learners.index"))
    learner, created = add_learner(current_user, item)
    flash(f"{'Added' if created else 'Updated'} {learner.name}.", "success")
    return redirect(url_for("learners.show", learner_id=learner.id))


@bp.get("/<int:learner_id>")
def show(learner_id: int):
    """A learner's whole timeline across sessions: messages with their status, replies, questions, opt-outs."""
    learner = own_learner(learner_id)
    events, opt_outs, sessions = timeline(learner, current_user)
    return render_template(
        "learners/show.html",
        learner=learner,
        events=events,
        opt_outs=opt_outs,
        source_labels=SOURCE_LABELS,
        sessions=sessions,
        quiet=quiet_sessions(learner.id),
        engagement_rows=engagement.of_learner(learner),
        cohort_links=[] if learner.erased_at else cohort_links.of_learner(learner.id),
        cohort_url=lambda token: cohort_links.url(current_app.config, token),
        pictures=shown.pictures_for(
            [(e.get("reply") or e.get("question")).inbound_message_id for e in events if e["type"] != "message"]
        ),
    )


@bp.get("/import")
def import_form():
    """The upload form (optionally for one session)."""
    return render_template("learners/import.html", ts=_own_session(request.args.get("session_id")))


@bp.post("/import")
def upload():
    """Keep the uploaded file server-side and show the preview with every row's problems; stores no learner."""
    ts = _own_session(request.form.get("session_id"))
    file = request.files.get("file")
    if file is None or not file.filename:
        flash("Choose a CSV file to import.", "warning")
        return redirect(url_for("learners.import_form", session_id=ts.id if ts else None))
    data = file.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        flash("The file is larger than 10 MB; split it into smaller files.", "danger")
        return redirect(url_for("learners.import_form", session_id=ts.id if ts else None))
    text = decode_upload(data)
    preview = parse_csv(text, default_region=current_app.config["DEFAULT_REGION"])
    kept = (
        learner_import.keep_upload(current_user, text, filename=file.filename, session_id=ts.id if ts else None)
        if preview.ok
        else None
    )
    return _preview_page(preview, ts, kept.id if kept else None, file.filename)


def _preview_page(preview, ts, upload_id, filename, status=None):
    bad = [row for row in preview.rows if row.errors]
    shown = bad[:500] if bad else preview.rows[:PREVIEW_ROWS]
    return render_template(
        "learners/preview.html",
        preview=preview,
        ts=ts,
        upload_id=upload_id,
        filename=filename,
        shown=shown,
        bad_count=len(bad),
        file_errors=[e for e in preview.errors if e.row is None],
    ), status or (200 if preview.ok else 422)


@bp.post("/import/<upload_id>")
def confirm(upload_id: str):
    """Store every learner of a previewed upload, all or none; answers JSON to the page's fetch."""
    stored = learner_import.find_upload(current_user, upload_id)
    if stored is None:
        abort(404)
    ts = _own_session(stored.session_id)
    result = learner_import.run_import(
        current_user, stored, default_region=current_app.config["DEFAULT_REGION"], training_session=ts
    )
    if not result.ok:  # the rules changed since the preview; show why and store nothing
        return _preview_page(result.preview, ts, None, stored.filename)
    message = f"Imported {len(result.preview.learners)} learners ({result.created} new, {result.updated} updated)"
    message += f"; {result.enrolled} enrolled in {ts.title}." if ts else "."
    flash(message, "success")
    target = url_for("sessions.show", session_id=ts.id, _anchor="learners") if ts else url_for("learners.index")
    if request.accept_mimetypes.best == "application/json":
        return jsonify(redirect=target, created=result.created, updated=result.updated, enrolled=result.enrolled)
    return redirect(target)


@bp.get("/import/<upload_id>/progress")
def import_progress(upload_id: str):
    """How far the running import is, for the progress bar."""
    state = learner_import.progress(current_user, upload_id)
    if state is None:
        abort(404)
    return jsonify(state)
