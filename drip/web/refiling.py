"""Re-filing from the admin (board, replies, learner and inbox pages), the projector's poll switch, the inbox."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from drip.domain import numbers
from drip.models import LiveQuestion
from drip.services.ownership import owned_reply
from drip.services.board import board
from drip.services.board import polls as live_polls
from drip.services.replies import inbox as inbox_service
from drip.services.replies import refile, refile_reads
from drip.services.replies.answers import set_reviewed
from drip.services.replies.refile_options import LABELS, options, parse_target
from drip.web.board import own_session
from drip.web.local_paths import local_page

bp = Blueprint("refiling", __name__)


def _trainer():
    return current_user._get_current_object()


@bp.app_template_global()
def refile_groups(session_id: int | None) -> list[dict]:
    """The options of a re-file select for texts of this session (computed once per request and session)."""
    # Kept in the request's environ, not in g: one app context may outlive many requests (tests, CLI).
    cache = request.environ.setdefault("drip.refile_groups", {})
    if session_id not in cache:
        cache[session_id] = options(refile_reads.owned_session(_trainer(), session_id) if session_id else None)
    return cache[session_id]


@bp.app_template_global()
def inbox_count() -> int:
    """How many inbox texts the signed-in trainer has not reviewed (the navigation badge)."""
    return inbox_service.unreviewed_count(_trainer()) if current_user.is_authenticated else 0


@bp.app_template_global()
def kind_label(kind: str) -> str:
    """How a reply kind is written on the pages."""
    return LABELS.get(kind, kind.replace("_", " "))


def _move(item, target: str, *, session_id: int | None = None):
    kind, step_id, choice_index = parse_target(target)
    if isinstance(item, LiveQuestion):
        return refile.refile_question(item, kind, by=_trainer(), step_id=step_id, choice_index=choice_index)
    return refile.refile_reply(
        item, kind, by=_trainer(), step_id=step_id, choice_index=choice_index, session_id=session_id
    )


def _back() -> str:
    # Only a page of this site, rebuilt from the URL map: never an open redirect.
    return local_page(request.form.get("back"), url_for("refiling.inbox"))


@bp.post("/refile/<any(question, reply):what>/<int:item_id>")
def refile_form(what: str, item_id: int):
    """File a text as another kind from a page's form, then go back to that page."""
    find = refile_reads.owned_question if what == "question" else owned_reply
    item = find(_trainer(), item_id)
    if item is None:
        abort(404)
    try:
        moved = _move(
            item, request.form.get("target", ""), session_id=request.form.get("session_id", type=numbers.id_param)
        )
    except refile.RefileInvalid as error:
        flash(f"Not moved: {error}.", "danger")
        return redirect(_back())
    flash(
        f"Filed as {LABELS[moved.kind if not isinstance(moved, LiveQuestion) else 'live_question'].lower()}.", "success"
    )
    return redirect(_back())


@bp.post("/sessions/<int:session_id>/board/questions/<int:question_id>/refile")
def refile_from_board(session_id: int, question_id: int):
    """File a question from the board as a reply (JSON `{target}`, CSRF header); it leaves every board at once."""
    question = board.find_question(own_session(session_id), question_id)
    if question is None:
        abort(404)
    try:
        moved = _move(question, str((request.get_json(silent=True) or {}).get("target", "")))
    except refile.RefileInvalid as error:
        return jsonify(error="Not moved", details=str(error)), 422
    kind = "live_question" if isinstance(moved, LiveQuestion) else moved.kind
    return jsonify(kind=kind, id=moved.id, label=LABELS[kind])


@bp.post("/sessions/<int:session_id>/board/projector")
def projector_view(session_id: int):
    """Switch the projector between the questions and one poll's chart (JSON `{poll: step id | null}`)."""
    training_session = own_session(session_id)
    poll = (request.get_json(silent=True) or {}).get("poll")
    if poll is not None and (not isinstance(poll, int) or isinstance(poll, bool)):
        abort(400, 'Send {"poll": a poll step id, or null for the questions}.')
    try:
        event = live_polls.show_on_projector(training_session, poll)
    except ValueError:
        abort(404)
    board.publish_event(training_session.id, event)
    return jsonify(event)


@bp.post("/inbox/<int:reply_id>/reviewed")
def inbox_reviewed(reply_id: int):
    """Mark an inbox text reviewed (or not again): it stays listed, without counting in the navigation."""
    reply = owned_reply(_trainer(), reply_id)
    if reply is None:
        abort(404)
    set_reviewed([reply], request.form.get("reviewed", "1") == "1")
    return redirect(url_for("refiling.inbox") + f"#reply-{reply.id}")


@bp.get("/inbox")
def inbox():
    """Unclassified texts and texts from unknown senders, newest first, each with a way to file it."""
    items = inbox_service.items(_trainer())
    return render_template(
        "refiling/inbox.html",
        items=items,
        senders=inbox_service.senders(items),
        moves=refile_reads.last_moves(items),
        sessions=inbox_service.sessions_of(_trainer(), items),
    )
