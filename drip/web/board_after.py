"""The board after the session: a text field per question the room did not get to."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for

from drip.services.board import after_session
from drip.web.board import own_session

bp = Blueprint("board_after", __name__)


@bp.post("/sessions/<int:session_id>/board/questions/<int:question_id>/answer")
def answer(session_id: int, question_id: int):
    """Save the trainer's answer to a question, for the `questions` digest."""
    question = after_session.find(own_session(session_id), question_id)
    if question is None:
        abort(404)
    try:
        after_session.answer(question, request.form.get("answer", ""))
    except after_session.AnswerInvalid as error:
        flash(f"Not saved: {error}", "danger")
    else:
        flash("Answer saved." if question.answer else "Answer removed.", "success")
    return redirect(url_for("board.show", session_id=session_id, _anchor=f"after-{question.id}"))
