"""The replies page's approval for digests (one click, and bulk) and "Ask to use as a testimonial"."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from drip.domain import numbers
from drip.channels.base import SendError
from drip.services.replies import answers as replies
from drip.services.replies import sharing, testimonials
from drip.web.board import own_session

bp = Blueprint("sharing", __name__)


def _back(session_id: int, reply_id: int | None = None):
    return redirect(url_for("replies.index", session_id=session_id) + (f"#reply-{reply_id}" if reply_id else ""))


def _reply(session_id: int, reply_id: int):
    reply = replies.find_reply(own_session(session_id), reply_id)
    if reply is None:
        abort(404)
    return reply


@bp.post("/sessions/<int:session_id>/replies/<int:reply_id>/shared")
def share_one(session_id: int, reply_id: int):
    """Approve one answer for the digests, or withdraw it."""
    reply = _reply(session_id, reply_id)
    try:
        sharing.set_shared([reply], request.form.get("shared", "1") == "1")
    except sharing.NotShareable as error:
        flash(str(error), "danger")
    return _back(session_id, reply.id)


@bp.post("/sessions/<int:session_id>/replies/shared")
def share_many(session_id: int):
    """Approve every ticked answer for the digests at once."""
    ts = own_session(session_id)
    ids = numbers.parse_ids(request.form.getlist("reply_ids"))
    chosen = sharing.session_replies(ts.id, ids)
    if not chosen:
        flash("Tick the answers to share first.", "warning")
        return _back(session_id)
    count = sharing.set_shared(chosen, True)
    flash(f"{count} answer{'' if count == 1 else 's'} approved for the digest.", "success")
    return _back(session_id)


@bp.post("/sessions/<int:session_id>/replies/<int:reply_id>/testimonial")
def ask_testimonial(session_id: int, reply_id: int):
    """Ask the author, by their channel, whether their practice report may be quoted to the next group."""
    reply = _reply(session_id, reply_id)
    try:
        testimonials.ask(current_user._get_current_object(), reply)
    except (testimonials.CannotAsk, SendError) as error:
        flash(f"Not asked: {error}", "danger")
    else:
        flash("Asked. The quote joins your testimonials once they reply YES.", "success")
    return _back(session_id, reply.id)
