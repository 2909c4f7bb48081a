"""The live question board and projector view."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for

from drip.domain import catalog
from drip.domain.routing import LIVE_MARGIN
from drip.extensions import db
from drip.models import TrainingSession, utcnow
from drip.services.board import board, ordering
from drip.services.board.stream import BoardStream, StreamRefused
from drip.services.board.stream import anonymous as anonymous_copy
from drip.config import sms_number
from drip.web.ownership import own_session
from drip.services.board import after_session

bp = Blueprint("board", __name__)


def _snapshot(training_session: TrainingSession, *, anonymous: bool) -> dict:
    snapshot = board.snapshot(training_session)
    if anonymous:
        for question in snapshot["questions"]:
            anonymous_copy(question)
    return snapshot


def _page(template: str, training_session: TrainingSession, *, anonymous: bool = False):
    from drip.services.programs.sessions import session_phase

    now = utcnow()
    return render_template(
        template,
        ts=training_session,
        snapshot=_snapshot(training_session, anonymous=anonymous),
        sms_number=sms_number(current_app.config),
        now=now,
        phase=session_phase(training_session, now),
        opens_at=training_session.starts_at - LIVE_MARGIN,
        closes_at=training_session.ends_at + LIVE_MARGIN,
        after_questions=after_session.open_questions(training_session),
        order_labels=catalog.QUESTION_ORDERS,
    )


@bp.get("/sessions/<int:session_id>/board")
def show(session_id: int):
    """The trainer's live board: questions arrive as they are texted."""
    return _page("board/show.html", own_session(session_id))


@bp.get("/sessions/<int:session_id>/projector")
def projector(session_id: int):
    """The board for the room: large type, no names, all or only approved questions."""
    return _page("board/projector.html", own_session(session_id), anonymous=True)


@bp.get("/sessions/<int:session_id>/board/events")
def events(session_id: int):
    """Server-sent events: a snapshot, then every change; the projector's copy carries no names."""
    training_session = own_session(session_id)
    anonymous = request.args.get("view") == "projector"
    try:
        stream = BoardStream(
            training_session.id,
            lambda: board.snapshot(training_session),
            anonymous=anonymous,
            config=current_app.config,
        )
    except StreamRefused:
        return Response("busy\n", status=503, headers={"Retry-After": "2"}, mimetype="text/plain")
    # Free the database connection now: the stream only needs Redis.
    db.session.remove()
    return Response(
        stream, mimetype="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@bp.get("/sessions/<int:session_id>/board/questions")
def questions(session_id: int):
    """The board as JSON: what the page fetches when it cannot hold a stream."""
    return jsonify(_snapshot(own_session(session_id), anonymous=request.args.get("view") == "projector"))


@bp.post("/sessions/<int:session_id>/board/questions/<int:question_id>")
def mark(session_id: int, question_id: int):
    """Mark a question answered, starred, hidden or approved (JSON, CSRF header)."""
    training_session = own_session(session_id)
    question = board.find_question(training_session, question_id)
    if question is None:
        abort(404)
    data = request.get_json(silent=True) or {}
    if data.get("mark") not in board.MARKS or not isinstance(data.get("value"), bool):
        abort(400, f'Send {{"mark": one of {", ".join(board.MARKS)}, "value": true|false}}.')
    board.mark(question, data["mark"], data["value"])
    learner = question.learner
    return jsonify(board.question_data(question, training_session, learner))


@bp.post("/sessions/<int:session_id>/board/order")
def order(session_id: int):
    """Order the board's and projector's questions by time or by votes (JSON, CSRF header)."""
    training_session = own_session(session_id)
    wanted = (request.get_json(silent=True) or {}).get("order")
    if wanted not in catalog.QUESTION_ORDERS:
        abort(400, f'Send {{"order": one of {", ".join(catalog.QUESTION_ORDERS)}}}.')
    ordering.set_order(training_session, wanted)
    return jsonify(order=wanted)


@bp.post("/sessions/<int:session_id>/board/settings")
def settings(session_id: int):
    """Moderation (approve each question, or project at once) and the SMS acknowledgement of live questions."""
    training_session = own_session(session_id)
    moderation = request.form.get("moderation")
    if moderation is not None and moderation not in catalog.names(catalog.MODERATIONS):
        abort(400, "Choose how questions reach the projector.")
    acknowledgement = request.form.get("acknowledgement")
    board.update_settings(training_session, moderation=moderation, acknowledgement=acknowledgement)
    flash("Board settings saved.", "success")
    return redirect(url_for("board.show", session_id=session_id))
